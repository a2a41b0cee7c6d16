package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

// TestSystemUsersCountedOnlyWhenAsked: a list of system users runs its
// count only when the query selects totalCount (a vendor's count scans all
// its system users, issue 14); the total, when asked, is right.
func TestSystemUsersCountedOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	const owner = "313775429"
	e := gatewaytest.New(t)
	mustExec(t, e.DB, &db.Organization{OrgNumber: owner, Name: "Owner AS"},
		&db.Person{PID: "02056260016", Name: "Kari"},
		&db.PersonRole{PID: "02056260016", OrgNumber: owner, Role: "DAGL"})
	world(t, e.DB, 3, owner)
	token := e.PersonToken(t, "02056260016")
	for _, tc := range []struct {
		name, query string
		counts      int
	}{
		{"edges only", `{ systemUsers(first: 2) { edges { node { id } } pageInfo { hasNextPage } } }`, 0},
		{"totalCount", `{ systemUsers(first: 2) { totalCount edges { node { id } } } }`, 1},
		{"totalCount in a fragment", `{ systemUsers(first: 2) { ...c } } fragment c on SystemUserConnection { totalCount }`, 1},
		{"organisation's, edges only", `{ organization(orgNumber: "` + owner + `") { systemUsers(first: 2) { edges { node { id } } } } }`, 0},
	} {
		e.Counter.Reset()
		resp := e.GraphQL(t, token, tc.query, nil)
		if len(resp.Errors) > 0 {
			t.Fatalf("%s: %+v", tc.name, resp.Errors)
		}
		n := 0
		for _, q := range e.Counter.Queries() {
			if strings.Contains(q, "count(") {
				n++
			}
		}
		if n != tc.counts {
			t.Errorf("%s: %d counts, want %d: %v", tc.name, n, tc.counts, e.Counter.Queries())
		}
		if tc.counts == 1 {
			var got struct{ SystemUsers struct{ TotalCount int } }
			if err := json.Unmarshal(resp.Data, &got); err != nil || got.SystemUsers.TotalCount != 3 {
				t.Errorf("%s: totalCount %d (%v), want 3", tc.name, got.SystemUsers.TotalCount, err)
			}
		}
	}
}
