package registry_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/registry"
)

// cachedService is a second Service on f's database serving the catalog
// from memory, and a func that waits until its cache is live.
func cachedService(t *testing.T, f *fixture) *registry.Service {
	t.Helper()
	l := db.NewListener(f.db, nil)
	svc := registry.New(f.db, registry.Options{Now: func() time.Time { return f.now }})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = l.Run(ctx) }()
	go func() { _ = svc.RunCatalogCache(ctx, l) }()
	deadline := time.Now().Add(10 * time.Second)
	for !l.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("listener did not connect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return svc
}

func catalogWorld(t *testing.T) *fixture {
	f := newFixture(t)
	right := []registry.Right{{Resource: "ske-krav", Action: "read"}}
	f.MustSystem(vendorOrg+"_alpha", vendorOrg, true, right, []string{"urn:altinn:accesspackage:skattnaering"}, []string{"c-alpha"}, []string{"https://alpha.example/cb"})
	f.MustSystem(vendorOrg+"_hidden", vendorOrg, false, right, nil, nil, nil)
	f.MustSystem(vendorOrg+"_Beta", vendorOrg, true, nil, nil, nil, nil)
	f.MustSystem(otherVendor+"_gamma", otherVendor, true, right, nil, nil, nil)
	f.MustSystem(otherVendor+"_gone", otherVendor, true, nil, nil, nil, nil)
	f.exec("UPDATE systems SET is_deleted = true WHERE id = ?", otherVendor+"_gone")
	return f
}

// TestCatalogCacheAnswersAsSQL compares every catalog read served from
// memory with the same read from SQL, for each kind of caller.
func TestCatalogCacheAnswersAsSQL(t *testing.T) {
	t.Parallel()
	f := catalogWorld(t)
	cached := cachedService(t, f)
	pid := newPID()
	f.MustPerson(pid, customerOrg, "DAGL")
	callers := map[string]context.Context{"vendor": vendorCtx(vendorOrg), "other vendor": vendorCtx(otherVendor),
		"admin": adminCtx(), "person": personCtx(pid), "anonymous": anonCtx()}
	filters := []registry.SystemFilter{{}, {VendorOrg: vendorOrg}, {Search: "BETA"}, {Search: "nb"}, {IncludeDeleted: true},
		{Search: "%"}, {VendorOrg: otherVendor, IncludeDeleted: true}}
	for name, ctx := range callers {
		for _, fl := range filters {
			for _, pg := range []registry.Page{{}, {First: 1}, {First: 2}} {
				for range 4 {
					want, errW := f.svc.ListSystems(ctx, fl, pg)
					got, errG := cached.ListSystems(ctx, fl, pg)
					if fmt.Sprint(errW) != fmt.Sprint(errG) || !reflect.DeepEqual(got, want) {
						t.Fatalf("%s %+v %+v: cached %+v (%v), SQL %+v (%v)", name, fl, pg, got, errG, want, errW)
					}
					if errW != nil || !want.HasNextPage {
						break
					}
					pg.After = want.EndCursor()
				}
			}
		}
		for _, id := range []string{vendorOrg + "_alpha", vendorOrg + "_hidden", otherVendor + "_gone", "nope"} {
			want, errW := f.svc.GetSystem(ctx, id)
			got, errG := cached.GetSystem(ctx, id)
			if fmt.Sprint(errW) != fmt.Sprint(errG) || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s GetSystem(%s): cached %+v (%v), SQL %+v (%v)", name, id, got, errG, want, errW)
			}
		}
	}
	ctx := context.Background()
	ids := []string{vendorOrg + "_alpha", otherVendor + "_gone", "nope"}
	if w, g := must2(f.svc.SystemsByID(ctx, ids)), must2(cached.SystemsByID(ctx, ids)); !reflect.DeepEqual(w, g) {
		t.Fatalf("SystemsByID: cached %+v, SQL %+v", g, w)
	}
	res := []string{"ske-krav", "ske-mva", "nope"}
	if w, g := must2(f.svc.ResourcesByID(ctx, res)), must2(cached.ResourcesByID(ctx, res)); !reflect.DeepEqual(w, g) {
		t.Fatalf("ResourcesByID: cached %+v, SQL %+v", g, w)
	}
	urns := []string{"urn:altinn:accesspackage:both", "urn:altinn:accesspackage:skattnaering", "nope"}
	if w, g := must2(f.svc.AccessPackagesByURN(ctx, urns)), must2(cached.AccessPackagesByURN(ctx, urns)); !reflect.DeepEqual(w, g) {
		t.Fatalf("AccessPackagesByURN: cached %+v, SQL %+v", g, w)
	}
	orgs := []string{vendorOrg, customerOrg, "nope"}
	for range 2 { // the second read comes from memory
		if w, g := must2(f.svc.OrganizationsByNumber(ctx, orgs)), must2(cached.OrganizationsByNumber(ctx, orgs)); !reflect.DeepEqual(w, g) {
			t.Fatalf("OrganizationsByNumber: cached %+v, SQL %+v", g, w)
		}
	}
	for _, pg := range []registry.Page{{}, {First: 1}, {First: 2, After: "bogus"}} {
		w, errW := f.svc.ListResources(ctx, pg)
		g, errG := cached.ListResources(ctx, pg)
		if fmt.Sprint(errW) != fmt.Sprint(errG) || !reflect.DeepEqual(w, g) {
			t.Fatalf("ListResources %+v: cached %+v (%v), SQL %+v (%v)", pg, g, errG, w, errW)
		}
		wp, errW := f.svc.ListAccessPackages(ctx, pg)
		gp, errG := cached.ListAccessPackages(ctx, pg)
		if fmt.Sprint(errW) != fmt.Sprint(errG) || !reflect.DeepEqual(wp, gp) {
			t.Fatalf("ListAccessPackages %+v: cached %+v (%v), SQL %+v (%v)", pg, gp, errG, wp, errW)
		}
	}
	// The dataloaders' fast path answers as the batch reads do, from memory
	// only: a Service without a live cache never answers.
	checkPeek(t, "PeekSystem", ids, cached.PeekSystem, f.svc.PeekSystem, f.svc.SystemsByID)
	checkPeek(t, "PeekResource", res, cached.PeekResource, f.svc.PeekResource, f.svc.ResourcesByID)
	checkPeek(t, "PeekAccessPackage", urns, cached.PeekAccessPackage, f.svc.PeekAccessPackage, f.svc.AccessPackagesByURN)
	checkPeek(t, "PeekOrganization", orgs, cached.PeekOrganization, f.svc.PeekOrganization, f.svc.OrganizationsByNumber)
}

func checkPeek[T any](t *testing.T, name string, keys []string, peek, uncached func(string) (*T, bool),
	sql func(context.Context, []string) (map[string]*T, error)) {
	t.Helper()
	want := must2(sql(context.Background(), keys))
	for _, k := range keys {
		got, hit := peek(k)
		w, ok := want[k]
		if hit != ok || !reflect.DeepEqual(got, w) {
			t.Errorf("%s(%s): %+v (hit %v), SQL %+v (found %v)", name, k, got, hit, w, ok)
		}
		if _, hit := uncached(k); hit {
			t.Errorf("%s(%s) answered without a live cache", name, k)
		}
	}
}

func must2[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestFirstSystemUserPagesAnswersAsTheList checks the batched first pages
// against ListSystemUsers for one system at a time.
func TestFirstSystemUserPagesAnswersAsTheList(t *testing.T) {
	t.Parallel()
	f := catalogWorld(t)
	pid := newPID()
	f.MustPerson(pid, customerOrg, "DAGL")
	add := func(sys, owner string, n int, deleted bool) {
		for i := range n {
			su := &db.SystemUser{IntegrationTitle: fmt.Sprint(sys, i), SystemID: sys, OwnerOrg: owner, ExternalRef: fmt.Sprint(i), UserType: "standard"}
			if deleted {
				now := time.Now()
				su.DeletedAt = &now
			}
			if _, err := f.db.NewInsert().Model(su).Returning("id").Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			f.exec("INSERT INTO system_user_rights (system_user_id, resource_id, action) VALUES (?, 'ske-krav', 'read')", su.ID)
		}
	}
	add(vendorOrg+"_alpha", customerOrg, 5, false)
	add(vendorOrg+"_alpha", customerOrg, 1, true)
	add(vendorOrg+"_hidden", otherVendor, 2, false)
	add(otherVendor+"_gamma", customerOrg, 3, false)
	// Text the packed rows must carry intact (see unpackSystemUser): digits
	// and colons where lengths are read, multibyte characters, one byte.
	for _, su := range []*db.SystemUser{
		{IntegrationTitle: "12:3:ø 日本 ' \" \\ ::", ExternalRef: "x", UserType: "agent"},
		{IntegrationTitle: ":", ExternalRef: "7:x:", UserType: "standard"},
	} {
		su.SystemID, su.OwnerOrg = vendorOrg+"_alpha", customerOrg
		if _, err := f.db.NewInsert().Model(su).Returning("id").Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	systems := []string{vendorOrg + "_alpha", vendorOrg + "_hidden", vendorOrg + "_Beta", otherVendor + "_gamma", "nope"}
	var keys []registry.SystemPageKey
	for _, s := range systems {
		for _, first := range []int{0, 2, 50} {
			keys = append(keys, registry.SystemPageKey{SystemID: s, First: first})
		}
	}
	for name, ctx := range map[string]context.Context{"vendor": vendorCtx(vendorOrg), "admin": adminCtx(),
		"person": personCtx(pid), "anonymous": anonCtx()} {
		got, err := f.svc.FirstSystemUserPages(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			want, err := f.svc.ListSystemUsers(ctx, registry.SystemUserFilter{SystemID: k.SystemID}, registry.Page{First: k.First})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got[k], want) {
				t.Fatalf("%s %+v: batched %s, listed %s", name, k, dump(got[k]), dump(want))
			}
		}
	}
	if _, err := f.svc.FirstSystemUserPages(adminCtx(), []registry.SystemPageKey{{SystemID: "x", First: -1}}); err == nil {
		t.Fatal("a negative page size was accepted")
	}
}

func dump(c *registry.Connection[*registry.SystemUser]) string {
	if c == nil {
		return "nil"
	}
	out := fmt.Sprintf("total %d next %v items", c.TotalCount, c.HasNextPage)
	for i, it := range c.Items {
		out += fmt.Sprintf(" %s %+v", c.Cursor(i), *it)
	}
	return out
}

// TestVendorListPagesByKeyset walks a vendor's system users over two of
// its systems in pages of every size and checks they are the union of its
// systems' lists in (created_at, id) order, with the right totals.
func TestVendorListPagesByKeyset(t *testing.T) {
	t.Parallel()
	f := catalogWorld(t)
	for i := range 7 {
		sys := []string{vendorOrg + "_alpha", vendorOrg + "_hidden", otherVendor + "_gamma"}[i%3]
		su := &db.SystemUser{IntegrationTitle: "t", SystemID: sys, OwnerOrg: customerOrg, ExternalRef: fmt.Sprint(i), UserType: "standard"}
		if _, err := f.db.NewInsert().Model(su).Returning("id").Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ctx := vendorCtx(vendorOrg)
	var want []string
	var wantAt []time.Time
	for _, sys := range []string{vendorOrg + "_alpha", vendorOrg + "_hidden"} {
		c, err := f.svc.ListSystemUsers(adminCtx(), registry.SystemUserFilter{SystemID: sys}, registry.Page{First: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range c.Items {
			want, wantAt = append(want, it.ID.String()), append(wantAt, it.CreatedAt)
		}
	}
	idx := make([]int, len(want))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := wantAt[a].Compare(wantAt[b]); c != 0 {
			return c
		}
		return strings.Compare(want[a], want[b])
	})
	var sorted []string
	for _, i := range idx {
		sorted = append(sorted, want[i])
	}
	for size := 1; size <= 6; size++ {
		var got []string
		page := registry.Page{First: size}
		for {
			c, err := f.svc.ListSystemUsers(ctx, registry.SystemUserFilter{}, page)
			if err != nil {
				t.Fatal(err)
			}
			if c.TotalCount != len(sorted) {
				t.Fatalf("page size %d: total %d, want %d", size, c.TotalCount, len(sorted))
			}
			for _, it := range c.Items {
				got = append(got, it.ID.String())
			}
			if !c.HasNextPage {
				break
			}
			page.After = c.EndCursor()
		}
		if !slices.Equal(got, sorted) {
			t.Fatalf("page size %d: walked %v, want %v", size, got, sorted)
		}
	}
}
