package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

// TestNestedReadStatementsDoNotDependOnTheWindow: a list of systems with
// each one's first page of system users loads those pages in one statement
// whatever the loaders' batch window, even one so short that no two
// systems' fields would meet in it (as under load, when goroutines start
// late). The system users' rights and access packages cost a statement
// only when the query reads them, directly or through a fragment.
func TestNestedReadStatementsDoNotDependOnTheWindow(t *testing.T) {
	t.Parallel()
	const owner, systems = "313775429", 25
	e := gatewaytest.New(t, gatewaytest.WithCatalogCache(), gatewaytest.WithLoaderWait(time.Nanosecond))
	mustExec(t, e.DB, &db.Organization{OrgNumber: owner, Name: "Owner AS"},
		&db.Person{PID: "02056260016", Name: "Kari"},
		&db.PersonRole{PID: "02056260016", OrgNumber: owner, Role: "DAGL"})
	world(t, e.DB, systems, owner)
	token := e.PersonToken(t, "02056260016")

	for _, tc := range []struct {
		name       string
		query      string
		vars       map[string]any
		pageSize   int // of systems
		statements int
		children   bool // the system users' rights and packages are in the answer
	}{
		{"OKIssue14NestedRead", issue14NestedRead, nil, 20, 1, false},
		{"OKPageSizeFromAVariable", `query($n: Int) { systems(first: 30) { edges { node { systemUsers(first: $n) { edges { node { id owner { name } } } } } } } }`,
			map[string]any{"n": 5}, 30, 1, false},
		{"OKDefaultPageSize", `{ systems(first: 30) { edges { node { systemUsers { edges { node { integrationTitle } } } } } } }`, nil, 30, 1, false},
		{"OKRightsAndPackages", `{ systems(first: 30) { edges { node { systemUsers(first: 10) { edges { node { rights { action resource { resourceId } } accessPackages { urn } } } } } } } }`,
			nil, 30, 2, true},
		{"OKRightsThroughAFragment", `{ systems(first: 30) { edges { node { systemUsers(first: 10) { edges { node { ...su } } } } } } }
fragment su on SystemUser { rights { action resource { resourceId } } accessPackages { urn } }`, nil, 30, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, resp := settledStatements(t, e, token, tc.query, tc.vars)
			if n != tc.statements {
				t.Errorf("%d SQL statements, want %d:\n%s", n, tc.statements, strings.Join(e.Counter.Queries(), "\n---\n"))
			}
			var got struct {
				Systems struct {
					Edges []struct {
						Node struct {
							SystemUsers struct {
								Edges []struct {
									Node struct {
										Rights []struct {
											Action   *string
											Resource struct{ ResourceID string }
										}
										AccessPackages []struct{ URN string }
									}
								}
							}
						}
					}
				}
			}
			if err := json.Unmarshal(resp.Data, &got); err != nil {
				t.Fatal(err)
			}
			if want := min(systems, tc.pageSize); len(got.Systems.Edges) != want {
				t.Fatalf("%d systems, want %d", len(got.Systems.Edges), want)
			}
			for _, s := range got.Systems.Edges {
				sus := s.Node.SystemUsers.Edges
				if len(sus) != 1 {
					t.Fatalf("a system with %d system users, want its 1: %s", len(sus), resp.Data)
				}
				if !tc.children {
					continue
				}
				su := sus[0].Node
				if len(su.Rights) != 1 || su.Rights[0].Resource.ResourceID != "res-a" || su.Rights[0].Action == nil || *su.Rights[0].Action != "read" ||
					len(su.AccessPackages) != 1 || su.AccessPackages[0].URN != "urn:altinn:accesspackage:test-pakke" {
					t.Fatalf("system user's rights %+v and packages %+v, want res-a read and the test package", su.Rights, su.AccessPackages)
				}
			}
		})
	}
}

// settledStatements runs query until two runs in a row take as many SQL
// statements (the world's change events reach the catalog cache
// asynchronously, and each drops it), and returns that count and the
// last answer.
func settledStatements(t *testing.T, e *gatewaytest.Env, token, query string, vars map[string]any) (int, gatewaytest.GraphQLResponse) {
	t.Helper()
	prev := -1
	for range 100 {
		e.Counter.Reset()
		resp := e.GraphQL(t, token, query, vars)
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		if c := e.Counter.Count(); c == prev {
			return c, resp
		} else {
			prev = c
		}
	}
	t.Fatal("the statement count never settled")
	return 0, gatewaytest.GraphQLResponse{}
}
