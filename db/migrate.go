package db

import (
	"context"
	"embed"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey serialises migrators across processes. A session-level
// advisory lock is released by Postgres when the holder dies, unlike bun's
// lock-table row, which stays behind after a crash.
const migrationLockKey = 7_316_453_022

// Migrations returns the embedded SQL migrations. They are embedded (not
// discovered from the source tree) so a shipped binary carries them.
func Migrations() (*migrate.Migrations, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(migrationFiles); err != nil {
		return nil, fmt.Errorf("db: discover migrations: %w", err)
	}
	return ms, nil
}

// Migrator runs migrations under a cross-process advisory lock. Each migration
// is marked applied only after it succeeded (bun marks before by default).
type Migrator struct {
	db *bun.DB
	m  *migrate.Migrator
}

// NewMigrator prepares a migrator for bdb.
func NewMigrator(bdb *bun.DB) (*Migrator, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	return &Migrator{db: bdb, m: migrate.NewMigrator(bdb, ms, migrate.WithMarkAppliedOnSuccess(true))}, nil
}

func (m *Migrator) locked(ctx context.Context, fn func() error) error {
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("db: migration lock: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
		return fmt.Errorf("db: migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey) //nolint:errcheck // the lock dies with the session anyway
	if err := m.m.Init(ctx); err != nil {
		return fmt.Errorf("db: init migrations table: %w", err)
	}
	return fn()
}

// Up applies every pending migration and returns the names applied.
func (m *Migrator) Up(ctx context.Context) ([]string, error) {
	var names []string
	err := m.locked(ctx, func() error {
		group, err := m.m.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("db: migrate up: %w", err)
		}
		for _, mig := range group.Migrations {
			names = append(names, mig.String())
		}
		return nil
	})
	return names, err
}

// Down rolls back the last applied group and returns the names rolled back.
func (m *Migrator) Down(ctx context.Context) ([]string, error) {
	var names []string
	err := m.locked(ctx, func() error {
		group, err := m.m.Rollback(ctx)
		if err != nil {
			return fmt.Errorf("db: migrate down: %w", err)
		}
		for _, mig := range group.Migrations {
			names = append(names, mig.String())
		}
		return nil
	})
	return names, err
}

// MigrationStatus is one migration and whether it has been applied.
type MigrationStatus struct {
	Name    string
	Applied bool
}

// Status lists every known migration in order with its state.
func (m *Migrator) Status(ctx context.Context) ([]MigrationStatus, error) {
	var out []MigrationStatus
	err := m.locked(ctx, func() error {
		ms, err := m.m.MigrationsWithStatus(ctx)
		if err != nil {
			return fmt.Errorf("db: migration status: %w", err)
		}
		for _, mig := range ms {
			out = append(out, MigrationStatus{Name: mig.String(), Applied: mig.IsApplied()})
		}
		return nil
	})
	return out, err
}

// Pending reports how many migrations are not applied; readiness uses it.
func (m *Migrator) Pending(ctx context.Context) (int, error) {
	ms, err := m.m.MigrationsWithStatus(ctx)
	if err != nil {
		return 0, fmt.Errorf("db: migration status: %w", err)
	}
	return len(ms.Unapplied()), nil
}

// Migrate applies every pending migration to bdb.
func Migrate(ctx context.Context, bdb *bun.DB) error {
	m, err := NewMigrator(bdb)
	if err != nil {
		return err
	}
	_, err = m.Up(ctx)
	return err
}
