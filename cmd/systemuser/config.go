package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of every command; each command registers the flags
// it uses. A flag's default comes from its SYSTEMUSER_* environment variable.
type Config struct {
	DatabaseURL    string
	GatewayAddr    string
	SimulatorAddr  string
	GatewayURL     string // public base URL of the gateway
	SimulatorURL   string // public base URL of the simulator
	Issuer         string // simulator issuer (exact iss), trailing slash
	TrustedIssuers string // comma-separated issuer=jwksURL pairs trusted by the gateway
	Audiences      string // comma-separated token audiences accepted besides the defaults
	StateDir       string
	Fresh          bool
	Introspection  bool
	Metrics        bool
	AutoMigrate    bool
	SimulatorFile  string
	World          string // a world file loaded next to the demo world
	CORSOrigins    string // comma-separated browser origins allowed to call the gateway
	AdminOpen      bool
	// ListenAll (dev only) keeps ":port" addresses on every interface
	// instead of 127.0.0.1.
	ListenAll bool
	// TrustLocalSimulator trusts the bundled simulator (Issuer, its /jwk)
	// when TrustedIssuers is empty; without it the gateway refuses to start.
	TrustLocalSimulator bool
	LogLevel            string
	LogFormat           string
	// DrainPeriod is how long, after SIGTERM, /readyz answers 503 while
	// requests are still served; ShutdownTimeout then bounds the wait for
	// in-flight requests and the decision log's flush.
	DrainPeriod     time.Duration
	ShutdownTimeout time.Duration
	PostgresImage   string // dev: image for the embedded database

	// DevEndpoints serves the simulator's /admin/* and /person-token.
	DevEndpoints bool
	// AdminPrivilegedScopes lets the admin API manage clients holding
	// privileged scopes (systemregister.admin, the lookup scope, *.admin).
	AdminPrivilegedScopes bool
	// TrustedCAFiles are comma-separated PEM files of the CAs whose
	// enterprise certificates the simulator accepts in x5c grants.
	TrustedCAFiles string
	// SimulatorControl serves the simulator's control API and debugger
	// page under /control (always on in dev).
	SimulatorControl bool
	// ClientKeyDir holds <client id>.jwk private keys the debugger page
	// may sign with (dev: the demo seed's keys).
	ClientKeyDir string

	// DecisionRetention is how long the decision log keeps decisions
	// (parseRetention); whole weeks past it are dropped.
	DecisionRetention string

	// GCPercent is the Go runtime's GC percent for the gateway (gcpercent.go).
	GCPercent int
	// GraphQLMaxConcurrent bounds the GraphQL operations running at once over
	// HTTP (gateway.GraphQLConfig.MaxConcurrent).
	GraphQLMaxConcurrent int
}

// flagSet is a command's flags. Each flag's default is read from its
// environment variable when the flag is registered; a malformed value there
// is remembered and reported by parse, so a typo in the environment stops
// the command instead of silently falling back to the default.
type flagSet struct {
	*flag.FlagSet
	lookup  func(string) (string, bool)
	envErrs *[]error
}

func newFlagSet(name string, stderr io.Writer) flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return flagSet{FlagSet: fs, lookup: os.LookupEnv, envErrs: new([]error)}
}

// parse parses the command line, then reports every malformed environment
// value (all of them at once, each with its variable's name).
func (fs flagSet) parse(args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(*fs.envErrs) > 0 {
		return fmt.Errorf("%s: %w", fs.Name(), errors.Join(*fs.envErrs...))
	}
	return nil
}

func (fs flagSet) env(key, def string) string {
	if v, ok := fs.lookup(key); ok {
		return v
	}
	return def
}

func (fs flagSet) str(p *string, name, envKey, def, usage string) {
	fs.StringVar(p, name, fs.env(envKey, def), usage+" (env "+envKey+")")
}

func (fs flagSet) boolean(p *bool, name, envKey string, def bool, usage string) {
	if v, ok := fs.lookup(envKey); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			*fs.envErrs = append(*fs.envErrs, fmt.Errorf("%s=%q: not a boolean (want true or false, 1 or 0)", envKey, v))
		} else {
			def = b
		}
	}
	fs.BoolVar(p, name, def, usage+" (env "+envKey+")")
}

func (c *Config) databaseFlag(fs flagSet) {
	fs.str(&c.DatabaseURL, "database-url", "DATABASE_URL", "", "PostgreSQL URL")
}

func (c *Config) gatewayFlags(fs flagSet) {
	fs.str(&c.GatewayAddr, "gateway-addr", "SYSTEMUSER_GATEWAY_ADDR", ":8080", "gateway listen address")
	fs.str(&c.GatewayURL, "gateway-url", "SYSTEMUSER_GATEWAY_URL", "", "public base URL of the gateway (default http://localhost:<port>)")
	fs.str(&c.TrustedIssuers, "trusted-issuers", "SYSTEMUSER_TRUSTED_ISSUERS", "", "comma-separated issuer=jwks-url pairs the gateway trusts (required unless --trust-local-simulator)")
	fs.str(&c.Audiences, "audiences", "SYSTEMUSER_AUDIENCES", "", "comma-separated token audiences (aud) the gateway accepts besides \"unspecified\", \"systemuser-gateway\" and its public URL")
	fs.boolean(&c.Introspection, "introspection", "SYSTEMUSER_INTROSPECTION", true, "allow GraphQL introspection")
	fs.boolean(&c.Metrics, "metrics", "SYSTEMUSER_METRICS", true, "serve Prometheus metrics at /metrics")
	fs.str(&c.DecisionRetention, "decision-retention", "SYSTEMUSER_DECISION_RETENTION", "90d", "keep logged decisions this long, then drop whole weeks past it (90d, 2160h; 0 keeps all)")
	fs.integer(&c.GCPercent, "gc-percent", "SYSTEMUSER_GC_PERCENT", defaultGCPercent,
		"the Go runtime's GC percent: the heap may grow this much past the live heap before a collection (GOGC in the environment wins)")
	fs.integer(&c.GraphQLMaxConcurrent, "graphql-max-concurrent", "SYSTEMUSER_GRAPHQL_MAX_CONCURRENT", 0,
		"GraphQL operations run at once over HTTP; the others wait their turn in order (0: 4 per CPU; negative: no bound; websockets never wait)")
}

func (fs flagSet) integer(p *int, name, envKey string, def int, usage string) {
	if v, ok := fs.lookup(envKey); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			*fs.envErrs = append(*fs.envErrs, fmt.Errorf("%s=%q: not an integer", envKey, v))
		} else {
			def = n
		}
	}
	fs.IntVar(p, name, def, usage+" (env "+envKey+")")
}

func (fs flagSet) duration(p *time.Duration, name, envKey string, def time.Duration, usage string) {
	if v, ok := os.LookupEnv(envKey); ok {
		if d, err := time.ParseDuration(v); err == nil {
			def = d
		}
	}
	fs.DurationVar(p, name, def, usage+" (env "+envKey+")")
}

// shutdownFlags are those of every command that serves HTTP.
func (c *Config) shutdownFlags(fs flagSet) {
	fs.duration(&c.DrainPeriod, "drain-period", "SYSTEMUSER_DRAIN_PERIOD", 2*time.Second,
		"after SIGTERM, answer /readyz with 503 this long before closing the listeners")
	fs.duration(&c.ShutdownTimeout, "shutdown-timeout", "SYSTEMUSER_SHUTDOWN_TIMEOUT", 5*time.Second,
		"then wait at most this long for in-flight requests and the decision log")
}

func (c *Config) simulatorFlags(fs flagSet) {
	fs.str(&c.SimulatorAddr, "simulator-addr", "SYSTEMUSER_SIMULATOR_ADDR", ":8090", "simulator listen address")
	fs.str(&c.SimulatorURL, "simulator-url", "SYSTEMUSER_SIMULATOR_URL", "", "public base URL of the simulator (default http://localhost:<port>)")
	fs.str(&c.Issuer, "issuer", "SYSTEMUSER_ISSUER", "", "simulator issuer URL, exact iss of its tokens (default <simulator-url>/)")
	fs.str(&c.TrustedCAFiles, "trusted-ca", "SYSTEMUSER_SIMULATOR_TRUSTED_CA", "", "comma-separated PEM files of CAs whose enterprise certificates x5c grants may use (dev adds its test CA)")
}

// corsFlag: dev allows any localhost port (a Vite or Next dev server), the
// gateway allows no other origin unless told.
func (c *Config) corsFlag(fs flagSet, def string) {
	fs.str(&c.CORSOrigins, "cors-origins", "SYSTEMUSER_CORS_ORIGINS", def,
		"comma-separated browser origins allowed to call the gateway from elsewhere (scheme://host[:port], port * for any)")
}

func (c *Config) worldFlag(fs flagSet) {
	fs.str(&c.World, "world", "SYSTEMUSER_WORLD", "", "a world file (YAML or JSON: organisations, persons, resources, packages, systems, clients) to load next to the demo world")
}

func (c *Config) controlFlags(fs flagSet) {
	fs.boolean(&c.SimulatorControl, "control", "SYSTEMUSER_SIMULATOR_CONTROL", false,
		"serve the control API for testers (faults, request log, clock, keys, clients, claims) and the debugger page under /control; test stacks only")
	fs.str(&c.ClientKeyDir, "client-key-dir", "SYSTEMUSER_SIMULATOR_CLIENT_KEYS", "", "directory of <client id>.jwk private keys the debugger page may sign with")
}

func (c *Config) commonFlags(fs flagSet) {
	fs.str(&c.StateDir, "state-dir", "SYSTEMUSER_STATE_DIR", ".systemuser", "directory for the embedded database, keys and demo.json")
	fs.str(&c.LogLevel, "log-level", "SYSTEMUSER_LOG_LEVEL", "info", "debug, info, warn or error")
	fs.str(&c.LogFormat, "log-format", "SYSTEMUSER_LOG_FORMAT", "text", "text or json")
}

func (c *Config) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", c.LogLevel, err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(c.LogFormat) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", c.LogFormat)
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// env is a string setting's value from the environment, or def. Strings
// have no syntax to check here; commands with flagSets use fs.str.
func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}
