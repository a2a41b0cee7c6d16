package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
)

// TestSystemUserCursorsPageThroughAll walks a system's system users two at
// a time with the cursors GraphQL hands out, which are made only when
// selected: the first page comes from the batched first pages (the
// vendor's function, or a person's statement), the others from the list.
// Every system user must come once, and each page's start and end cursors
// must be its first and last edge's.
func TestSystemUserCursorsPageThroughAll(t *testing.T) {
	t.Parallel()
	const owner, pid = "313775429", "02056260016"
	e := gatewaytest.New(t, gatewaytest.WithCatalogCache())
	mustExec(t, e.DB, &db.Organization{OrgNumber: owner, Name: "Owner AS"},
		&db.Person{PID: pid, Name: "Kari"}, &db.PersonRole{PID: pid, OrgNumber: owner, Role: "DAGL"})
	systems := world(t, e.DB, 1, owner)
	vendor := systems[0][:9]
	for i := range 4 {
		su := &db.SystemUser{IntegrationTitle: fmt.Sprint("su ", i), SystemID: systems[0], OwnerOrg: owner,
			ExternalRef: fmt.Sprint("ref-", i), UserType: "standard"}
		if _, err := e.DB.NewInsert().Model(su).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	const query = `query($after: String) { systems(first: 1) { edges { node {
  systemUsers(first: 2, after: $after) { totalCount
    edges { cursor node { id } } pageInfo { hasNextPage startCursor endCursor } } } } } }`
	for name, token := range map[string]string{
		"vendor": e.VendorToken(t, vendor, identity.ScopeSystemRegisterWrite),
		"person": e.PersonToken(t, pid),
	} {
		t.Run(name, func(t *testing.T) {
			seen := map[string]bool{}
			var after any
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatalf("still paging after %d pages", pages)
				}
				resp := e.GraphQL(t, token, query, map[string]any{"after": after})
				if len(resp.Errors) > 0 {
					t.Fatalf("errors: %+v", resp.Errors)
				}
				var got struct {
					Systems struct {
						Edges []struct {
							Node struct {
								SystemUsers struct {
									TotalCount int
									Edges      []struct {
										Cursor string
										Node   struct{ ID string }
									}
									PageInfo struct {
										HasNextPage            bool
										StartCursor, EndCursor string
									}
								}
							}
						}
					}
				}
				if err := json.Unmarshal(resp.Data, &got); err != nil || len(got.Systems.Edges) != 1 {
					t.Fatalf("data %s: %v", resp.Data, err)
				}
				page := got.Systems.Edges[0].Node.SystemUsers
				if page.TotalCount != 5 || len(page.Edges) == 0 {
					t.Fatalf("page %d: total %d, %d edges; want 5 and some", pages, page.TotalCount, len(page.Edges))
				}
				for _, edge := range page.Edges {
					if edge.Cursor == "" || seen[edge.Node.ID] {
						t.Fatalf("page %d: edge %+v: an empty cursor or a system user seen before", pages, edge)
					}
					seen[edge.Node.ID] = true
				}
				if first, last := page.Edges[0].Cursor, page.Edges[len(page.Edges)-1].Cursor; page.PageInfo.StartCursor != first ||
					page.PageInfo.EndCursor != last {
					t.Fatalf("page %d: pageInfo %+v, edges from %s to %s", pages, page.PageInfo, first, last)
				}
				if !page.PageInfo.HasNextPage {
					break
				}
				after = page.PageInfo.EndCursor
			}
			if len(seen) != 5 {
				t.Fatalf("walked %d system users, want 5", len(seen))
			}
		})
	}
}
