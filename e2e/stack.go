package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/postgres"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/uptrace/bun"
	"golang.org/x/sync/errgroup"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/seed"
	"github.com/systemuser-gateway/systemuser/simulator/mpclient"
)

const (
	pgUser     = "systemuser"
	pgPassword = "systemuser"
	pgDatabase = "systemuser"
	// networkDatabaseURL is how the containers reach PostgreSQL.
	networkDatabaseURL = "postgres://" + pgUser + ":" + pgPassword + "@db:5432/" + pgDatabase + "?sslmode=disable"
)

// Stack is a running gateway, simulator and PostgreSQL. Its fields do not
// change after Start (the gateway keeps its URL across RestartGateway), so
// parallel tests may read them freely.
type Stack struct {
	// GatewayURL and SimulatorURL are the loopback URLs the host reaches
	// the services on, e.g. http://127.0.0.1:41234.
	GatewayURL   string
	SimulatorURL string
	// Issuer is the iss of the simulator's tokens and the aud assertions
	// must carry (the constant Issuer).
	Issuer string
	// DatabaseURL reaches PostgreSQL from the host.
	DatabaseURL string
	// Demo names the seeded world; its key files are in a temp dir removed
	// by Close.
	Demo *seed.Demo
	// DB is a host-side connection to the stack's database, for assertions
	// on stored state.
	DB *bun.DB
	// HTTP is the client the helpers use.
	HTTP *http.Client

	opts    Options
	keyDir  string
	keysMu  sync.RWMutex
	keys    map[string]jose.JSONWebKey // client id -> private key
	network *testcontainers.DockerNetwork
	pg      *postgres.PostgresContainer
	gateway *testcontainers.DockerContainer
	sim     *testcontainers.DockerContainer

	mu        sync.Mutex
	extra     []*testcontainers.DockerContainer // StartGateway's instances
	instances int
	closed    bool
	closeErr  error
}

// Start creates a Docker network, starts PostgreSQL, migrates and seeds it
// from the host, then starts the gateway and the simulator and waits until
// both are ready. On error everything already started is removed. If Docker
// or an image is unavailable the error is an *UnavailableError.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	opts = opts.withDefaults()
	if err := Preflight(ctx, opts); err != nil {
		return nil, err
	}
	log := opts.Logger
	s := &Stack{Issuer: Issuer, opts: opts, HTTP: &http.Client{Timeout: 30 * time.Second}}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	begin := time.Now()

	if s.network, err = tcnetwork.New(ctx); err != nil {
		return nil, fmt.Errorf("e2e: network: %w", err)
	}
	t := time.Now()
	if err := s.startPostgres(ctx); err != nil {
		return nil, err
	}
	log.Info("e2e: postgres ready", "image", opts.PostgresImage, "took", time.Since(t).Round(time.Millisecond))

	t = time.Now()
	if err := s.seed(ctx); err != nil {
		return nil, err
	}
	log.Info("e2e: database migrated and seeded", "took", time.Since(t).Round(time.Millisecond))

	t = time.Now()
	g, gctx := errgroup.WithContext(ctx)
	var gwPort, simPort string
	if simPort, err = freePort(); err != nil {
		return nil, err
	}
	simURL := "http://127.0.0.1:" + simPort
	g.Go(func() error {
		var err error
		s.gateway, gwPort, err = opts.runApp(gctx, s.gatewaySpec("gateway", simURL))
		return err
	})
	g.Go(func() error {
		// The simulator publishes on the port picked above so the gateway's
		// login links can name it before it exists.
		var err error
		s.sim, err = opts.runAppOn(gctx, s.simulatorSpec(simURL), simPort)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	s.GatewayURL = "http://127.0.0.1:" + gwPort
	s.SimulatorURL = simURL
	log.Info("e2e: gateway and simulator ready", "image", opts.Image, "took", time.Since(t).Round(time.Millisecond),
		"total", time.Since(begin).Round(time.Millisecond), "gateway", s.GatewayURL, "simulator", s.SimulatorURL)
	return s, nil
}

// StartT starts a Stack for tb and removes it when tb ends. When Docker or
// an image is unavailable it skips tb with a loud message, or fails it when
// SYSTEMUSER_E2E_REQUIRED=1.
func StartT(tb testing.TB, opts ...Option) *Stack {
	tb.Helper()
	var o Options
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := Start(ctx, o)
	SkipUnavailable(tb, err)
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("e2e: close stack: %v", err)
		}
	})
	return s
}

func (s *Stack) startPostgres(ctx context.Context) error {
	// A fixed host port, as for the gateway: Docker would pick a new one
	// when the fault suite restarts the container, and DatabaseURL and DB
	// must keep working.
	hostPort, err := freePort()
	if err != nil {
		return err
	}
	s.pg, err = postgres.Run(ctx, s.opts.PostgresImage,
		testcontainers.WithLogger(tcLogger{&s.opts}),
		postgres.WithDatabase(pgDatabase),
		postgres.WithUsername(pgUser),
		postgres.WithPassword(pgPassword),
		publishOnLoopback(postgresPort, hostPort),
		tcnetwork.WithNetwork([]string{"db"}, s.network),
		// The module's default wait reads the official image's log lines;
		// these hold for any image that starts PostgreSQL the same way.
		postgres.BasicWaitStrategies(),
	)
	if err != nil {
		var tail string
		if s.pg != nil {
			tail = logTail(ctx, s.pg)
		}
		return fmt.Errorf("e2e: start postgres: %w%s", err, tail)
	}
	port, err := s.pg.MappedPort(ctx, postgresPort)
	if err != nil {
		return fmt.Errorf("e2e: postgres port: %w", err)
	}
	s.DatabaseURL = fmt.Sprintf("postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable", pgUser, pgPassword, port.Port(), pgDatabase)
	return nil
}

// seed migrates and loads the demo world from the host, so the gateway and
// the simulator can start side by side (the simulator needs a migrated
// database and does not migrate).
func (s *Stack) seed(ctx context.Context) error {
	var err error
	if s.DB, err = db.Open(ctx, s.DatabaseURL); err != nil {
		return fmt.Errorf("e2e: open database: %w", err)
	}
	if err := db.Migrate(ctx, s.DB); err != nil {
		return fmt.Errorf("e2e: migrate: %w", err)
	}
	if s.keyDir, err = os.MkdirTemp("", "systemuser-e2e-keys-"); err != nil {
		return fmt.Errorf("e2e: key dir: %w", err)
	}
	if s.Demo, err = seed.Load(ctx, s.DB, s.keyDir); err != nil {
		return fmt.Errorf("e2e: seed: %w", err)
	}
	s.keys = make(map[string]jose.JSONWebKey, len(s.Demo.KeyFiles))
	for id, path := range s.Demo.KeyFiles {
		if s.keys[id], err = mpclient.LoadKey(path); err != nil {
			return fmt.Errorf("e2e: %w", err)
		}
	}
	return nil
}

// gatewaySpec is a gateway container; simURL is the simulator's host URL,
// where the confirm pages send a person to log in.
func (s *Stack) gatewaySpec(alias, simURL string) appContainer {
	return appContainer{
		alias: alias,
		args:  []string{"gateway", "--migrate"},
		env: map[string]string{
			"DATABASE_URL":               networkDatabaseURL,
			"SYSTEMUSER_GATEWAY_ADDR":    ":8080",
			"SYSTEMUSER_SIMULATOR_URL":   simURL,
			"SYSTEMUSER_ISSUER":          Issuer,
			"SYSTEMUSER_TRUSTED_ISSUERS": Issuer + "=" + Issuer + "jwk",
			"SYSTEMUSER_STATE_DIR":       "/tmp/systemuser",
			"SYSTEMUSER_LOG_LEVEL":       s.opts.LogLevel,
		},
		port:    gatewayPort,
		urlEnv:  "SYSTEMUSER_GATEWAY_URL", // confirm URLs must open on the host
		ready:   "/readyz",
		network: s.network,
	}
}

func (s *Stack) simulatorSpec(simURL string) appContainer {
	return appContainer{
		alias: "simulator",
		args:  []string{"simulator"},
		env: map[string]string{
			"DATABASE_URL":              networkDatabaseURL,
			"SYSTEMUSER_SIMULATOR_ADDR": ":8090",
			"SYSTEMUSER_SIMULATOR_URL":  simURL,
			"SYSTEMUSER_ISSUER":         Issuer,
			"SYSTEMUSER_GATEWAY_URL":    "http://gateway:8080",
			"SYSTEMUSER_STATE_DIR":      "/tmp/systemuser",
			"SYSTEMUSER_LOG_LEVEL":      s.opts.LogLevel,

			// The harness creates clients and person tokens through them.
			"SYSTEMUSER_DEV_ENDPOINTS": "true",
			// Test stacks serve the control API (faults, request log,
			// clock, keys, clients, claims): see Stack.Control.
			"SYSTEMUSER_SIMULATOR_CONTROL": "true",
		},
		port:    simulatorPort,
		ready:   "/.well-known/oauth-authorization-server",
		network: s.network,
	}
}

// Close terminates every container and the network and removes the key
// files. It is safe to call more than once.
func (s *Stack) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	var errs []error
	for _, c := range s.extra {
		errs = append(errs, terminate(c))
	}
	if s.sim != nil {
		errs = append(errs, terminate(s.sim))
	}
	if s.gateway != nil {
		errs = append(errs, terminate(s.gateway))
	}
	if s.DB != nil {
		errs = append(errs, s.DB.Close())
	}
	if s.pg != nil {
		errs = append(errs, terminate(s.pg))
	}
	errs = append(errs, removeNetwork(s.network))
	if s.keyDir != "" {
		errs = append(errs, os.RemoveAll(s.keyDir))
	}
	s.closeErr = errors.Join(errs...)
	return s.closeErr
}
