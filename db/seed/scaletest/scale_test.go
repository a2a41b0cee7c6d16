// Package scaletest checks the scale seed and, with SYSTEMUSER_SCALE set,
// measures the hot paths at that scale (make bench-scale, issue 14).
package scaletest

import (
	"context"
	"fmt"
	neturl "net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/db/seed"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestScaleLoadShapesTheWorld(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	w, err := seed.ScaleLoad(ctx, bdb, seed.ScaleOptions{SystemUsers: 250, Decisions: 2000})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, table := range []string{"system_users", "system_user_rights", "decisions", "decisions_default"} {
		var n int
		if err := bdb.NewRaw("SELECT count(*) FROM "+table).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	var kept int
	if err := bdb.NewRaw("SELECT coalesce(sum(live), 0) FROM system_user_counts").Scan(ctx, &kept); err != nil {
		t.Fatal(err)
	}
	counts["kept live counts"] = kept
	want := map[string]int{"system_users": 250, "system_user_rights": 250, "decisions": 2000, "decisions_default": 0, "kept live counts": 250}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s: %d rows, want %d", k, counts[k], v)
		}
	}
	if len(w.Customers) != 25 || len(w.Vendors) != 1 || len(w.Systems) != 2 {
		t.Errorf("world: %d customers, %d vendors, %d systems", len(w.Customers), len(w.Vendors), len(w.Systems))
	}
	// Every sample is found the way Maskinporten and the PDP find it.
	reg := registry.New(bdb, registry.Options{})
	engine := pdp.New(bdb, pdp.Options{})
	t.Cleanup(func() { _ = engine.Close(context.Background()) })
	for _, s := range w.Samples {
		su, err := reg.LookupSystemUser(lookupCtx(), seed.ScaleClientID(s.SystemID), s.Vendor, s.Owner, s.ExternalRef)
		if err != nil || su.ID != s.ID {
			t.Fatalf("lookup %+v: %v, %v", s, su, err)
		}
		d, err := engine.Authorize(ctx, pdp.Request{SystemUserID: s.ID, Action: "read", ResourceID: s.Resource, PartyOrg: s.Owner, CallerOrg: w.ServiceOwner})
		if err != nil || d.Result != pdp.Permit {
			t.Fatalf("authorize %+v: %+v, %v", s, d, err)
		}
	}
	if _, err := seed.ScaleLoad(ctx, bdb, seed.ScaleOptions{SystemUsers: 10}); err == nil {
		t.Fatal("a second scale load into the same database was accepted")
	}
}

func lookupCtx() context.Context {
	return identity.NewContext(context.Background(), &identity.Identity{Kind: identity.Organization,
		OrgNumber: "991825827", Scopes: []string{identity.ScopeSystemUserLookup}})
}

// TestScaleMeasure seeds SYSTEMUSER_SCALE system users and
// SYSTEMUSER_SCALE_DECISIONS decisions (default 10 per system user) into a
// fresh database, and the 1 k baseline (1 000 system users, 10 000
// decisions) into another, then times each hot path in process (no HTTP)
// on both, interleaved call by call so that the machine's drift falls on
// both alike. It reports p50 and p99 of each, the ratio of the p50s (the
// goal: within 1.2), SQL statements per call, EXPLAIN ANALYZE of the
// statements at scale, the seed times and the database sizes.
func TestScaleMeasure(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SYSTEMUSER_SCALE"))
	if n <= 0 {
		t.Skip("set SYSTEMUSER_SCALE=N (make bench-scale) to measure at N system users")
	}
	m := 10 * n
	if v := os.Getenv("SYSTEMUSER_SCALE_DECISIONS"); v != "" {
		m, _ = strconv.Atoi(v)
	}
	const reps = 1000
	base := newScaleWorld(t, 1000, 10_000)
	big := newScaleWorld(t, n, m)
	var report strings.Builder
	for _, w := range []*scaleWorld{base, big} {
		fmt.Fprintf(&report, "\nscale: %d system users (%d for the measured vendor), %d decisions; seeded in %s; database %s",
			w.n, w.vendorTotal, w.m, w.seed.Round(time.Millisecond), w.size)
	}
	fmt.Fprintf(&report, "\n| %-32s | %9s | %9s | %9s | %9s | %6s | %5s |\n", "path",
		"1k p50", "1k p99", fmt.Sprintf("%s p50", short(n)), fmt.Sprintf("%s p99", short(n)), "ratio", "SQL")
	var plans strings.Builder
	for i, name := range pathNames {
		pa, pb := base.paths[i], big.paths[i]
		for _, p := range []scalePath{pa, pb} {
			if err := p.call(reps); err != nil { // warm: plans, connections
				t.Fatalf("%s: %v", name, err)
			}
		}
		la, lb := make([]time.Duration, reps), make([]time.Duration, reps)
		big.counter.Reset()
		for r := range reps {
			for _, x := range []struct {
				p   scalePath
				lat []time.Duration
			}{{pa, la}, {pb, lb}} {
				start := time.Now()
				if err := x.p.call(r); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				x.lat[r] = time.Since(start)
			}
		}
		stmts := len(big.counter.Queries())
		slices.Sort(la)
		slices.Sort(lb)
		fmt.Fprintf(&report, "| %-32s | %9s | %9s | %9s | %9s | %6.2f | %5.1f |\n", name,
			la[reps/2].Round(time.Microsecond), la[reps*99/100].Round(time.Microsecond),
			lb[reps/2].Round(time.Microsecond), lb[reps*99/100].Round(time.Microsecond),
			float64(lb[reps/2])/float64(la[reps/2]), float64(stmts)/float64(reps))
		for _, w := range []*scaleWorld{base, big} {
			_ = w.engine.Flush(context.Background()) // the decision log's COPY is not the next path's time
		}
		// The plans of the distinct statements of one call at scale.
		big.counter.Reset()
		_ = pb.call(reps + 1)
		for _, q := range big.counter.Queries() {
			if !strings.HasPrefix(strings.TrimSpace(q), "SELECT") {
				continue
			}
			var plan []string
			if err := big.db.NewRaw("EXPLAIN (ANALYZE, BUFFERS) "+q).Scan(context.Background(), &plan); err != nil {
				t.Logf("explain %s: %v", name, err)
				continue
			}
			fmt.Fprintf(&plans, "\n%s:\n  %s\n  %s\n", name, oneLine(q), strings.Join(plan, "\n  "))
		}
	}
	report.WriteString(plans.String())
	t.Log(report.String())
	if path := os.Getenv("SYSTEMUSER_BENCH_OUT"); path != "" {
		if err := os.WriteFile(path, []byte(report.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func short(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

// pathNames are the measured hot paths, in the order of scaleWorld.paths.
var pathNames = []string{
	"authorize, uncached",
	"system-user token lookup",
	"vendor's system users, page 1",
	"vendor's system users, deep",
	"vendor's page 1 with totalCount",
	"decisions for a party",
	"vendor's systems, first pages",
}

type scalePath struct{ call func(i int) error }

// scaleWorld is one seeded database and the services reading it, as the
// gateway runs them.
type scaleWorld struct {
	n, m, vendorTotal int
	seed              time.Duration
	size              string
	db                *bun.DB
	counter           *dbtest.QueryCounter
	engine            *pdp.Engine
	paths             []scalePath
}

func newScaleWorld(t *testing.T, n, m int) *scaleWorld {
	ctx := context.Background()
	url := dbtest.NewURL(t)
	// A bulk load of millions of rows may find the server busy for longer
	// than the pool's 5 s write timeout (a checkpoint on a loaded 2-core
	// host stalled one COPY that long): the seed has a handle of its own.
	w, err := seed.ScaleLoad(ctx, dbtest.Open(t, withParams(t, url, "write_timeout", "10m", "read_timeout", "10m")),
		seed.ScaleOptions{SystemUsers: n, Decisions: m})
	if err != nil {
		t.Fatal(err)
	}
	sw := &scaleWorld{n: n, m: m, seed: w.Duration, counter: &dbtest.QueryCounter{}}
	sw.db = dbtest.Open(t, url).WithQueryHook(sw.counter)
	bdb := sw.db
	if err := bdb.NewRaw("SELECT pg_size_pretty(pg_database_size(current_database()))").Scan(ctx, &sw.size); err != nil {
		t.Fatal(err)
	}
	reg := registry.New(bdb, registry.Options{})
	// As the gateway runs it: the listener keeps the catalog cached, and
	// every measured request names a system user not seen before.
	listener := db.NewListener(bdb, nil)
	engine := pdp.New(bdb, pdp.Options{Listener: listener})
	sw.engine = engine
	runCtx, stop := context.WithCancel(ctx)
	go func() { _ = listener.Run(runCtx) }()
	go func() { _ = engine.Run(runCtx) }()
	t.Cleanup(func() { stop(); _ = engine.Close(context.Background()) })
	for deadline := time.Now().Add(10 * time.Second); !listener.Connected(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("listener did not connect")
		}
	}
	s := w.Samples[len(w.Samples)/2]
	vendorCtx := identity.NewContext(ctx, &identity.Identity{Kind: identity.Organization, OrgNumber: s.Vendor,
		Scopes: []string{identity.ScopeSystemRegisterWrite}})
	soCtx := identity.NewContext(ctx, &identity.Identity{Kind: identity.Organization, OrgNumber: w.ServiceOwner,
		Scopes: []string{identity.ScopeAuthorize}})

	// The deep cursor: 90 % into the vendor's list, found by paging there.
	var deep string
	page := registry.Page{First: 100}
	for seen := 0; ; {
		c, err := reg.ListSystemUsers(vendorCtx, registry.SystemUserFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		sw.vendorTotal, seen = c.TotalCount, seen+len(c.Items)
		if !c.HasNextPage || len(c.Items) == 0 || seen >= c.TotalCount*9/10 {
			break
		}
		page.After = c.EndCursor()
		deep = page.After
	}
	var systems []string
	if err := bdb.NewRaw("SELECT id FROM systems WHERE vendor_org = ? ORDER BY id", s.Vendor).Scan(ctx, &systems); err != nil {
		t.Fatal(err)
	}
	var firstPages []registry.SystemPageKey
	for _, id := range systems {
		firstPages = append(firstPages, registry.SystemPageKey{SystemID: id, First: 10})
	}
	sw.paths = []scalePath{
		{func(i int) error {
			smp := w.Samples[i%len(w.Samples)] // distinct for every call while i < len(Samples)
			d, err := engine.Authorize(ctx, pdp.Request{SystemUserID: smp.ID, Action: "read", ResourceID: smp.Resource, PartyOrg: smp.Owner, CallerOrg: w.ServiceOwner})
			if err == nil && d.Result != pdp.Permit {
				err = fmt.Errorf("decision %s %s", d.Result, d.ReasonCode)
			}
			return err
		}},
		{func(i int) error {
			smp := w.Samples[i%len(w.Samples)]
			_, err := reg.LookupSystemUser(lookupCtx(), seed.ScaleClientID(smp.SystemID), smp.Vendor, smp.Owner, smp.ExternalRef)
			return err
		}},
		// As Altinn's REST list and a GraphQL query without totalCount
		// ask for them: no count.
		{func(int) error {
			_, err := reg.ListSystemUsers(vendorCtx, registry.SystemUserFilter{}, registry.Page{First: 50, SkipTotal: true})
			return err
		}},
		{func(int) error {
			_, err := reg.ListSystemUsers(vendorCtx, registry.SystemUserFilter{}, registry.Page{First: 50, After: deep, SkipTotal: true})
			return err
		}},
		// With totalCount selected: the count scans every one of the
		// vendor's system users, so it grows with the vendor.
		{func(int) error {
			_, err := reg.ListSystemUsers(vendorCtx, registry.SystemUserFilter{}, registry.Page{First: 50})
			return err
		}},
		{func(int) error {
			_, err := engine.ListDecisions(soCtx, pdp.DecisionFilter{PartyOrg: s.Owner}, 50, "")
			return err
		}},
		// The nested read's batch: ten system users of each of the
		// vendor's systems, in one statement.
		{func(int) error {
			_, err := reg.FirstSystemUserPages(vendorCtx, firstPages)
			return err
		}},
	}
	return sw
}

func oneLine(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 400 {
		q = q[:400] + "…"
	}
	return q
}

// withParams returns raw with the query parameters kv added.
func withParams(t *testing.T, raw string, kv ...string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}
