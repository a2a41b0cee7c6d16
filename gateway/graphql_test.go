package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

const nestedSystemsQuery = `{ systems(first: 100) { totalCount edges { cursor node {
  id systemId vendor { orgNumber name }
  rights { action resource { resourceId owner { name } } }
  accessPackages { urn resources { resourceId } }
} } } }`

const nestedSystemUsersQuery = `query($org: String!) { systemUsers(first: 100, filter: {ownerOrgNumber: $org}) {
  totalCount edges { node {
    id systemUserId integrationTitle
    system { systemId vendor { orgNumber name } }
    owner { name }
    rights { action resource { resourceId owner { name } } }
    accessPackages { urn resources { resourceId } }
} } } }`

// TestNestedListQueriesDoNotGrowWithTheList counts the SQL statements of
// nested list queries: with dataloaders they depend on the query's depth,
// not on how many items the lists hold.
func TestNestedListQueriesDoNotGrowWithTheList(t *testing.T) {
	t.Parallel()
	const owner = "313775429"
	count := func(t *testing.T, n int, query string, asOwnerAdmin bool) int {
		e := gatewaytest.New(t, gatewaytest.WithLoaderWait(50*time.Millisecond))
		mustExec(t, e.DB, &db.Organization{OrgNumber: owner, Name: "Owner AS"},
			&db.Person{PID: "02056260016", Name: "Kari"},
			&db.PersonRole{PID: "02056260016", OrgNumber: owner, Role: "DAGL"})
		world(t, e.DB, n, owner)
		token := ""
		if asOwnerAdmin {
			token = e.PersonToken(t, "02056260016")
		}
		e.Counter.Reset()
		resp := e.GraphQL(t, token, query, map[string]any{"org": owner})
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		var got struct {
			Systems     *struct{ TotalCount int } `json:"systems"`
			SystemUsers *struct{ TotalCount int } `json:"systemUsers"`
		}
		if err := json.Unmarshal(resp.Data, &got); err != nil {
			t.Fatal(err)
		}
		total := 0
		if got.Systems != nil {
			total = got.Systems.TotalCount
		} else if got.SystemUsers != nil {
			total = got.SystemUsers.TotalCount
		}
		if total != n {
			t.Fatalf("totalCount = %d, want %d (data %s)", total, n, resp.Data)
		}
		return e.Counter.Count()
	}
	for _, tc := range []struct {
		name      string
		query     string
		ownerAuth bool
	}{
		{"systems", nestedSystemsQuery, false},
		{"systemUsers", nestedSystemUsersQuery, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			small, large := count(t, 2, tc.query, tc.ownerAuth), count(t, 25, tc.query, tc.ownerAuth)
			t.Logf("%s: %d SQL statements for 2 items, %d for 25", tc.name, small, large)
			if small != large {
				t.Fatalf("SQL statements grew with the list: %d for 2 items, %d for 25", small, large)
			}
		})
	}
}

func TestReadGraph(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	systems := world(t, e.DB, 1, "")
	ctx := context.Background()
	_ = ctx
	tests := []struct {
		name, query string
		want        string
	}{
		{"system by altinn id", fmt.Sprintf(`{ system(id: %q) { systemId vendor { name } } }`, systems[0]),
			fmt.Sprintf(`{"system":{"systemId":%q,"vendor":{"name":"Vendor 0"}}}`, systems[0])},
		{"unknown system is null", `{ system(id: "310000000_nope") { systemId } }`, `{"system":null}`},
		{"resources", `{ resources(first: 1) { totalCount edges { node { resourceId actions } } pageInfo { hasNextPage } } }`,
			`{"resources":{"totalCount":2,"edges":[{"node":{"resourceId":"res-a","actions":["read","write"]}}],"pageInfo":{"hasNextPage":true}}}`},
		{"access packages", `{ accessPackages { edges { node { urn resources { resourceId } } } } }`,
			`{"accessPackages":{"edges":[{"node":{"urn":"urn:altinn:accesspackage:test-pakke","resources":[{"resourceId":"res-a"}]}}]}}`},
		{"anonymous sees no system users", `{ systemUsers { totalCount } }`, `{"systemUsers":{"totalCount":0}}`},
		{"client ids hidden from the public", fmt.Sprintf(`{ system(id: %q) { clientIds redirectUrls } }`, systems[0]),
			`{"system":{"clientIds":null,"redirectUrls":null}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.GraphQL(t, "", tc.query, nil)
			if len(resp.Errors) > 0 {
				t.Fatalf("errors: %+v", resp.Errors)
			}
			assertJSONEqual(t, resp.Data, tc.want)
		})
	}
}

func TestNodeRefetch(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	world(t, e.DB, 1, "")
	resp := e.GraphQL(t, "", `{ systems { edges { node { id systemId } } } }`, nil)
	var got struct {
		Systems struct {
			Edges []struct{ Node struct{ ID, SystemID string } }
		}
	}
	if err := json.Unmarshal(resp.Data, &got); err != nil || len(got.Systems.Edges) != 1 {
		t.Fatalf("systems: %s %v", resp.Data, err)
	}
	n := got.Systems.Edges[0].Node
	resp = e.GraphQL(t, "", `query($id: ID!) { node(id: $id) { id ... on System { systemId } } }`, map[string]any{"id": n.ID})
	assertJSONEqual(t, resp.Data, fmt.Sprintf(`{"node":{"id":%q,"systemId":%q}}`, n.ID, n.SystemID))
	resp = e.GraphQL(t, "", `{ node(id: "bm90LWEtaWQ=") { id } }`, nil)
	assertJSONEqual(t, resp.Data, `{"node":null}`)
}

func assertJSONEqual(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %s: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("got  %s\nwant %s", gb, wb)
	}
}
