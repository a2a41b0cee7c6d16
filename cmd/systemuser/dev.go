package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/ephemeral"
	"github.com/systemuser-gateway/systemuser/db/seed"
)

// runDev starts everything a developer needs with one command.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	c, err := parseDevFlags(args, stderr)
	if err != nil {
		return err
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
	if err := os.MkdirAll(c.StateDir, 0o755); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	dsn := c.DatabaseURL
	if dsn == "" {
		pg, err := ephemeral.Start(ctx, ephemeral.Options{
			DataDir:     filepath.Join(c.StateDir, "pgdata"),
			Fresh:       c.Fresh,
			Logger:      logger.With("component", "postgres"),
			AllowDocker: true,
			DockerImage: c.PostgresImage,
			// Durable, unlike the test servers: what the README says about
			// crashes (the decision log, committed approvals) holds under dev
			// too. Measured cost: none visible in dev's start-up time.
			Settings: map[string]string{"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"},
		})
		if err != nil {
			return fmt.Errorf("embedded postgres: %w", err)
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			defer cancel()
			if err := pg.Stop(stopCtx); err != nil {
				logger.Error("stopping embedded postgres", "error", err)
			} else {
				logger.Info("embedded postgres stopped")
			}
		}()
		dsn = pg.URL()
	}
	bdb, err := db.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer bdb.Close()
	if err := db.Migrate(ctx, bdb); err != nil {
		return err
	}
	keyDir := filepath.Join(c.StateDir, "keys")
	demo, err := seed.Load(ctx, bdb, keyDir)
	if err != nil {
		return err
	}
	certs, err := issueDevCerts(ctx, bdb, keyDir, demo)
	if err != nil {
		return err
	}
	c.TrustedCAFiles = strings.TrimPrefix(c.TrustedCAFiles+","+certs.TestCAFile, ",")
	if c.World != "" {
		if _, err := loadWorldFile(ctx, bdb, c.World, keyDir, logger); err != nil {
			return err
		}
	}
	app := &App{Config: c, DB: tr.InstrumentDB(bdb, "systemuser"), Logger: logger, Tracing: tr, RunGateway: true, RunSimulator: true,
		WorldLoader: worldLoader(bdb, keyDir, logger)}
	if err := app.Listen(); err != nil {
		return err
	}
	if err := app.Build(); err != nil {
		return err
	}
	demoFile := filepath.Join(app.Config.StateDir, "demo.json")
	if err := writeDemo(demoFile, app.Config, dsn, demo, certs); err != nil {
		return err
	}
	printHowTo(stdout, app.Config, demo, demoFile, dsn, time.Since(start))
	return app.Serve(ctx)
}

// parseDevFlags reads dev's flags. dev is for one developer's machine: its
// listeners stay on loopback unless --listen-all says otherwise (a container
// must say so, or nothing outside it could connect).
func parseDevFlags(args []string, stderr io.Writer) (Config, error) {
	var c Config
	fs := newFlagSet("dev", stderr)
	c.databaseFlag(fs)
	c.gatewayFlags(fs)
	c.simulatorFlags(fs)
	c.worldFlag(fs)
	c.corsFlag(fs, "http://localhost:*,http://127.0.0.1:*")
	c.commonFlags(fs)
	fs.boolean(&c.Fresh, "fresh", "SYSTEMUSER_FRESH", false, "wipe the embedded database first")
	fs.boolean(&c.ListenAll, "listen-all", "SYSTEMUSER_LISTEN_ALL", false,
		"bind the gateway and simulator on all interfaces (default: 127.0.0.1 only); never on an untrusted network, dev serves unauthenticated admin routes")
	fs.str(&c.PostgresImage, "postgres-image", "SYSTEMUSER_POSTGRES_IMAGE", "", "container image for the embedded database when no local PostgreSQL is installed")
	if err := fs.parse(args); err != nil {
		return c, err
	}
	if err := c.Validate(fs.Name()); err != nil {
		return c, err
	}
	c.GatewayAddr = devAddr(c.GatewayAddr, c.ListenAll)
	c.SimulatorAddr = devAddr(c.SimulatorAddr, c.ListenAll)
	// A local dev stack must be able to bootstrap clients and log persons in
	// from scripts; the simulator logs that these endpoints are on.
	c.AdminOpen, c.DevEndpoints = true, true
	// Dev is for trying things: the control API and the debugger page are
	// on, and the debugger can sign with the demo clients' keys.
	c.SimulatorControl = true
	c.ClientKeyDir = filepath.Join(c.StateDir, "keys")
	c.TrustLocalSimulator = true // dev trusts the simulator it starts itself
	return c, nil
}

// devAddr puts an address without a host (":8080", listening everywhere) on
// 127.0.0.1 unless listenAll; an address that names its host is kept.
func devAddr(addr string, listenAll bool) string {
	if listenAll {
		return addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "" {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// writeDemo writes the keys scripts rely on (and nothing else).
func writeDemo(path string, c Config, databaseURL string, d *seed.Demo, certs devCerts) error {
	abs := func(p string) string {
		if p == "" {
			return ""
		}
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	out := map[string]string{
		"gatewayUrl":           c.GatewayURL,
		"simulatorUrl":         c.SimulatorURL,
		"vendorOrgNumber":      d.VendorOrgNumber,
		"clientId":             d.ClientID,
		"clientKeyFile":        abs(d.ClientKeyFile),
		"systemId":             d.SystemID,
		"customerOrgNumber":    d.CustomerOrgNumber,
		"customerPartyUuid":    d.CustomerPartyUUID,
		"adminPid":             d.AdminPID,
		"resourceId":           d.ResourceID,
		"action":               d.Action,
		"serviceOwnerClientId": d.ServiceOwnerClientID,
		"serviceOwnerKeyFile":  abs(d.ServiceOwnerKeyFile),
		// A second vendor, Maskinporten's lookup client and a person who
		// administers another customer only: cross-tenant checks.
		"otherVendorOrgNumber":   d.OtherVendorOrgNumber,
		"otherVendorClientId":    d.OtherVendorClientID,
		"otherVendorKeyFile":     abs(d.OtherVendorKeyFile),
		"otherVendorSystemId":    d.OtherVendorSystemID,
		"lookupClientId":         d.LookupClientID,
		"lookupKeyFile":          abs(d.LookupKeyFile),
		"otherAdminPid":          d.OtherAdminPID,
		"otherCustomerOrgNumber": d.OtherCustomerOrgNumber,
		// So a second gateway (or psql) can be pointed at the same data.
		"databaseUrl": databaseURL,
		"stateDir":    abs(c.StateDir),

		// Enterprise test certificates (x5c grants) and the CA that issued them.
		"testCaFile":              abs(certs.TestCAFile),
		"clientCertFile":          abs(certs.ClientCertFile),
		"clientCertKeyFile":       abs(certs.ClientCertKeyFile),
		"serviceOwnerCertFile":    abs(certs.ServiceOwnerCertFile),
		"serviceOwnerCertKeyFile": abs(certs.ServiceOwnerCertKeyFile),
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func printHowTo(w io.Writer, c Config, d *seed.Demo, demoFile, databaseURL string, took time.Duration) {
	fmt.Fprintf(w, `
System User gateway is ready (%s).

  GraphQL + GraphiQL   %[2]s/            (POST %[2]s/graphql)
  Maskinporten sim     %[3]s/.well-known/oauth-authorization-server
  Token debugger       %[3]s/control/debugger   (control API: %[3]s/openapi.json)
  Demo settings        %[4]s

Try it:
  curl -s %[2]s/readyz
  curl -s %[2]s/graphql -H 'Content-Type: application/json' \
    -d '{"query":"{ systems(first: 10) { totalCount edges { node { systemId vendor { orgNumber name } } } } }"}'
  go run ./cmd/systemuser token --dev --scope altinn:authentication/systemuser.request.write
  go run ./cmd/systemuser token --dev --x5c --scope altinn:authentication/systemuser.request.write
  go run ./cmd/systemuser token person --pid %[5]s --issuer %[3]s/

Demo world: vendor %[6]s with system %[7]s (client %[8]s), customer %[9]s
administered by person %[5]s, service owner client %[10]s; a second vendor
(client %[11]s) and Maskinporten's lookup client (%[12]s) for cross-tenant checks.
Your own world: --world FILE, or curl --data-binary @world.yaml %[2]s/dev/world
Database: %[13]s
Ctrl-C stops everything, including the embedded PostgreSQL.
`, took.Round(time.Millisecond), c.GatewayURL, c.SimulatorURL, demoFile, d.AdminPID,
		d.VendorOrgNumber, d.SystemID, d.ClientID, d.CustomerOrgNumber, d.ServiceOwnerClientID,
		d.OtherVendorClientID, d.LookupClientID, databaseURL)
}

// openMigrated opens DATABASE_URL and applies migrations when asked.
func openMigrated(ctx context.Context, dsn string, migrate bool) (*bun.DB, error) {
	if dsn == "" {
		return nil, fmt.Errorf("DATABASE_URL (or --database-url) is required; `systemuser dev` starts an embedded database")
	}
	bdb, err := db.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := db.Migrate(ctx, bdb); err != nil {
			bdb.Close()
			return nil, err
		}
	}
	return bdb, nil
}
