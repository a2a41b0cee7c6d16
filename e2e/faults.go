package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

// StopPostgres stops the database container as an operator or a crash
// would (fast shutdown: sessions are terminated), leaving the gateway and
// the simulator running. Run it from a test that is not parallel with
// others on the same Stack.
func (s *Stack) StopPostgres(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	timeout := 10 * time.Second
	if err := s.pg.Stop(ctx, &timeout); err != nil {
		return fmt.Errorf("e2e: stop postgres: %w", err)
	}
	return nil
}

// StartPostgres starts the database container again and returns the moment
// it first answered a query from the host: the reference for how fast the
// services recover.
func (s *Stack) StartPostgres(ctx context.Context) (ready time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return time.Time{}, errClosed
	}
	if err := s.pg.Start(ctx); err != nil {
		return time.Time{}, fmt.Errorf("e2e: start postgres: %w%s", err, logTail(ctx, s.pg))
	}
	// The container's wait strategy reads log lines the first start already
	// wrote; a fresh connection per attempt is the honest test.
	ctx, cancel := context.WithTimeout(ctx, s.opts.StartupTimeout)
	defer cancel()
	for {
		if err := pingOnce(ctx, s.DatabaseURL); err == nil {
			return time.Now(), nil
		} else if ctx.Err() != nil {
			return time.Time{}, fmt.Errorf("e2e: postgres not ready: %w", err)
		}
		time.Sleep(5 * time.Millisecond) // polling the server, as a probe does
	}
}

func pingOnce(ctx context.Context, dsn string) error {
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn), pgdriver.WithTimeout(time.Second)))
	defer db.Close()
	return db.PingContext(ctx)
}

// TerminateListeners ends the database sessions that LISTEN for the
// services' events (pg_terminate_backend), as a failover or an idle-session
// reaper would, and returns how many it ended.
func (s *Stack) TerminateListeners(ctx context.Context) (int, error) {
	var n int
	err := s.DB.NewRaw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("e2e: terminate listeners: %w", err)
	}
	return n, nil
}
