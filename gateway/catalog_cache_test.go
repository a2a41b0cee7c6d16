package gateway_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

// issue14NestedRead is the nested read of issue 14: a page of systems with
// name, vendor, rights with their resource, and a page of system users each.
// Its depth (systems > edges > node > systemUsers > edges > node > field) is 7.
const issue14NestedRead = `{ systems(first: 20) { totalCount edges { node {
  systemId name { nb } vendor { orgNumber name }
  rights { action resource { resourceId title { nb } } }
  systemUsers(first: 10) { totalCount edges { node { id integrationTitle owner { name } } } }
} } } }`

const issue14NestedReadDepth = 7

// TestNestedReadFromTheCatalogCache counts the SQL statements of the issue's
// nested read with the catalog served from memory: at most the query's
// depth, and the same for 2 systems as for 25.
func TestNestedReadFromTheCatalogCache(t *testing.T) {
	t.Parallel()
	const owner = "313775429"
	run := func(t *testing.T, n int) int {
		e := gatewaytest.New(t, gatewaytest.WithCatalogCache(), gatewaytest.WithLoaderWait(50*time.Millisecond))
		mustExec(t, e.DB, &db.Organization{OrgNumber: owner, Name: "Owner AS"},
			&db.Person{PID: "02056260016", Name: "Kari"},
			&db.PersonRole{PID: "02056260016", OrgNumber: owner, Role: "DAGL"})
		world(t, e.DB, n, owner)
		token := e.PersonToken(t, "02056260016")
		c, resp := settledStatements(t, e, token, issue14NestedRead, nil)
		var got struct {
			Systems struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						SystemUsers struct {
							TotalCount int
							Edges      []struct {
								Node struct{ Owner struct{ Name string } }
							}
						}
					}
				}
			}
		}
		if err := json.Unmarshal(resp.Data, &got); err != nil {
			t.Fatal(err)
		}
		if got.Systems.TotalCount != n || len(got.Systems.Edges) != min(n, 20) {
			t.Fatalf("systems: total %d, %d edges; want %d (data %s)", got.Systems.TotalCount, len(got.Systems.Edges), n, resp.Data)
		}
		for _, edge := range got.Systems.Edges {
			su := edge.Node.SystemUsers
			if su.TotalCount != 1 || len(su.Edges) != 1 || su.Edges[0].Node.Owner.Name != "Owner AS" {
				t.Fatalf("system users of a system: %+v, want the one of Owner AS", su)
			}
		}
		if c > issue14NestedReadDepth {
			t.Fatalf("%d SQL statements for the nested read of depth %d:\n%v", c, issue14NestedReadDepth, e.Counter.Queries())
		}
		return c
	}
	small, large := run(t, 2), run(t, 25)
	t.Logf("nested read: %d SQL statements for 2 systems, %d for 25 (depth %d)", small, large, issue14NestedReadDepth)
	if small != large {
		t.Fatalf("SQL statements grew with the list: %d for 2 systems, %d for 25", small, large)
	}
}

// TestCatalogChangeReachesAnotherInstance updates a system through one
// gateway's registry and reads it from another instance's cache: the change
// event must make it visible there within a second.
func TestCatalogChangeReachesAnotherInstance(t *testing.T) {
	t.Parallel()
	a := gatewaytest.New(t, gatewaytest.WithCatalogCache())
	world(t, a.DB, 1, "")
	// Instance b: its own listener (a connection of its own) and registry
	// with its own cache; it shares a's pool so a.Counter sees its SQL.
	bdb := a.DB
	lb := db.NewListener(bdb, nil)
	regB := registry.New(bdb, registry.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() { _ = lb.Run(ctx) }()
	go func() { _ = regB.RunCatalogCache(ctx, lb) }()
	deadline := time.Now().Add(10 * time.Second)
	for !lb.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("listener b did not connect")
		}
		time.Sleep(5 * time.Millisecond)
	}

	var sysID, vendor string
	if err := a.DB.NewRaw("SELECT id, vendor_org FROM systems").Scan(ctx, &sysID, &vendor); err != nil {
		t.Fatal(err)
	}
	// b caches the catalog: once a read runs no SQL, it is served from memory.
	anon := context.Background()
	cachedRead := func() (*registry.System, int) {
		a.Counter.Reset()
		s, err := regB.GetSystem(anon, sysID)
		if err != nil {
			t.Fatal(err)
		}
		return s, a.Counter.Count()
	}
	for try := 0; ; try++ {
		if _, n := cachedRead(); n == 0 {
			break
		}
		if try == 100 {
			t.Fatal("instance b never served the system from memory")
		}
	}

	vendorCtx := identity.NewContext(context.Background(), &identity.Identity{Kind: identity.Organization,
		OrgNumber: vendor, Scopes: []string{identity.ScopeSystemRegisterWrite}})
	cur, err := a.Registry.GetSystem(vendorCtx, sysID)
	if err != nil {
		t.Fatal(err)
	}
	in := registry.SystemInput{ID: sysID, VendorOrg: vendor, Name: registry.Texts{NB: "Nytt namn", NN: "Nytt namn", EN: "New name"},
		Description: cur.Description, Rights: cur.Rights, AccessPackages: cur.AccessPackages,
		ClientIDs: cur.ClientIDs, RedirectURLs: cur.RedirectURLs, IsVisible: true}
	if _, err := a.Registry.UpdateSystem(vendorCtx, sysID, in); err != nil {
		t.Fatal(err)
	}
	updated := time.Now()
	// a reads its own write at once.
	if s, err := a.Registry.GetSystem(anon, sysID); err != nil || s.Name.NB != "Nytt namn" {
		t.Fatalf("instance a after its own update: %+v, %v", s, err)
	}
	for {
		s, _ := cachedRead()
		if s.Name.NB == "Nytt namn" {
			t.Logf("instance b saw the change after %v", time.Since(updated))
			return
		}
		if time.Since(updated) > time.Second {
			t.Fatalf("instance b still serves the old name %q a second after the update", s.Name.NB)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
