package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/sync/errgroup"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/simulator"
	"github.com/systemuser-gateway/systemuser/simulator/pgstore"
	"github.com/systemuser-gateway/systemuser/telemetry"
)

// App is the gateway and the simulator on their own listeners, sharing one
// database. Tests start it in-process on ":0".
type App struct {
	Config Config
	DB     *bun.DB
	Logger *slog.Logger
	// RunGateway and RunSimulator choose what Listen, Build and Serve start.
	RunGateway, RunSimulator bool
	// SimulatorClients and SimulatorPersons override the Postgres stores
	// (the standalone simulator reads them from a file).
	SimulatorClients simulator.ClientStore
	SimulatorPersons simulator.PersonStore
	// Tracing, when on, wraps both listeners in otelhttp and adds the
	// gateway's GraphQL spans; nil or off adds nothing.
	Tracing *telemetry.Tracing
	// WorldLoader serves POST /dev/world (dev only).
	WorldLoader gateway.WorldLoader

	// Timeouts of the HTTP servers; zero fields take the defaults.
	Timeouts Timeouts

	gatewayLn, simulatorLn net.Listener
	Gateway                *gateway.Server
	Simulator              *simulator.Server
	listener               *db.Listener
	pdp                    *pdp.Engine
	decisionLog            *db.DecisionMaintainer
	registry               *registry.Service
}

// Listen binds both listeners and fills in the public URLs and issuer from
// the bound ports when they were not configured.
func (a *App) Listen() error {
	var err error
	if a.RunGateway {
		if a.gatewayLn, err = net.Listen("tcp", a.Config.GatewayAddr); err != nil {
			return fmt.Errorf("gateway listen: %w", err)
		}
		if a.Config.GatewayURL == "" {
			a.Config.GatewayURL = localURL(a.gatewayLn.Addr())
		}
	}
	if a.RunSimulator {
		if a.simulatorLn, err = net.Listen("tcp", a.Config.SimulatorAddr); err != nil {
			if a.gatewayLn != nil {
				a.gatewayLn.Close()
			}
			return fmt.Errorf("simulator listen: %w", err)
		}
		if a.Config.SimulatorURL == "" {
			a.Config.SimulatorURL = localURL(a.simulatorLn.Addr())
		}
	}
	if a.Config.GatewayURL == "" {
		a.Config.GatewayURL = "http://localhost:8080"
	}
	if a.Config.SimulatorURL == "" {
		a.Config.SimulatorURL = "http://localhost:8090"
	}
	if a.Config.Issuer == "" {
		a.Config.Issuer = strings.TrimSuffix(a.Config.SimulatorURL, "/") + "/"
	}
	return nil
}

func localURL(addr net.Addr) string {
	port := addr.(*net.TCPAddr).Port
	return fmt.Sprintf("http://localhost:%d", port)
}

// Build creates the gateway and simulator handlers.
func (a *App) Build() error {
	if a.RunGateway {
		if err := a.buildGateway(); err != nil {
			return err
		}
	}
	if a.RunSimulator {
		return a.buildSimulator()
	}
	return nil
}

func (a *App) buildGateway() error {
	issuers, err := trustedIssuers(a.Config)
	if err != nil {
		return err
	}
	cors, err := gateway.ParseCORSOrigins(a.Config.CORSOrigins)
	if err != nil {
		return err
	}
	retention, err := parseRetention(a.Config.DecisionRetention)
	if err != nil {
		return err
	}
	a.decisionLog = &db.DecisionMaintainer{DB: a.DB, Retention: retention, Logger: a.Logger.With("component", "decision-log")}
	reg := registry.New(a.DB, registry.Options{PublicURL: a.Config.GatewayURL, Logger: a.Logger})
	a.registry = reg
	verifier := auth.NewVerifier(issuers, nil, nil, a.Logger.With("component", "auth"))
	a.listener = db.NewListener(a.DB, a.Logger.With("component", "listener"))
	a.pdp = pdp.New(a.DB, pdp.Options{
		Logger:   a.Logger.With("component", "pdp"),
		Listener: a.listener,
		Verifier: verifier,
	})
	a.Gateway = gateway.New(gateway.Config{
		PublicURL:      a.Config.GatewayURL,
		LoginURL:       strings.TrimSuffix(a.Config.SimulatorURL, "/") + "/login",
		TrustedIssuers: issuers,
		Audiences:      splitList(a.Config.Audiences),
		GraphQL:        gateway.GraphQLConfig{Introspection: a.Config.Introspection, MaxConcurrent: a.Config.GraphQLMaxConcurrent},
		DisableMetrics: !a.Config.Metrics,
		Tracing:        a.Tracing,
		WorldLoader:    a.WorldLoader,
		CORSOrigins:    cors,
	}, gateway.Deps{DB: db.Probe{DB: a.DB}, Registry: reg, PDP: a.pdp, Events: a.listener, Verifier: verifier,
		Logger: a.Logger.With("component", "gateway")})
	return nil
}

func (a *App) buildSimulator() error {
	clients, persons := a.SimulatorClients, a.SimulatorPersons
	if clients == nil {
		clients = pgstore.NewClients(a.DB, 2*time.Second)
	}
	if persons == nil {
		persons = pgstore.NewPersons(a.DB)
	}
	// With a database, used grants are shared by every simulator instance on
	// it and survive a restart; without one (--config) they stay in memory.
	var replay simulator.ReplayStore
	if a.DB != nil {
		replay = pgstore.NewReplay(a.DB)
	}
	roots, err := trustedCAPool(a.Config.TrustedCAFiles)
	if err != nil {
		return err
	}
	keys, err := simulator.NewKeySet(simulator.KeyOptions{Path: filepath.Join(a.Config.StateDir, "simulator-keys.json")})
	if err != nil {
		return fmt.Errorf("simulator keys: %w", err)
	}
	a.Simulator, err = simulator.NewServer(simulator.Config{
		Issuer:       a.Config.Issuer,
		GatewayURL:   a.Config.GatewayURL,
		AdminOpen:    a.Config.AdminOpen,
		Keys:         keys,
		Clients:      clients,
		Persons:      persons,
		Replay:       replay,
		Control:      a.Config.SimulatorControl,
		ClientKeyDir: a.Config.ClientKeyDir,
		Logger:       a.Logger.With("component", "simulator"),
		// Metrics is registered by the simulator command and dev.
		DisableMetrics: !a.Config.Metrics,

		// Explicit, never implied by AdminOpen: an App built by a test or an
		// embedder gets the dev endpoints only when it asks for them.
		DevEndpoints:          a.Config.DevEndpoints,
		AllowPrivilegedScopes: a.Config.AdminPrivilegedScopes,
		TrustedCAs:            roots,
	})
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	return nil
}

var errNoTrustedIssuers = errors.New("no trusted token issuer: set --trusted-issuers (SYSTEMUSER_TRUSTED_ISSUERS) " +
	"or, for a local stack, --trust-local-simulator (SYSTEMUSER_TRUST_LOCAL_SIMULATOR)")

// trustedIssuers parses "iss=jwks,iss=jwks". The bundled simulator is trusted
// only when asked (dev asks), never by default: anyone who can run a
// simulator could otherwise mint any token the gateway accepts.
func trustedIssuers(c Config) ([]auth.TrustedIssuer, error) {
	if c.TrustedIssuers == "" {
		if !c.TrustLocalSimulator {
			return nil, errNoTrustedIssuers
		}
		return []auth.TrustedIssuer{{Issuer: c.Issuer, JWKSURL: strings.TrimSuffix(c.SimulatorURL, "/") + "/jwk"}}, nil
	}
	return parseTrustedIssuers(c.TrustedIssuers)
}

func parseTrustedIssuers(list string) ([]auth.TrustedIssuer, error) {
	if list == "" {
		return nil, nil
	}
	var out []auth.TrustedIssuer
	for _, pair := range strings.Split(list, ",") {
		iss, jwks, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || iss == "" || jwks == "" {
			return nil, fmt.Errorf("trusted issuer %q: want issuer=jwks-url", pair)
		}
		if err := checkURL(jwks); err != nil {
			return nil, fmt.Errorf("trusted issuer %q: jwks url %w", pair, err)
		}
		out = append(out, auth.TrustedIssuer{Issuer: iss, JWKSURL: jwks})
	}
	return out, nil
}

// Serve runs both servers until ctx ends, then shuts down in order:
//
//  1. drain: /readyz answers 503 and every response closes its connection,
//     for Config.DrainPeriod, so load balancers stop sending new work and
//     keep-alive clients move on without a failed request;
//  2. shut down: keep-alives off, the listeners close, in-flight requests
//     finish (within Config.ShutdownTimeout);
//  3. flush: the decision log is written out, then the event listener
//     stops. The database is closed by the caller after Serve returns.
func (a *App) Serve(ctx context.Context) error {
	var servers []*http.Server
	var lns []net.Listener
	var drain drainer
	if a.RunGateway {
		servers, lns = append(servers, newHTTPServer(drain.wrap(a.Tracing.HTTPHandler(a.Gateway, "gateway")), a.Logger, a.Timeouts)), append(lns, a.gatewayLn)
	}
	if a.RunSimulator {
		servers, lns = append(servers, newHTTPServer(drain.wrap(a.Tracing.HTTPHandler(a.Simulator, "simulator")), a.Logger, a.Timeouts)), append(lns, a.simulatorLn)
	}
	// The listener and the PDP's cache outlive the servers: requests
	// during the drain still decide from a live cache.
	bgCtx, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBg()
	g, gctx := errgroup.WithContext(ctx)
	if a.listener != nil {
		g.Go(func() error { return ignoreCanceled(a.listener.Run(bgCtx)) })
		g.Go(func() error { return ignoreCanceled(a.pdp.Run(bgCtx)) })
		g.Go(func() error { return ignoreCanceled(a.registry.RunCatalogCache(bgCtx, a.listener)) })
	}
	if a.decisionLog != nil {
		g.Go(func() error { return ignoreCanceled(a.decisionLog.Run(gctx)) })
	}
	for i, srv := range servers {
		g.Go(func() error {
			if err := srv.Serve(lns[i]); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		defer stopBg()
		if a.Gateway != nil {
			a.Gateway.Drain()
		}
		drain.on.Store(true)
		if d := a.Config.DrainPeriod; d > 0 && ctx.Err() != nil { // a signal, not a failed server
			a.Logger.Info("draining", "period", d)
			time.Sleep(d)
		}
		timeout := a.Config.ShutdownTimeout
		if timeout <= 0 {
			timeout = 10 * time.Second
		}
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		var errs []error
		for _, srv := range servers {
			srv.SetKeepAlivesEnabled(false)
			errs = append(errs, srv.Shutdown(shutdownCtx))
		}
		if a.pdp != nil {
			// After the servers: no decision can arrive any more, and the
			// decision log is flushed before the database closes.
			errs = append(errs, a.pdp.Close(shutdownCtx))
		}
		a.Logger.Info("shut down")
		return errors.Join(errs...)
	})
	return g.Wait()
}

// Timeouts bound how long one client may hold a server's connection.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// newHTTPServer sets every timeout, so a slow or silent client cannot hold
// a connection (and its goroutine) open. The gateway's websocket transport
// clears the read and write deadlines of its own, long-lived connections.
func newHTTPServer(h http.Handler, logger *slog.Logger, t Timeouts) *http.Server {
	def := func(d, fallback time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return fallback
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: def(t.ReadHeader, 5*time.Second),
		ReadTimeout:       def(t.Read, 30*time.Second),
		// Longer than any request should take (an authorize, a page of
		// systems), shorter than a client that stops reading.
		WriteTimeout: def(t.Write, 60*time.Second),
		IdleTimeout:  def(t.Idle, 120*time.Second),
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
