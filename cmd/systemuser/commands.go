package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/seed"
	"github.com/systemuser-gateway/systemuser/simulator"
	"github.com/systemuser-gateway/systemuser/simulator/tokencli"
)

func runGateway(ctx context.Context, args []string, stderr io.Writer) error {
	var c Config
	fs := newFlagSet("gateway", stderr)
	c.databaseFlag(fs)
	c.gatewayFlags(fs)
	c.corsFlag(fs, "")
	c.simulatorFlags(fs)
	c.commonFlags(fs)
	c.shutdownFlags(fs)
	fs.boolean(&c.AutoMigrate, "migrate", "SYSTEMUSER_MIGRATE", false, "apply pending migrations at start")
	fs.boolean(&c.TrustLocalSimulator, "trust-local-simulator", "SYSTEMUSER_TRUST_LOCAL_SIMULATOR", false,
		"with no --trusted-issuers, trust the bundled simulator at --issuer / --simulator-url (local use only)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := c.Validate(fs.Name()); err != nil {
		return err
	}
	// Checked before anything starts: a gateway that trusts nobody is a
	// misconfiguration, and one that silently trusts whatever answers on
	// localhost:8090 is a hole.
	if c.TrustedIssuers == "" && !c.TrustLocalSimulator {
		return errNoTrustedIssuers
	}
	logger, err := c.logger(stderr)
	if err != nil {
		return err
	}
	applyGCPercent(c.GCPercent, os.LookupEnv, logger)
	tr, logger, stopTracing, err := startTracing(ctx, logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	bdb, err := openMigrated(ctx, c.DatabaseURL, c.AutoMigrate)
	if err != nil {
		return err
	}
	defer bdb.Close()
	app := &App{Config: c, DB: tr.InstrumentDB(bdb, "systemuser"), Logger: logger, Tracing: tr, RunGateway: true}
	if err := app.Listen(); err != nil {
		return err
	}
	if err := app.Build(); err != nil {
		return err
	}
	logger.Info("gateway listening", "url", app.Config.GatewayURL)
	return app.Serve(ctx)
}

func runSimulator(ctx context.Context, args []string, stderr io.Writer) error {
	var c Config
	fs := newFlagSet("simulator", stderr)
	c.databaseFlag(fs)
	c.simulatorFlags(fs)
	c.commonFlags(fs)
	c.shutdownFlags(fs)
	fs.str(&c.GatewayURL, "gateway-url", "SYSTEMUSER_GATEWAY_URL", "http://localhost:8080", "gateway base URL for system-user lookups")
	fs.str(&c.SimulatorFile, "config", "SYSTEMUSER_SIMULATOR_CONFIG", "", "clients and persons file (YAML or JSON); no database needed")
	fs.boolean(&c.DevEndpoints, "dev-endpoints", "SYSTEMUSER_DEV_ENDPOINTS", false, "serve the client admin API (/admin/clients) and /person-token (local use only)")
	fs.boolean(&c.AdminOpen, "admin-open", "SYSTEMUSER_ADMIN_OPEN", false, "serve the client admin API without a token (local use only; implies --dev-endpoints)")
	fs.boolean(&c.AdminPrivilegedScopes, "admin-privileged-scopes", "SYSTEMUSER_ADMIN_PRIVILEGED_SCOPES", false, "let the admin API create and rotate clients holding admin or lookup scopes")
	c.controlFlags(fs)
	fs.boolean(&c.Metrics, "metrics", "SYSTEMUSER_METRICS", true, "serve Prometheus metrics at /metrics")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := c.Validate(fs.Name()); err != nil {
		return err
	}
	// Asking for an open admin API is asking for the admin API.
	c.DevEndpoints = c.DevEndpoints || c.AdminOpen
	logger, err := c.logger(stderr)
	if err != nil {
		return err
	}
	tr, logger, stopTracing, err := startTracing(ctx, logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	app := &App{Config: c, Logger: logger, Tracing: tr, RunSimulator: true}
	if c.SimulatorFile != "" {
		fc, err := simulator.LoadFileConfig(c.SimulatorFile)
		if err != nil {
			return err
		}
		clients, persons := simulator.NewMemoryClientStore(), simulator.NewMemoryPersonStore()
		if err := fc.Seed(ctx, clients, persons); err != nil {
			return err
		}
		app.SimulatorClients, app.SimulatorPersons = clients, persons
	} else {
		bdb, err := openMigrated(ctx, c.DatabaseURL, false)
		if err != nil {
			return err
		}
		defer bdb.Close()
		app.DB = tr.InstrumentDB(bdb, "systemuser")
	}
	if err := app.Listen(); err != nil {
		return err
	}
	if err := app.Build(); err != nil {
		return err
	}
	logger.Info("simulator listening", "url", app.Config.SimulatorURL, "issuer", app.Config.Issuer)
	return app.Serve(ctx)
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c Config
	fs := newFlagSet("migrate", stderr)
	c.databaseFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: systemuser migrate [flags] up|down|status")
		fs.PrintDefaults()
	}
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := c.Validate(fs.Name()); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("migrate: want one of up, down, status")
	}
	bdb, err := openMigrated(ctx, c.DatabaseURL, false)
	if err != nil {
		return err
	}
	defer bdb.Close()
	m, err := db.NewMigrator(bdb)
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "up":
		names, err := m.Up(ctx)
		if err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(stdout, "nothing to migrate")
		}
		for _, n := range names {
			fmt.Fprintln(stdout, "applied", n)
		}
	case "down":
		names, err := m.Down(ctx)
		if err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(stdout, "nothing to roll back")
		}
		for _, n := range names {
			fmt.Fprintln(stdout, "rolled back", n)
		}
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(stdout, "%-8s %s\n", state, s.Name)
		}
	default:
		fs.Usage()
		return fmt.Errorf("migrate: unknown action %q", fs.Arg(0))
	}
	return nil
}

func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c Config
	fs := newFlagSet("seed", stderr)
	var scale scaleSeed
	scale.flags(fs)
	c.databaseFlag(fs)
	c.worldFlag(fs)
	c.commonFlags(fs)
	// Written into demo.json for scripts and `token --dev`, as dev does.
	fs.str(&c.GatewayURL, "gateway-url", "SYSTEMUSER_GATEWAY_URL", "http://localhost:8080", "public base URL of the gateway, for demo.json")
	fs.str(&c.SimulatorURL, "simulator-url", "SYSTEMUSER_SIMULATOR_URL", "http://localhost:8090", "public base URL of the simulator, for demo.json")
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := c.Validate(fs.Name()); err != nil {
		return err
	}
	bdb, err := openMigrated(ctx, c.DatabaseURL, true)
	if err != nil {
		return err
	}
	defer bdb.Close()
	keyDir := filepath.Join(c.StateDir, "keys")
	demo, err := seed.Load(ctx, bdb, keyDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.StateDir, 0o755); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	demoFile := filepath.Join(c.StateDir, "demo.json")
	if err := writeDemo(demoFile, c, c.DatabaseURL, demo, devCerts{}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded demo world: system %s, vendor client %s (key %s); settings in %s\n",
		demo.SystemID, demo.ClientID, demo.ClientKeyFile, demoFile)
	if c.World != "" {
		logger, err := c.logger(stderr)
		if err != nil {
			return err
		}
		w, err := loadWorldFile(ctx, bdb, c.World, keyDir, logger)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded world %s: %d organisations, %d persons, %d clients (generated keys: %v)\n",
			c.World, len(w.Organizations), len(w.Persons), len(w.MaskinportenClients), w.KeyFiles)
	}
	if err := scale.run(ctx, bdb, stdout); err != nil {
		return err
	}
	return nil
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return tokencli.RunTokenCommand(ctx, args, stdout, stderr)
}
