// Package db holds the bun models, the embedded SQL migrations and the
// queries of the System User domain. It imports nothing of ours but apperr.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Open connects to PostgreSQL at dsn (a postgres:// URL) and checks the
// connection. The caller closes the returned DB.
func Open(ctx context.Context, dsn string) (*bun.DB, error) {
	sqldb := sql.OpenDB(pgdriver.NewConnector(
		pgdriver.WithDSN(dsn),
		// A connection handed out by the pool is checked first (see
		// checkConn): a restart of Postgres must not fail the next request
		// on every pooled connection.
		pgdriver.WithResetSessionFunc(checkConn),
		// A server that is gone (a stopped container, a failover) would
		// otherwise hold each dial for 5 s, and readiness with it; and a
		// name that stops resolving while the server restarts falls back to
		// its last addresses (see dialer).
		withDialer(newDialer(time.Second)),
	))
	// Enough for 64 concurrent callers without queueing on a 2-core host;
	// Postgres' default max_connections is 100 and tests open several pools.
	sqldb.SetMaxOpenConns(32)
	sqldb.SetMaxIdleConns(32)
	// Idle connections go after a minute and every connection after half an
	// hour, so the pool sheds connections to a server that moved (DNS,
	// failover) and never keeps one across a quiet night.
	sqldb.SetConnMaxIdleTime(time.Minute)
	sqldb.SetConnMaxLifetime(30 * time.Minute)
	bdb := bun.NewDB(sqldb, pgdialect.New())
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := bdb.PingContext(pingCtx); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("db: ping: %w", err)
	}
	return bdb, nil
}

func withDialer(d *dialer) pgdriver.Option {
	return func(c *pgdriver.Config) {
		c.DialTimeout = d.timeout
		c.Dialer = d.dial
	}
}

// Ping checks that the database answers; readiness probes use it.
func Ping(ctx context.Context, bdb bun.IDB) error {
	var one int
	if err := bdb.NewRaw("SELECT 1").Scan(ctx, &one); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}

// Probe answers readiness checks on a database.
type Probe struct{ DB *bun.DB }

// Ping checks that the database answers.
func (p Probe) Ping(ctx context.Context) error { return Ping(ctx, p.DB) }

// PendingMigrations counts the migrations not yet applied.
func (p Probe) PendingMigrations(ctx context.Context) (int, error) {
	m, err := NewMigrator(p.DB)
	if err != nil {
		return 0, err
	}
	return m.Pending(ctx)
}

// IsUniqueViolation reports whether err is a Postgres unique_violation
// (23505), and which constraint or index it names.
func IsUniqueViolation(err error) (constraint string, ok bool) {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) && pgErr.Field('C') == "23505" {
		return pgErr.Field('n'), true
	}
	return "", false
}

// IsForeignKeyViolation reports whether err is a Postgres foreign_key_violation (23503).
func IsForeignKeyViolation(err error) (constraint string, ok bool) {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) && pgErr.Field('C') == "23503" {
		return pgErr.Field('n'), true
	}
	return "", false
}

// IsSerializationFailure reports whether err is a retryable serialization
// failure or deadlock (40001, 40P01); bun's RunInTx does not retry them.
func IsSerializationFailure(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		c := pgErr.Field('C')
		return c == "40001" || c == "40P01"
	}
	return false
}
