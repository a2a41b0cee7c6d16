package registry_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/registry"
)

func TestOrgNumbersValid(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	nums := []string{vendorOrg, otherVendor, customerOrg}
	for range 20 {
		nums = append(nums, newOrgNumber())
	}
	for _, n := range nums {
		var ok bool
		if err := f.db.NewRaw("SELECT org_number_valid(?)", n).Scan(t.Context(), &ok); err != nil || !ok {
			t.Errorf("org_number_valid(%s) = %v, %v", n, ok, err)
		}
	}
}

func TestListSystemsScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.MustSystem(vendorOrg+"_visible", vendorOrg, true, nil, nil, nil, nil)
	f.MustSystem(vendorOrg+"_hidden", vendorOrg, false, nil, nil, nil, nil)
	f.MustSystem(otherVendor+"_hidden", otherVendor, false, nil, nil, nil, nil)
	f.MustSystem(vendorOrg+"_gone", vendorOrg, true, nil, nil, nil, nil)
	f.exec("UPDATE systems SET is_deleted = true WHERE id = ?", vendorOrg+"_gone")

	tests := []struct {
		name string
		f    registry.SystemFilter
		want []string
	}{
		{"Anonymous", registry.SystemFilter{}, []string{vendorOrg + "_visible"}},
		{"Vendor", registry.SystemFilter{}, []string{vendorOrg + "_hidden", vendorOrg + "_visible"}},
		{"VendorDeleted", registry.SystemFilter{IncludeDeleted: true}, []string{vendorOrg + "_gone", vendorOrg + "_hidden", vendorOrg + "_visible"}},
		{"Admin", registry.SystemFilter{}, []string{otherVendor + "_hidden", vendorOrg + "_hidden", vendorOrg + "_visible"}},
		{"SearchCaseInsensitive", registry.SystemFilter{Search: "VISIB"}, []string{vendorOrg + "_visible"}},
		{"SearchLiteralUnderscore", registry.SystemFilter{Search: "%"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := anonCtx()
			switch tt.name {
			case "Vendor", "VendorDeleted", "SearchCaseInsensitive", "SearchLiteralUnderscore":
				ctx = vendorCtx(vendorOrg)
			case "Admin":
				ctx = adminCtx()
			}
			conn, err := f.svc.ListSystems(ctx, tt.f, registry.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range conn.Items {
				got = append(got, s.ID)
			}
			if !equalStrings(got, tt.want) || conn.TotalCount != len(tt.want) {
				t.Errorf("got %v (total %d), want %v", got, conn.TotalCount, tt.want)
			}
		})
	}
}

func TestGetSystemHidden(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.MustSystem(vendorOrg+"_hidden", vendorOrg, false, []registry.Right{{Resource: "ske-krav"}, {Resource: "ske-krav", Action: "read"}},
		[]string{"urn:altinn:accesspackage:skattnaering"}, []string{"c1"}, []string{"https://vendor.example/cb"})
	if _, err := f.svc.GetSystem(vendorCtx(otherVendor), vendorOrg+"_hidden"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("other vendor: err = %v, want not_found", err)
	}
	sys, err := f.svc.GetSystem(vendorCtx(vendorOrg), vendorOrg+"_hidden")
	if err != nil {
		t.Fatal(err)
	}
	if len(sys.Rights) != 2 || sys.Rights[0].Action != "" || len(sys.AccessPackages) != 1 || len(sys.ClientIDs) != 1 || len(sys.RedirectURLs) != 1 {
		t.Errorf("children = %+v", sys)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 7 {
		f.MustSystem(vendorOrg+"_s"+string(rune('a'+i)), vendorOrg, true, []registry.Right{{Resource: "ske-krav"}}, nil, []string{"cl" + string(rune('a'+i))}, nil)
	}
	counter := &dbtest.QueryCounter{}
	f.db.AddQueryHook(counter) //nolint:staticcheck // SA1019: the hook must reach the services already holding this *bun.DB; WithQueryHook returns a copy
	var got []string
	after := ""
	for {
		counter.Reset()
		conn, err := f.svc.ListSystems(anonCtx(), registry.SystemFilter{}, registry.Page{First: 3, After: after})
		if err != nil {
			t.Fatal(err)
		}
		if n := counter.Count(); n != 6 {
			t.Errorf("queries = %d, want 6 (count, page, 4 child tables): %v", n, counter.Queries())
		}
		for i, s := range conn.Items {
			got = append(got, s.ID)
			if len(s.Rights) != 1 || len(s.ClientIDs) != 1 {
				t.Errorf("children of %s not loaded", s.ID)
			}
			after = conn.Cursor(i)
		}
		if conn.TotalCount != 7 {
			t.Errorf("total = %d", conn.TotalCount)
		}
		if !conn.HasNextPage {
			break
		}
	}
	if len(got) != 7 {
		t.Errorf("got %v", got)
	}
	for _, p := range []registry.Page{{First: -1}, {After: "!!"}, {After: "dGVzdA"}} {
		if _, err := f.svc.ListSystems(anonCtx(), registry.SystemFilter{}, p); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("page %+v: err = %v, want invalid", p, err)
		}
	}
	if _, err := f.svc.ListSystemUsers(anonCtx(), registry.SystemUserFilter{}, registry.Page{After: "eA"}); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("system users bad cursor: %v", err)
	}
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	org, err := f.svc.GetOrganization(anonCtx(), customerOrg)
	if err != nil || org.Name != "Customer AS" {
		t.Fatalf("GetOrganization = %+v, %v", org, err)
	}
	if _, err := f.svc.GetOrganization(anonCtx(), "000000000"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("unknown org: %v", err)
	}
	res, err := f.svc.ListResources(anonCtx(), registry.Page{})
	if err != nil || len(res.Items) != 2 || len(res.Items[0].Actions) != 2 {
		t.Fatalf("ListResources = %+v, %v", res, err)
	}
	pk, err := f.svc.ListAccessPackages(anonCtx(), registry.Page{First: 2})
	if err != nil || len(pk.Items) != 2 || !pk.HasNextPage || pk.TotalCount != 3 || len(pk.Items[0].Resources) != 1 {
		t.Fatalf("ListAccessPackages = %+v, %v", pk, err)
	}
	pid := newPID()
	f.MustPerson(pid, customerOrg, "DAGL", "REGNA")
	f.MustPerson(pid, vendorOrg, "KLADM")
	orgs, err := f.svc.AdministeredOrgs(anonCtx(), pid)
	if err != nil || !equalStrings(orgs, []string{customerOrg}) {
		t.Errorf("AdministeredOrgs = %v, %v", orgs, err)
	}
	sus, err := f.svc.SystemUsersByID(anonCtx(), []uuid.UUID{uuid.New()})
	if err != nil || len(sus) != 0 {
		t.Errorf("SystemUsersByID = %v, %v", sus, err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
