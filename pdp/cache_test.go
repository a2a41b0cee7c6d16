package pdp

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/db/dbtest"
)

func TestCacheHitRunsNoSQLAndMissOneQuery(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var q queryCounter
	f.bdb.AddQueryHook(&q) //nolint:staticcheck // SA1019: the hook must reach the services already holding this *bun.DB; WithQueryHook returns a copy
	e := startEngine(t, f.bdb, Options{})
	ctx := context.Background()
	req := Request{SystemUserID: f.standard, ResourceID: "ske-krav", Action: "read", PartyOrg: ownerOrg}
	// A dropped cache (see below) also makes the miss reload the catalog: a
	// round in which the catalog changed proves nothing and is run again.
	for round := 1; ; round++ {
		// Warm the catalog through another system user.
		if _, err := e.Authorize(ctx, Request{SystemUserID: f.agent, ResourceID: "pkg-res", Action: "read", PartyOrg: clientOrg}); err != nil {
			t.Fatal(err)
		}
		e.cache.dropSubject(f.standard)
		cat, before := e.cache.currentCatalog(), q.n.Load()
		if d, _ := e.Authorize(ctx, req); d.Result != Permit {
			t.Fatalf("miss: %s %s", d.Result, d.ReasonCode)
		}
		n := q.n.Load() - before
		if cat != nil && e.cache.currentCatalog() == cat {
			if n != 1 {
				t.Fatalf("a miss ran %d queries, want 1", n)
			}
			break
		}
		if round == 5 {
			t.Fatalf("the catalog changed in 5 rounds of one miss each (%d queries in the last)", n)
		}
	}
	// The cache is dropped whenever the listener misses its pings (two
	// intervals of 500 ms here, which a loaded machine can miss), and the
	// next decision is a miss again. A round with a miss proves nothing
	// either way and is run again; one round of 100 hits must run no SQL.
	for round := 1; ; round++ {
		before, s0 := q.n.Load(), e.Stats()
		for range 100 {
			if d, _ := e.Authorize(ctx, req); d.Result != Permit {
				t.Fatalf("hit: %s %s", d.Result, d.ReasonCode)
			}
		}
		n, s1 := q.n.Load()-before, e.Stats()
		if misses := s1.CacheMisses - s0.CacheMisses; misses == 0 {
			if hits := s1.CacheHits - s0.CacheHits; hits != 100 || n != 0 {
				t.Fatalf("100 decisions: %d hits ran %d queries, want 100 and 0", hits, n)
			}
			return
		}
		if round == 5 {
			t.Fatalf("5 rounds of 100 decisions each had a miss (%d queries in the last)", n)
		}
	}
}

func TestCacheInvalidatedByDatabaseChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := startEngine(t, f.bdb, Options{})
	ctx := context.Background()
	cases := []struct {
		name   string
		req    Request
		change string
		args   []any
		code   ReasonCode
	}{
		{"RightRemoved", Request{SystemUserID: f.standard, ResourceID: "ske-krav", Action: "read", PartyOrg: ownerOrg},
			"DELETE FROM system_user_rights WHERE system_user_id = ? AND resource_id = 'ske-krav'", []any{f.standard}, NotGranted},
		{"ClientRemoved", Request{SystemUserID: f.agent, ResourceID: "pkg-res", Action: "read", PartyOrg: clientOrg},
			"DELETE FROM client_delegations WHERE system_user_id = ? AND client_org = ?", []any{f.agent, clientOrg}, ClientNotDelegated},
		{"SystemDeleted", Request{SystemUserID: f.standard, ResourceID: "pkg-res", Action: "read", PartyOrg: ownerOrg},
			"UPDATE systems SET is_deleted = true WHERE id = ?", []any{systemID}, SystemDeleted},
	}
	for _, c := range cases { // sequential: each change builds on the last
		if d, _ := e.Authorize(ctx, c.req); d.Result != Permit {
			t.Fatalf("%s: before the change: %s %s", c.name, d.Result, d.ReasonCode)
		}
		mustExec(t, f.bdb, c.change, c.args...)
		waitDecision(t, e, c.req, c.code, 5*time.Second)
	}
}

func TestCacheCatalogChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := startEngine(t, f.bdb, Options{})
	req := Request{SystemUserID: f.standard, ResourceID: "pkg-res", Action: "read", PartyOrg: ownerOrg}
	if d, _ := e.Authorize(context.Background(), req); d.Result != Permit {
		t.Fatalf("before: %s", d.ReasonCode)
	}
	mustExec(t, f.bdb, "DELETE FROM access_package_resources WHERE resource_id = 'pkg-res'")
	waitDecision(t, e, req, NotGranted, 5*time.Second)
}

// waitDecision polls until req decides with code, and returns how long that took.
func waitDecision(tb testing.TB, e *Engine, req Request, code ReasonCode, limit time.Duration) time.Duration {
	tb.Helper()
	start := time.Now()
	tick := time.NewTicker(500 * time.Microsecond)
	defer tick.Stop()
	for {
		d, err := e.Authorize(context.Background(), req)
		if err != nil {
			tb.Fatal(err)
		}
		if d.ReasonCode == code {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			tb.Fatalf("still %s %s after %s, want %s", d.Result, d.ReasonCode, limit, code)
		}
		<-tick.C
	}
}

func TestCacheCoalescesConcurrentMisses(t *testing.T) {
	t.Parallel()
	c := newCache(10)
	c.live = true
	id := uuid.New()
	const n = 8
	var joined sync.WaitGroup
	joined.Add(n - 1)
	c.joined = joined.Done
	release := make(chan struct{})
	started := make(chan struct{})
	var loads atomic.Int32
	load := func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*subject, error) {
		loads.Add(1)
		close(started)
		<-release
		return map[uuid.UUID]*subject{id: {id: id, found: true}}, nil
	}
	var wg sync.WaitGroup
	results := make([]*subject, n)
	get := func(i int) {
		defer wg.Done()
		m, err := c.getSubjects(context.Background(), []uuid.UUID{id}, load)
		if err != nil {
			t.Error(err)
		}
		results[i] = m[id]
	}
	wg.Add(n)
	go get(0)
	<-started
	for i := 1; i < n; i++ {
		go get(i)
	}
	joined.Wait()
	close(release)
	wg.Wait()
	if loads.Load() != 1 {
		t.Fatalf("%d loads, want 1", loads.Load())
	}
	if slices.Contains(results, nil) || results[0] != results[n-1] {
		t.Fatal("callers did not share the load's result")
	}
}

func TestCacheDropsLoadThatRacedInvalidation(t *testing.T) {
	t.Parallel()
	for _, drop := range []struct {
		name string
		fn   func(c *cache, id uuid.UUID)
	}{
		{"Subject", func(c *cache, id uuid.UUID) { c.dropSubject(id) }},
		{"System", func(c *cache, _ uuid.UUID) { c.dropSystem("sys") }},
		{"All", func(c *cache, _ uuid.UUID) { c.dropAll(true) }},
	} {
		t.Run(drop.name, func(t *testing.T) {
			t.Parallel()
			c := newCache(10)
			c.live = true
			id := uuid.New()
			release, started := make(chan struct{}), make(chan struct{})
			var loads atomic.Int32
			load := func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*subject, error) {
				if loads.Add(1) == 1 {
					close(started)
					<-release
				}
				return map[uuid.UUID]*subject{id: {id: id, found: true, systemID: "sys"}}, nil
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _ = c.getSubjects(context.Background(), []uuid.UUID{id}, load)
			}()
			<-started
			drop.fn(c, id) // the change commits while the load is under way
			close(release)
			<-done
			c.mu.RLock()
			_, stored := c.subjects[id]
			c.mu.RUnlock()
			if stored {
				t.Fatal("a load that raced an invalidation was cached")
			}
			_, _ = c.getSubjects(context.Background(), []uuid.UUID{id}, load)
			if loads.Load() != 2 {
				t.Fatalf("%d loads, want a fresh one after the invalidation", loads.Load())
			}
		})
	}
}

// TestRevocationAcrossInstances: two engines (own pools, own listeners) on
// one database; a system user deleted through one is denied by the other.
func TestRevocationAcrossInstances(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	a, b := dbtest.Open(t, url), dbtest.Open(t, url)
	f := seed(t, a)
	ea := startEngine(t, a, Options{})
	eb := startEngine(t, b, Options{})
	const n = 100
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = f.newSystemUser(t, systemID, ownerOrg, "standard")
		mustExec(t, a, "INSERT INTO system_user_rights VALUES (?, 'ske-krav', 'read')", ids[i])
	}
	ctx := context.Background()
	lat := make([]time.Duration, n)
	for i, id := range ids {
		req := Request{SystemUserID: id, ResourceID: "ske-krav", Action: "read", PartyOrg: ownerOrg}
		for _, e := range []*Engine{ea, eb} { // both cached and permitting
			if d, _ := e.Authorize(ctx, req); d.Result != Permit {
				t.Fatalf("before revocation: %s", d.ReasonCode)
			}
		}
		start := time.Now()
		mustExec(t, a, "UPDATE system_users SET deleted_at = now() WHERE id = ?", id)
		waitDecision(t, eb, req, SystemUserDeleted, 5*time.Second)
		lat[i] = time.Since(start) // from before the commit, not from the first poll
	}
	slices.Sort(lat)
	p50, p99 := lat[n/2], lat[n*99/100-1]
	t.Logf("revocation visible on the other instance over %d revocations: p50 %s, p99 %s, max %s", n, p50, p99, lat[n-1])
	if p99 > time.Second {
		t.Fatalf("p99 %s > 1s", p99)
	}
}
