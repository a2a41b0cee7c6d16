package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
)

// Validate checks what the flag parser cannot: values with a syntax of their
// own and rules across settings. cmd is the command being started; each
// checks only the settings it registered. Every problem is reported at
// once, each naming its flag and environment variable.
func (c *Config) Validate(cmd string) error {
	var errs []error
	bad := func(flagName, envKey, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s (%s): %s", flagName, envKey, fmt.Sprintf(format, args...)))
	}
	gateway := cmd == "dev" || cmd == "gateway"
	simulator := cmd == "dev" || cmd == "simulator"
	common := cmd != "migrate"

	if common {
		var lvl slog.Level
		if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
			bad("log-level", "SYSTEMUSER_LOG_LEVEL", "%q: want debug, info, warn or error", c.LogLevel)
		}
		switch strings.ToLower(c.LogFormat) {
		case "text", "json":
		default:
			bad("log-format", "SYSTEMUSER_LOG_FORMAT", "%q: want text or json", c.LogFormat)
		}
		if c.StateDir == "" {
			bad("state-dir", "SYSTEMUSER_STATE_DIR", "must not be empty")
		}
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			// The URL itself may hold a password: name the problem, not the value.
			errs = append(errs, errors.New("--database-url (DATABASE_URL): want postgres://user:password@host:port/db"))
		}
	}
	switch cmd {
	case "gateway", "migrate", "seed":
		if c.DatabaseURL == "" {
			errs = append(errs, errors.New("--database-url (DATABASE_URL) is required; `systemuser dev` starts an embedded database"))
		}
	case "simulator":
		if c.DatabaseURL == "" && c.SimulatorFile == "" {
			errs = append(errs, errors.New("--database-url (DATABASE_URL) or --config (SYSTEMUSER_SIMULATOR_CONFIG) is required"))
		}
	}
	if gateway {
		if err := checkAddr(c.GatewayAddr); err != nil {
			bad("gateway-addr", "SYSTEMUSER_GATEWAY_ADDR", "%v", err)
		}
		if err := checkURL(c.GatewayURL); err != nil {
			bad("gateway-url", "SYSTEMUSER_GATEWAY_URL", "%v", err)
		}
		if _, err := parseTrustedIssuers(c.TrustedIssuers); err != nil {
			bad("trusted-issuers", "SYSTEMUSER_TRUSTED_ISSUERS", "%v", err)
		}
		// Zero would collect after every allocation and a negative value
		// would never collect: neither is a setting, both are typos.
		if c.GCPercent < 1 {
			bad("gc-percent", "SYSTEMUSER_GC_PERCENT", "%d: want a positive percentage (Go's default is 100)", c.GCPercent)
		}
	}
	if simulator {
		if err := checkAddr(c.SimulatorAddr); err != nil {
			bad("simulator-addr", "SYSTEMUSER_SIMULATOR_ADDR", "%v", err)
		}
	}
	// The gateway derives the issuer it trusts by default from these two.
	if simulator || gateway {
		if err := checkURL(c.SimulatorURL); err != nil {
			bad("simulator-url", "SYSTEMUSER_SIMULATOR_URL", "%v", err)
		}
		if err := checkURL(c.Issuer); err != nil {
			bad("issuer", "SYSTEMUSER_ISSUER", "%v", err)
		}
	}
	if cmd == "seed" {
		if err := checkURL(c.SimulatorURL); err != nil {
			bad("simulator-url", "SYSTEMUSER_SIMULATOR_URL", "%v", err)
		}
	}
	if cmd == "simulator" || cmd == "seed" {
		if err := checkURL(c.GatewayURL); err != nil {
			bad("gateway-url", "SYSTEMUSER_GATEWAY_URL", "%v", err)
		}
	}
	if cmd == "dev" {
		if c.Fresh && c.DatabaseURL != "" {
			errs = append(errs, errors.New("--fresh (SYSTEMUSER_FRESH) wipes the embedded database only; it cannot be combined with --database-url (DATABASE_URL)"))
		}
		if samePort(c.GatewayAddr, c.SimulatorAddr) {
			errs = append(errs, fmt.Errorf("--gateway-addr (SYSTEMUSER_GATEWAY_ADDR) and --simulator-addr (SYSTEMUSER_SIMULATOR_ADDR) are both %q", c.GatewayAddr))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: invalid configuration: %w", cmd, errors.Join(errs...))
}

// checkAddr accepts what net.Listen("tcp", addr) accepts: host:port with a
// numeric or named port; an empty host means every interface.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: want host:port, e.g. :8080 (%w)", addr, err)
	}
	if port == "" {
		return fmt.Errorf("%q: missing port", addr)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("%q: bad port: %w", addr, err)
	}
	return nil
}

// checkURL accepts an empty value (the command derives one) or an absolute
// http(s) URL.
func checkURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an absolute http or https URL", raw)
	}
	return nil
}

func samePort(a, b string) bool {
	_, pa, errA := net.SplitHostPort(a)
	_, pb, errB := net.SplitHostPort(b)
	return errA == nil && errB == nil && pa == pb && pa != "0" && pa != ""
}
