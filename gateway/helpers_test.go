package gateway_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
)

func mustExec(t *testing.T, bdb *bun.DB, models ...any) {
	t.Helper()
	for _, m := range models {
		if _, err := bdb.NewInsert().Model(m).Exec(context.Background()); err != nil {
			t.Fatalf("insert %T: %v", m, err)
		}
	}
}

// validOrgNumbers returns n valid (mod-11) organisation numbers.
func validOrgNumbers(n int) []string {
	var out []string
	weights := []int{3, 2, 7, 6, 5, 4, 3, 2}
	for base := 31000000; len(out) < n; base++ {
		digits := fmt.Sprintf("%08d", base)
		sum := 0
		for i, w := range weights {
			sum += int(digits[i]-'0') * w
		}
		r := sum % 11
		if r == 1 {
			continue
		}
		check := 0
		if r != 0 {
			check = 11 - r
		}
		out = append(out, fmt.Sprintf("%s%d", digits, check))
	}
	return out
}

// world inserts a service owner with two resources (read/write) in one
// package, and n vendors each with one visible system asking for both
// resources and the package, and one system user owned by owner.
func world(t *testing.T, bdb *bun.DB, n int, owner string) (systems []string) {
	t.Helper()
	orgs := validOrgNumbers(n + 2)
	so := orgs[n]
	if owner == "" {
		owner = orgs[n+1]
	}
	mustExec(t, bdb, &db.Organization{OrgNumber: so, Name: "Service Owner"})
	if owner == orgs[n+1] {
		mustExec(t, bdb, &db.Organization{OrgNumber: owner, Name: "Owner AS"})
	}
	for _, r := range []string{"res-a", "res-b"} {
		mustExec(t, bdb, &db.Resource{ID: r, OwnerOrg: so, TitleNB: r, TitleNN: r, TitleEN: r, Delegable: true},
			&db.ResourceAction{ResourceID: r, Action: "read"}, &db.ResourceAction{ResourceID: r, Action: "write"})
	}
	pkg := "urn:altinn:accesspackage:test-pakke"
	mustExec(t, bdb, &db.AccessPackage{URN: pkg, Name: "Test", Assignable: true, Delegable: true},
		&db.AccessPackageResource{PackageURN: pkg, ResourceID: "res-a"})
	for i := range n {
		vendor := orgs[i]
		id := vendor + "_sys"
		mustExec(t, bdb, &db.Organization{OrgNumber: vendor, Name: fmt.Sprintf("Vendor %d", i)},
			&db.System{ID: id, VendorOrg: vendor, NameNB: "S", NameNN: "S", NameEN: "S", IsVisible: true},
			&db.SystemRight{SystemID: id, ResourceID: "res-a", Action: "read"},
			&db.SystemRight{SystemID: id, ResourceID: "res-b"},
			&db.SystemAccessPackage{SystemID: id, PackageURN: pkg},
		)
		su := &db.SystemUser{IntegrationTitle: "su", SystemID: id, OwnerOrg: owner, ExternalRef: owner, UserType: "standard"}
		if _, err := bdb.NewInsert().Model(su).Returning("id").Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		mustExec(t, bdb, &db.SystemUserRight{SystemUserID: su.ID, ResourceID: "res-a", Action: "read"},
			&db.SystemUserAccessPackage{SystemUserID: su.ID, PackageURN: pkg})
		systems = append(systems, id)
	}
	return systems
}
