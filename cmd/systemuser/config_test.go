package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"regexp"
	"strings"
	"testing"
)

// A malformed value in the environment stops the command before it touches
// a database or a port, and the error names the variable and the reason.
func TestMalformedEnvStopsCommand(t *testing.T) {
	cases := []struct {
		cmd, key, val, want string
	}{
		{"gateway", "SYSTEMUSER_INTROSPECTION", "yes please", "not a boolean"},
		{"gateway", "SYSTEMUSER_METRICS", "on", "not a boolean"},
		{"gateway", "SYSTEMUSER_MIGRATE", "2", "not a boolean"},
		{"dev", "SYSTEMUSER_FRESH", "ja", "not a boolean"},
		{"simulator", "SYSTEMUSER_ADMIN_OPEN", "", "not a boolean"},
		{"gateway", "SYSTEMUSER_LOG_LEVEL", "loud", "want debug, info, warn or error"},
		{"seed", "SYSTEMUSER_LOG_FORMAT", "xml", "want text or json"},
		{"gateway", "SYSTEMUSER_GATEWAY_ADDR", "8080", "want host:port"},
		{"simulator", "SYSTEMUSER_SIMULATOR_ADDR", ":http-ish", "bad port"},
		{"gateway", "SYSTEMUSER_GATEWAY_URL", "localhost:8080", "absolute http or https URL"},
		{"simulator", "SYSTEMUSER_ISSUER", "/relative", "absolute http or https URL"},
		{"gateway", "SYSTEMUSER_TRUSTED_ISSUERS", "https://iss.example/", "want issuer=jwks-url"},
		{"gateway", "SYSTEMUSER_TRUSTED_ISSUERS", "https://iss/=jwk", "absolute http or https URL"},
		{"gateway", "DATABASE_URL", "mysql://u:secret@h/db", "want postgres://"},
		{"gateway", "SYSTEMUSER_GC_PERCENT", "lots", "not an integer"},
		{"dev", "SYSTEMUSER_GC_PERCENT", "0", "want a positive percentage"},
		{"gateway", "SYSTEMUSER_GC_PERCENT", "-1", "want a positive percentage"},
	}
	for _, tc := range cases {
		t.Run(tc.cmd+"/"+tc.key+"="+tc.val, func(t *testing.T) {
			// A database URL that would be tried if validation let it through.
			t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
			t.Setenv(tc.key, tc.val)
			var stderr bytes.Buffer
			err := run(context.Background(), []string{tc.cmd}, io.Discard, &stderr)
			if err == nil {
				t.Fatal("command started")
			}
			if !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q: want it to name %s and say %q", err, tc.key, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error %q repeats the database password", err)
			}
		})
	}
}

// Well-formed values from the environment become the flags' defaults, and a
// flag on the command line still wins.
func TestEnvValuesBecomeDefaults(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"SYSTEMUSER_INTROSPECTION": " false",
		"SYSTEMUSER_METRICS":       "0",
		"SYSTEMUSER_GATEWAY_ADDR":  "127.0.0.1:9999",
		"SYSTEMUSER_GC_PERCENT":    " 250",

		"SYSTEMUSER_GRAPHQL_MAX_CONCURRENT": "-1",
	}
	var c Config
	fs := newFlagSet("gateway", io.Discard)
	fs.lookup = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c.gatewayFlags(fs)
	if err := fs.parse([]string{"--gateway-addr", ":7000"}); err != nil {
		t.Fatal(err)
	}
	if c.Introspection || c.Metrics || c.GatewayAddr != ":7000" || c.GCPercent != 250 || c.GraphQLMaxConcurrent != -1 {
		t.Fatalf("got introspection=%v metrics=%v addr=%q gc percent=%d graphql max concurrent=%d",
			c.Introspection, c.Metrics, c.GatewayAddr, c.GCPercent, c.GraphQLMaxConcurrent)
	}
}

func TestValidateCrossFieldRules(t *testing.T) {
	t.Parallel()
	base := Config{GatewayAddr: ":8080", SimulatorAddr: ":8090", StateDir: ".systemuser", LogLevel: "info", LogFormat: "text",
		GCPercent: defaultGCPercent}
	cases := []struct {
		name, cmd string
		edit      func(*Config)
		want      string // "" means valid
	}{
		{"dev defaults", "dev", func(*Config) {}, ""},
		{"dev on ephemeral ports", "dev", func(c *Config) { c.GatewayAddr, c.SimulatorAddr = "127.0.0.1:0", "127.0.0.1:0" }, ""},
		{"dev ports collide", "dev", func(c *Config) { c.SimulatorAddr = "127.0.0.1:8080" }, "are both"},
		{"dev fresh with external db", "dev", func(c *Config) { c.Fresh, c.DatabaseURL = true, "postgres://u@h/db" }, "--fresh"},
		{"gateway needs a database", "gateway", func(*Config) {}, "DATABASE_URL"},
		{"gateway with database", "gateway", func(c *Config) { c.DatabaseURL = "postgresql://u@h/db" }, ""},
		{"simulator needs a store", "simulator", func(*Config) {}, "--config"},
		{"simulator from a file", "simulator", func(c *Config) { c.SimulatorFile = "clients.yaml" }, ""},
		{"simulator gateway url", "simulator", func(c *Config) { c.SimulatorFile, c.GatewayURL = "f", "gateway:8080" }, "--gateway-url"},
		{"empty state dir", "seed", func(c *Config) { c.DatabaseURL, c.StateDir = "postgres://h/db", "" }, "--state-dir"},
		{"migrate ignores log settings", "migrate", func(c *Config) { c.DatabaseURL, c.LogLevel = "postgres://h/db", "" }, ""},
		{"gateway gc percent zero", "gateway", func(c *Config) { c.DatabaseURL, c.GCPercent = "postgres://h/db", 0 }, "--gc-percent"},
		{"simulator has no gc percent", "simulator", func(c *Config) { c.SimulatorFile, c.GCPercent = "f", 0 }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := base
			tc.edit(&c)
			err := c.Validate(tc.cmd)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("want an error mentioning %q, got %v", tc.want, err)
			}
		})
	}
}

// `systemuser <cmd> -h` names every flag's environment variable, so the two
// ways of configuring stay discoverable from the binary.
func TestHelpNamesEveryFlagsEnvVar(t *testing.T) {
	t.Parallel()
	flagLine := regexp.MustCompile(`^  -([a-z-]+)`)
	for _, cmd := range []string{"dev", "gateway", "simulator", "migrate", "seed"} {
		t.Run(cmd, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			if err := run(context.Background(), []string{cmd, "-h"}, io.Discard, &stderr); !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("got %v, want flag.ErrHelp", err)
			}
			// Each flag is a "  -name" line followed by its indented usage.
			var name string
			seen := 0
			for _, line := range strings.Split(stderr.String()+"\n  -end", "\n") {
				if m := flagLine.FindStringSubmatch(line); m != nil {
					if name != "" {
						t.Errorf("flag -%s: no (env ...) in its usage", name)
					}
					name = m[1]
					seen++
					continue
				}
				if name != "" && strings.Contains(line, "(env ") {
					name = ""
				}
			}
			if seen < 2 {
				t.Fatalf("help lists %d flags:\n%s", seen-1, stderr.String())
			}
		})
	}
}
