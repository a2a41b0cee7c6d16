package pgstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/simulator"
)

// Replay is a simulator.ReplayStore on Postgres: a grant used on one
// simulator instance is refused on every other instance sharing the
// database, and after a restart. Dead rows (expired grants) are taken over
// by an insert of the same key and purged at most once per PurgeInterval by
// whichever Use comes first, so the table holds about a minute of grants.
type Replay struct {
	db *bun.DB
	// PurgeInterval between deletions of expired rows, default one minute.
	PurgeInterval time.Duration

	lastPurge atomic.Int64 // unix nanoseconds of the simulator clock
}

var _ simulator.ReplayStore = (*Replay)(nil)

// NewReplay returns a replay store on bdb (migrated: simulator_used_grants).
func NewReplay(bdb *bun.DB) *Replay {
	return &Replay{db: bdb, PurgeInterval: time.Minute}
}

// Use inserts key unless a live row holds it. The insert and the liveness
// check are one statement, so two instances racing with the same grant
// cannot both succeed: the loser's ON CONFLICT sees the winner's live row.
// now is the simulator's clock, not the database's, so expiry is judged the
// same way as by the in-memory store.
func (r *Replay) Use(ctx context.Context, key simulator.ReplayKey, exp, now time.Time) error {
	r.maybePurge(ctx, now)
	res, err := r.db.NewRaw(`INSERT INTO simulator_used_grants (grant_key, expires_at) VALUES (?, ?)
		ON CONFLICT (grant_key) DO UPDATE SET expires_at = EXCLUDED.expires_at
		WHERE simulator_used_grants.expires_at <= ?`, key[:], exp, now).Exec(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: use grant: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("pgstore: use grant: %w", err)
	}
	if n == 0 {
		return simulator.ErrGrantUsed
	}
	return nil
}

// Purge deletes the rows of grants expired at now and reports how many.
func (r *Replay) Purge(ctx context.Context, now time.Time) (int64, error) {
	res, err := r.db.NewRaw(`DELETE FROM simulator_used_grants WHERE expires_at <= ?`, now).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("pgstore: purge grants: %w", err)
	}
	return res.RowsAffected()
}

// maybePurge purges when the interval has passed; one caller wins the
// compare-and-swap, the others go on at once. Its error is dropped: the
// table only grows a little until the next purge, and a database outage
// shows in the insert that follows.
func (r *Replay) maybePurge(ctx context.Context, now time.Time) {
	last := r.lastPurge.Load()
	if now.UnixNano()-last < int64(r.PurgeInterval) || !r.lastPurge.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	_, _ = r.Purge(ctx, now)
}
