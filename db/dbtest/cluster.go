package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/ephemeral"
)

// EnvURL names the variable holding an admin URL of an existing server to use instead of
// starting one.
const EnvURL = "TEST_DATABASE_URL"

// EnvImage overrides the image of the Docker fallback (used only when no local
// PostgreSQL binaries exist).
const EnvImage = "SYSTEMUSER_POSTGRES_IMAGE"

// migrate builds the template's schema; a variable so this package's own tests can
// check that clones carry what it created.
var migrate = db.Migrate

// cluster is the server a test binary works against.
type cluster struct {
	adminURL string
	admin    *bun.DB
	template string
	server   *ephemeral.Server // nil with TEST_DATABASE_URL
	tmpDir   string
}

// state starts the cluster on first use and remembers the outcome, failure included:
// a server that failed to start for the first test will not start for the next one.
type state struct {
	mu   sync.Mutex
	done bool
	c    *cluster
	err  error
}

// shared is per test binary by nature: a test binary is one process, and every test in
// it shares the server and the template.
var shared state

func (s *state) get() (*cluster, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.done = true
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		s.c, s.err = startCluster(ctx)
	}
	return s.c, s.err
}

// shutdown drops the template and stops the server if this binary started one.
func (s *state) shutdown(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		return nil
	}
	c := s.c
	s.c, s.err = nil, errors.New("dbtest: used after Main finished")
	var errs []error
	if c.server == nil && c.template != "" {
		errs = append(errs, dropTemplate(ctx, c.admin, c.template))
	}
	errs = append(errs, c.admin.Close())
	if c.server != nil {
		errs = append(errs, c.server.Stop(ctx))
	}
	if c.tmpDir != "" {
		errs = append(errs, os.RemoveAll(c.tmpDir))
	}
	return errors.Join(errs...)
}

func startCluster(ctx context.Context) (_ *cluster, err error) {
	c := &cluster{adminURL: os.Getenv(EnvURL)}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.cleanupFailedStart())
		}
	}()
	if c.adminURL == "" {
		if err := c.startServer(ctx); err != nil {
			return nil, err
		}
	} else if err := checkURL(c.adminURL); err != nil {
		return nil, err
	}
	admin, err := db.Open(ctx, c.adminURL)
	if err != nil {
		return nil, fmt.Errorf("dbtest: connect to %s: %w", redact(c.adminURL), err)
	}
	c.admin = admin
	if err := c.createTemplate(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *cluster) startServer(ctx context.Context) error {
	// MkdirTemp makes a 0700 directory, which the unprivileged server account cannot
	// traverse when we run as root.
	tmp, err := os.MkdirTemp("", "dbtest-pg-")
	if err != nil {
		return fmt.Errorf("dbtest: %w", err)
	}
	c.tmpDir = tmp
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("dbtest: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := ephemeral.Start(ctx, ephemeral.Options{
		DataDir: filepath.Join(tmp, "pgdata"),
		// Shared by every test binary on the machine: initdb once, copy after.
		InitCache:   filepath.Join(os.TempDir(), "systemuser-dbtest-initdb"),
		Logger:      logger,
		AllowDocker: true,
		DockerImage: os.Getenv(EnvImage),
		Database:    "postgres",
	})
	if err != nil {
		return fmt.Errorf("dbtest: start PostgreSQL (or set %s): %w", EnvURL, err)
	}
	c.server = srv
	c.adminURL = srv.URL()
	return nil
}

// createTemplate migrates a new database once and freezes it as a template. Connections
// to it are closed before anyone clones it: CREATE DATABASE refuses a template in use.
func (c *cluster) createTemplate(ctx context.Context) error {
	name := "tpl_" + randomSuffix()
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+ephemeral.QuoteIdent(name)); err != nil {
		return fmt.Errorf("dbtest: create template: %w", err)
	}
	c.template = name
	tpl, err := db.Open(ctx, withDatabase(c.adminURL, name))
	if err != nil {
		return fmt.Errorf("dbtest: connect to template: %w", err)
	}
	err = migrate(ctx, tpl)
	if cerr := tpl.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("dbtest: migrate template: %w", err)
	}
	// ALLOW_CONNECTIONS false stops a stray connection from blocking every later clone.
	q := "ALTER DATABASE " + ephemeral.QuoteIdent(name) + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
	if _, err := c.admin.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("dbtest: freeze template: %w", err)
	}
	return nil
}

func dropTemplate(ctx context.Context, admin *bun.DB, name string) error {
	q := "ALTER DATABASE " + ephemeral.QuoteIdent(name) + " WITH IS_TEMPLATE false"
	if _, err := admin.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("dbtest: unfreeze template: %w", err)
	}
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+ephemeral.QuoteIdent(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("dbtest: drop template: %w", err)
	}
	return nil
}

func (c *cluster) cleanupFailedStart() error {
	ctx := context.Background()
	var errs []error
	if c.admin != nil {
		if c.template != "" && c.server == nil {
			errs = append(errs, dropTemplate(ctx, c.admin, c.template))
		}
		errs = append(errs, c.admin.Close())
	}
	if c.server != nil {
		errs = append(errs, c.server.Stop(ctx))
	}
	if c.tmpDir != "" {
		errs = append(errs, os.RemoveAll(c.tmpDir))
	}
	return errors.Join(errs...)
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return fmt.Errorf("dbtest: %s must be a postgres://user@host:port/db URL", EnvURL)
	}
	return nil
}

// withDatabase returns raw with its path replaced by database.
func withDatabase(raw, database string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + database
	u.RawPath = ""
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func randomSuffix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
