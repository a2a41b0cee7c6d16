package registry_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/registry"
)

// TestSystemUserCountsFollowEveryChange: the live counts the database keeps
// by trigger (system_user_counts) stay equal to a count of the rows through
// creation, soft deletion, a move, undeletion and hard deletion, and the
// totals ListSystemUsers answers from them equal the counted ones.
func TestSystemUserCountsFollowEveryChange(t *testing.T) {
	t.Parallel()
	f := catalogWorld(t)
	ctx := context.Background()
	alpha, beta, gamma := vendorOrg+"_alpha", vendorOrg+"_Beta", otherVendor+"_gamma"
	var ids []string
	add := func(sys string, n int) {
		for i := range n {
			su := &db.SystemUser{IntegrationTitle: "t", SystemID: sys, OwnerOrg: customerOrg, ExternalRef: fmt.Sprint(sys, len(ids), i), UserType: "standard"}
			if _, err := f.db.NewInsert().Model(su).Returning("id").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, su.ID.String())
		}
	}
	total := func(c context.Context, flt registry.SystemUserFilter) int {
		t.Helper()
		conn, err := f.svc.ListSystemUsers(c, flt, registry.Page{First: 1})
		if err != nil {
			t.Fatal(err)
		}
		return conn.TotalCount
	}
	check := func(step string) {
		t.Helper()
		var drift []string
		if err := f.db.NewRaw(`SELECT coalesce(c.system_id, l.system_id) || ': ' || coalesce(c.live, 0) || ' kept, ' || coalesce(l.n, 0) || ' live'
FROM system_user_counts c FULL JOIN (SELECT system_id, count(*) AS n FROM system_users WHERE deleted_at IS NULL GROUP BY system_id) l
  ON l.system_id = c.system_id WHERE coalesce(c.live, 0) <> coalesce(l.n, 0)`).Scan(ctx, &drift); err != nil {
			t.Fatal(err)
		}
		if len(drift) > 0 {
			t.Fatalf("%s: counts drifted: %v", step, drift)
		}
		for name, c := range map[string]context.Context{"vendor": vendorCtx(vendorOrg), "other vendor": vendorCtx(otherVendor), "admin": adminCtx()} {
			for _, sys := range []string{"", alpha, gamma} {
				kept := total(c, registry.SystemUserFilter{SystemID: sys})
				// A filter the kept counts cannot answer: counted row by row.
				counted := total(c, registry.SystemUserFilter{SystemID: sys, UserType: "standard"})
				if kept != counted {
					t.Fatalf("%s, %s, system %q: total %d from the counts, %d counted", step, name, sys, kept, counted)
				}
			}
		}
	}
	check("empty")
	add(alpha, 3)
	add(beta, 2)
	add(gamma, 4)
	check("created")
	f.exec("UPDATE system_users SET deleted_at = now() WHERE id = ?", ids[0])
	f.exec("UPDATE system_users SET deleted_at = now() WHERE id = ?", ids[5])
	check("soft-deleted")
	f.exec("UPDATE system_users SET deleted_at = now() WHERE id = ?", ids[0]) // deleted again: no change
	f.exec("UPDATE system_users SET system_id = ? WHERE id = ?", beta, ids[1])
	check("moved")
	f.exec("UPDATE system_users SET deleted_at = NULL WHERE id = ?", ids[0])
	f.exec("UPDATE system_users SET deleted_at = NULL WHERE id = ?", ids[2]) // live already
	check("undeleted")
	f.exec("DELETE FROM system_users WHERE id IN (?, ?)", ids[3], ids[5])
	check("hard-deleted")
}
