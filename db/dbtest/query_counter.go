package dbtest

import (
	"context"
	"strings"
	"sync"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
)

// QueryCounter is a bun query hook counting the statements sent through a DB, BEGIN and
// COMMIT included, except a listener's heartbeats (IsListenerPing). Attach it with bdb.WithQueryHook (or AddQueryHook) before the DB is
// shared. It counts everything on that DB, so measure one request at a time.
type QueryCounter struct {
	mu      sync.Mutex
	queries []string
}

var _ bun.QueryHook = (*QueryCounter)(nil)

// BeforeQuery implements bun.QueryHook.
func (c *QueryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery implements bun.QueryHook.
func (c *QueryCounter) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	if IsListenerPing(ev.Query) {
		return
	}
	c.mu.Lock()
	c.queries = append(c.queries, ev.Query)
	c.mu.Unlock()
}

// IsListenerPing says whether query is a db.Listener notifying itself: it runs on
// the listener's own clock, so a count of what one request ran must leave it out.
func IsListenerPing(query string) bool {
	return strings.HasPrefix(query, `NOTIFY "`+db.PingChannelPrefix)
}

// Count is the number of statements since the last Reset.
func (c *QueryCounter) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queries)
}

// Queries returns the statements since the last Reset, for a failing assertion to show.
func (c *QueryCounter) Queries() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.queries...)
}

// Reset forgets the statements counted so far.
func (c *QueryCounter) Reset() {
	c.mu.Lock()
	c.queries = nil
	c.mu.Unlock()
}
