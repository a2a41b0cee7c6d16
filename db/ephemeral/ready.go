package ephemeral

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/uptrace/bun/driver/pgdriver" // registers "pg"
)

// waitReady polls real connections until one succeeds, with a backoff capped at 50 ms,
// until ctx ends or the server process dies (exited is closed).
func waitReady(ctx context.Context, dsn string, exited <-chan struct{}) error {
	db, err := sql.Open("pg", dsn)
	if err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	defer db.Close()
	db.SetMaxIdleConns(0)

	backoff := 2 * time.Millisecond
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("ephemeral: waiting for postgres: %w (last error: %w)", ctx.Err(), err)
		case <-exited:
			return errExited
		case <-timer.C:
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		timer.Reset(backoff)
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}
