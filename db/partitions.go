package db

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// The decision log is partitioned by UTC day (migration
// 20261130170000_decisions_partitioned). DecisionMaintainer keeps the
// partitions ahead of the clock and drops the days that fell out of the
// retention window.

const (
	decisionPartitionPrefix = "decisions_p"
	decisionPartitionLayout = "20060102"
	// maintenanceLockKey serialises the maintenance of every instance: two
	// creating the same partition at once would fail one of them.
	maintenanceLockKey = 7_316_453_023
)

// DecisionMaintainer creates the decision log's partitions ahead of time and
// drops those entirely older than Retention.
type DecisionMaintainer struct {
	DB *bun.DB
	// Retention keeps the decisions of at least this long; a partition is
	// dropped only when its last instant is older than now-Retention. Zero
	// keeps everything.
	Retention time.Duration
	// AheadDays partitions are created past today (default 7), so a
	// maintenance run may be missed for days without writes landing in the
	// default partition.
	AheadDays int
	// Every is the interval between runs (default 1 h).
	Every  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// MaintenanceResult says what one run changed.
type MaintenanceResult struct {
	Created int
	Dropped []string // partition names
}

// Run maintains once at once and then every Every until ctx ends. A failed
// run is logged and retried at the next tick: the log keeps working on the
// partitions that exist (and the default partition).
func (m *DecisionMaintainer) Run(ctx context.Context) error {
	every := m.Every
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		res, err := m.MaintainOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			m.logger().Error("decision log maintenance failed", "error", err)
		case err == nil && (res.Created > 0 || len(res.Dropped) > 0):
			m.logger().Info("decision log maintained", "created", res.Created, "dropped", res.Dropped)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (m *DecisionMaintainer) logger() *slog.Logger {
	if m.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Logger
}

// MaintainOnce creates the partitions from today to AheadDays ahead and drops
// the expired ones, in one transaction under a lock shared by all instances.
func (m *DecisionMaintainer) MaintainOnce(ctx context.Context) (MaintenanceResult, error) {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	ahead := m.AheadDays
	if ahead <= 0 {
		ahead = 7
	}
	t := now().UTC()
	today := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	var res MaintenanceResult
	err := m.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", maintenanceLockKey); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "SELECT decisions_ensure_partitions(?::date, ?::date)",
			today.Format(time.DateOnly), today.AddDate(0, 0, ahead).Format(time.DateOnly)).Scan(&res.Created); err != nil {
			return fmt.Errorf("create partitions: %w", err)
		}
		if m.Retention <= 0 {
			return nil
		}
		expired, err := expiredDecisionPartitions(ctx, tx, t.Add(-m.Retention))
		if err != nil {
			return err
		}
		for _, name := range expired {
			// DROP, not DELETE: the append-only triggers forbid removing rows,
			// and a whole day goes at once without touching them.
			if _, err := tx.ExecContext(ctx, "DROP TABLE "+quoteIdent(name)); err != nil {
				return fmt.Errorf("drop %s: %w", name, err)
			}
			res.Dropped = append(res.Dropped, name)
		}
		return nil
	})
	if err != nil {
		return MaintenanceResult{}, fmt.Errorf("db: decision log maintenance: %w", err)
	}
	return res, nil
}

// DecisionPartitions lists the daily partitions of the decision log (not the
// default one), oldest first, with the UTC day each holds.
func DecisionPartitions(ctx context.Context, q bun.IDB) ([]DecisionPartition, error) {
	var names []string
	err := q.NewRaw(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'decisions'::regclass ORDER BY c.relname`).Scan(ctx, &names)
	if err != nil {
		return nil, fmt.Errorf("db: list decision partitions: %w", err)
	}
	var parts []DecisionPartition
	for _, n := range names {
		day, ok := strings.CutPrefix(n, decisionPartitionPrefix)
		if !ok {
			continue
		}
		d, err := time.Parse(decisionPartitionLayout, day)
		if err != nil {
			continue // not one of ours
		}
		parts = append(parts, DecisionPartition{Name: n, Day: d})
	}
	return parts, nil
}

// DecisionPartition is one day of the decision log: [Day, Day+24h) UTC.
type DecisionPartition struct {
	Name string
	Day  time.Time
}

// expiredDecisionPartitions are the partitions whose every instant is before
// cutoff. The partition of cutoff's own day is kept, even though part of it
// is older than the window.
func expiredDecisionPartitions(ctx context.Context, q bun.IDB, cutoff time.Time) ([]string, error) {
	parts, err := DecisionPartitions(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range parts {
		if !p.Day.AddDate(0, 0, 1).After(cutoff) {
			out = append(out, p.Name)
		}
	}
	return out, nil
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
