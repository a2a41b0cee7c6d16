package ephemeral

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is a running PostgreSQL server started by Start.
type Server struct {
	url         string
	pid         int
	initialized bool
	logger      *slog.Logger
	stopOnce    sync.Once
	stopErr     error
	stop        func(context.Context) error
}

// URL is a postgres:// URL for Options.Database (sslmode=disable) that pgdriver accepts.
func (s *Server) URL() string { return s.url }

// PID is the postmaster's process id; 0 for a container.
func (s *Server) PID() int { return s.pid }

// Initialized reports whether this Start created the cluster (cold start) rather than
// reusing one.
func (s *Server) Initialized() bool { return s.initialized }

// Stop shuts the server down and waits for it; ctx bounds the graceful phase. Later calls
// return the first call's result.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		start := time.Now()
		s.stopErr = s.stop(ctx)
		s.logger.Info("postgres stopped", slog.Duration("took", time.Since(start)), slog.Any("error", s.stopErr))
	})
	return s.stopErr
}

var errExited = errors.New("ephemeral: postgres exited during start-up")

// Start runs a PostgreSQL server as described by opts and returns once it accepts
// connections and opts.Database exists. Errors: ErrNoPostgres, ErrDataDirInUse,
// ErrDataDirUnreachable, or a wrapped start-up failure carrying the server's last log lines.
func Start(ctx context.Context, opts Options) (*Server, error) {
	passwordGiven := opts.Password != ""
	opts = opts.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()

	s, err := startLocal(ctx, opts)
	if !errors.Is(err, ErrNoPostgres) || opts.BinDir != "" {
		return s, err
	}
	if !opts.AllowDocker {
		return nil, fmt.Errorf("%w: install PostgreSQL (initdb, postgres) or allow the Docker fallback", ErrNoPostgres)
	}
	opts.Logger.Info("no local PostgreSQL binaries, starting a container", slog.String("image", opts.DockerImage))
	if !passwordGiven {
		// The container publishes its port on the host, so a well-known
		// password would open the database to anyone who can reach it.
		opts.Password = randomPassword()
	}
	return startDocker(ctx, opts)
}

func startLocal(ctx context.Context, opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("ephemeral: Options.DataDir is required")
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("ephemeral: %w", err)
	}
	acc, accErr := serverAccount()
	if accErr == nil {
		if dir, err = resolveDataDir(acc, dir, opts.FallbackDir, opts.Logger); err != nil {
			return nil, err
		}
	}
	if opts.Fresh {
		if err := wipe(dir); err != nil {
			return nil, err
		}
	}
	version, err := clusterVersion(dir)
	if err != nil {
		return nil, err
	}
	bin, err := findBinaries(opts, version)
	if err != nil {
		return nil, err
	}
	if accErr != nil {
		return nil, accErr
	}
	if err := makeDataDir(acc, dir); err != nil {
		return nil, err
	}

	start := time.Now()
	initialized := version == ""
	if initialized {
		if err := initCluster(ctx, opts, bin, acc, dir); err != nil {
			return nil, err
		}
		opts.Logger.Info("postgres cluster created", slog.String("dir", dir), slog.Duration("took", time.Since(start)))
	} else if err := clearStalePID(dir); err != nil {
		return nil, err
	}

	pm, port, err := launch(ctx, opts, bin, acc, dir)
	if err != nil {
		return nil, err
	}
	s := &Server{
		url:         buildURL(opts, "127.0.0.1:"+strconv.Itoa(port), opts.Database),
		pid:         pm.pid(),
		initialized: initialized,
		logger:      opts.Logger,
		stop:        pm.stop,
	}
	admin := buildURL(opts, "127.0.0.1:"+strconv.Itoa(port), "postgres")
	if err := ensureDatabase(ctx, admin, opts.Database); err != nil {
		return nil, errors.Join(err, s.Stop(context.WithoutCancel(ctx)))
	}
	opts.Logger.Info("postgres ready",
		slog.Int("port", port), slog.Int("pid", s.pid), slog.Bool("cold", initialized),
		slog.Duration("took", time.Since(start)))
	return s, nil
}

func initCluster(ctx context.Context, opts Options, bin binaries, acc account, dir string) error {
	if opts.InitCache == "" {
		return initdb(ctx, bin, acc, dir, opts.User)
	}
	cache, err := filepath.Abs(opts.InitCache)
	if err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	return initFromCache(ctx, bin, acc, cache, dir, opts.User)
}

// launch starts the postmaster and waits until it answers. A port picked by us can be
// taken by someone else before postgres binds it; then we try another one.
func launch(ctx context.Context, opts Options, bin binaries, acc account, dir string) (*postmaster, int, error) {
	const attempts = 3
	for i := 1; ; i++ {
		port := opts.Port
		if port == 0 {
			p, err := freePort()
			if err != nil {
				return nil, 0, err
			}
			port = p
		}
		lw := &logWriter{logger: opts.Logger}
		pm, err := startPostmaster(bin, acc, dir, port, lw, opts.Settings)
		if err != nil {
			return nil, 0, err
		}
		err = waitReady(ctx, buildURL(opts, "127.0.0.1:"+strconv.Itoa(port), "postgres"), pm.done)
		if err == nil {
			return pm, port, nil
		}
		if errors.Is(err, errExited) {
			<-pm.done
			if opts.Port == 0 && i < attempts && lw.contains("could not bind") {
				continue
			}
			return nil, 0, pm.exitError()
		}
		return nil, 0, errors.Join(err, pm.stop(context.WithoutCancel(ctx)))
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("ephemeral: pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func buildURL(opts Options, hostport, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(opts.User, opts.Password),
		Host:     hostport,
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// ensureDatabase creates database unless it exists; CREATE DATABASE has no IF NOT EXISTS.
func ensureDatabase(ctx context.Context, adminURL, database string) error {
	if database == "postgres" {
		return nil
	}
	db, err := sql.Open("pg", adminURL)
	if err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", database).Scan(&exists); err != nil {
		return fmt.Errorf("ephemeral: look up database: %w", err)
	}
	if exists {
		return nil
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+QuoteIdent(database)); err != nil {
		return fmt.Errorf("ephemeral: create database: %w", err)
	}
	return nil
}

// QuoteIdent quotes a PostgreSQL identifier.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// randomPassword is 128 random bits, hex-encoded (safe in a URL).
func randomPassword() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}
