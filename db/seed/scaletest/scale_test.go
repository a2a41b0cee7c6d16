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
	want := map[string]int{"system_users": 250, "system_user_rights": 250, "decisions": 2000, "decisions_default": 0}
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
// fresh database and reports, per hot path, p50 and p99 over repeated calls
// in process (no HTTP), with EXPLAIN ANALYZE of the statement each runs,
// the seed time and the database size. Compare two scales run on the same
// machine; each figure should stay within 1.2× of its 1 k one.
func TestScaleMeasure(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SYSTEMUSER_SCALE"))
	if n <= 0 {
		t.Skip("set SYSTEMUSER_SCALE=N (make bench-scale) to measure at N system users")
	}
	m := 10 * n
	if v := os.Getenv("SYSTEMUSER_SCALE_DECISIONS"); v != "" {
		m, _ = strconv.Atoi(v)
	}
	reps := 200
	ctx := context.Background()
	counter := &dbtest.QueryCounter{}
	url := dbtest.NewURL(t)
	// A bulk load of millions of rows may find the server busy for longer
	// than the pool's 5 s write timeout (a checkpoint on a loaded 2-core
	// host stalled one COPY that long): the seed has a handle of its own.
	w, err := seed.ScaleLoad(ctx, dbtest.Open(t, withParams(t, url, "write_timeout", "10m", "read_timeout", "10m")), seed.ScaleOptions{SystemUsers: n, Decisions: m})
	if err != nil {
		t.Fatal(err)
	}
	bdb := dbtest.Open(t, url)
	bdb = bdb.WithQueryHook(counter)
	var size string
	if err := bdb.NewRaw("SELECT pg_size_pretty(pg_database_size(current_database()))").Scan(ctx, &size); err != nil {
		t.Fatal(err)
	}
	reg := registry.New(bdb, registry.Options{})
	// As the gateway runs it: the listener keeps the catalog cached, and
	// every measured request names a system user not seen before.
	listener := db.NewListener(bdb, nil)
	engine := pdp.New(bdb, pdp.Options{Listener: listener})
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
	var vendorTotal int
	page := registry.Page{First: 100}
	for seen := 0; ; {
		c, err := reg.ListSystemUsers(vendorCtx, registry.SystemUserFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		vendorTotal, seen = c.TotalCount, seen+len(c.Items)
		if !c.HasNextPage || len(c.Cursors) == 0 || seen >= c.TotalCount*9/10 {
			break
		}
		page.After = c.Cursors[len(c.Cursors)-1]
		deep = page.After
	}

	type path struct {
		name string
		call func(i int) error
	}
	paths := []path{
		{"authorize, uncached", func(i int) error {
			smp := w.Samples[i%len(w.Samples)] // distinct for every call while i < len(Samples)
			d, err := engine.Authorize(ctx, pdp.Request{SystemUserID: smp.ID, Action: "read", ResourceID: smp.Resource, PartyOrg: smp.Owner, CallerOrg: w.ServiceOwner})
			if err == nil && d.Result != pdp.Permit {
				err = fmt.Errorf("decision %s %s", d.Result, d.ReasonCode)
			}
			return err
		}},
		{"system-user token lookup", func(i int) error {
			smp := w.Samples[i%len(w.Samples)]
			_, err := reg.LookupSystemUser(lookupCtx(), seed.ScaleClientID(smp.SystemID), smp.Vendor, smp.Owner, smp.ExternalRef)
			return err
		}},
		// As Altinn's REST list and a GraphQL query without totalCount
		// ask for them: no count.
		{"vendor's system users, page 1", func(int) error {
			_, err := reg.ListSystemUsers(vendorCtx, registry.SystemUserFilter{}, registry.Page{First: 50, SkipTotal: true})
			return err
		}},
		{"vendor's system users, deep", func(int) error {
			_, err := reg.ListSystemUsers(vendorCtx, registry.SystemUserFilter{}, registry.Page{First: 50, After: deep, SkipTotal: true})
			return err
		}},
		// With totalCount selected: the count scans every one of the
		// vendor's system users, so it grows with the vendor.
		{"vendor's page 1 with totalCount", func(int) error {
			_, err := reg.ListSystemUsers(vendorCtx, registry.SystemUserFilter{}, registry.Page{First: 50})
			return err
		}},
		{"decisions for a party", func(int) error {
			_, err := engine.ListDecisions(soCtx, pdp.DecisionFilter{PartyOrg: s.Owner}, 50, "")
			return err
		}},
	}
	var report strings.Builder
	fmt.Fprintf(&report, "\nscale: %d system users (%d for the measured vendor), %d decisions; seeded in %s; database %s\n",
		n, vendorTotal, m, w.Duration.Round(time.Millisecond), size)
	fmt.Fprintf(&report, "| %-32s | %9s | %9s | %5s |\n", "path", "p50", "p99", "SQL")
	var plans strings.Builder
	for _, p := range paths {
		if err := p.call(reps); err != nil { // warm: plans, connections
			t.Fatalf("%s: %v", p.name, err)
		}
		lat := make([]time.Duration, reps)
		counter.Reset()
		for i := range reps {
			start := time.Now()
			if err := p.call(i); err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			lat[i] = time.Since(start)
		}
		stmts := counter.Queries()
		slices.Sort(lat)
		fmt.Fprintf(&report, "| %-32s | %9s | %9s | %5.1f |\n", p.name, lat[reps/2].Round(time.Microsecond),
			lat[reps*99/100].Round(time.Microsecond), float64(len(stmts))/float64(reps))
		_ = engine.Flush(ctx) // the decision log's COPY is not the next path's time
		// The plans of the distinct statements of one call.
		counter.Reset()
		_ = p.call(reps + 1)
		for _, q := range counter.Queries() {
			if !strings.HasPrefix(strings.TrimSpace(q), "SELECT") {
				continue
			}
			var plan []string
			if err := bdb.NewRaw("EXPLAIN (ANALYZE, BUFFERS) "+q).Scan(ctx, &plan); err != nil {
				t.Logf("explain %s: %v", p.name, err)
				continue
			}
			fmt.Fprintf(&plans, "\n%s:\n  %s\n  %s\n", p.name, oneLine(q), strings.Join(plan, "\n  "))
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
