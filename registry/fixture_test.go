package registry_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Organisation numbers with valid mod-11 check digits.
const (
	vendorOrg   = "991825827"
	otherVendor = "312605031"
	customerOrg = "313775429"
)

// fixture is a fresh database with a small catalog and a Service on it.
type fixture struct {
	tb  testing.TB
	db  *bun.DB
	svc *registry.Service
	now time.Time
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	f := &fixture{tb: tb, db: dbtest.New(tb), now: time.Now()}
	f.svc = registry.New(f.db, registry.Options{
		Now: func() time.Time { return f.now }, PublicURL: "http://localhost:8080",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	f.MustOrg(vendorOrg, "Vendor AS")
	f.MustOrg(otherVendor, "Other Vendor AS")
	f.MustOrg(customerOrg, "Customer AS")
	f.MustResource("ske-krav", vendorOrg, "read", "write")
	f.MustResource("ske-mva", vendorOrg, "read")
	f.MustPackage("urn:altinn:accesspackage:skattnaering", true, false, "ske-krav")
	f.MustPackage("urn:altinn:accesspackage:regnskapsforer-lonn", false, true, "ske-mva")
	f.MustPackage("urn:altinn:accesspackage:both", true, true, "ske-mva")
	return f
}

func (f *fixture) exec(q string, args ...any) {
	f.tb.Helper()
	if _, err := f.db.ExecContext(context.Background(), q, args...); err != nil {
		f.tb.Fatalf("fixture: %s: %v", q, err)
	}
}

func (f *fixture) MustOrg(org, name string) {
	f.tb.Helper()
	f.exec("INSERT INTO organizations (org_number, name) VALUES (?, ?)", org, name)
}

// MustPerson creates a person holding roles at org.
func (f *fixture) MustPerson(pid, org string, roles ...string) {
	f.tb.Helper()
	f.exec("INSERT INTO persons (pid, name) VALUES (?, ?) ON CONFLICT DO NOTHING", pid, "Person "+pid)
	for _, r := range roles {
		f.exec("INSERT INTO person_roles (pid, org_number, role) VALUES (?, ?, ?)", pid, org, r)
	}
}

func (f *fixture) MustResource(id, owner string, actions ...string) {
	f.tb.Helper()
	f.exec("INSERT INTO resources (id, owner_org, title_nb, title_nn, title_en) VALUES (?, ?, ?, ?, ?)", id, owner, id, id, id)
	for _, a := range actions {
		f.exec("INSERT INTO resource_actions (resource_id, action) VALUES (?, ?)", id, a)
	}
}

func (f *fixture) MustPackage(urn string, assignable, delegable bool, resources ...string) {
	f.tb.Helper()
	f.exec("INSERT INTO access_packages (urn, name, assignable, delegable) VALUES (?, ?, ?, ?)", urn, urn, assignable, delegable)
	for _, r := range resources {
		f.exec("INSERT INTO access_package_resources (package_urn, resource_id) VALUES (?, ?)", urn, r)
	}
}

// MustClientRelationship gives facilitator the packages of client.
func (f *fixture) MustClientRelationship(client, facilitator string, pkgs ...string) {
	f.tb.Helper()
	for _, p := range pkgs {
		f.exec("INSERT INTO client_relationships (client_org, facilitator_org, role, package_urn) VALUES (?, ?, 'REGN', ?)", client, facilitator, p)
	}
}

var pidSeq atomic.Int64

// newPID returns a fresh 11-digit test pid.
func newPID() string { return fmt.Sprintf("%011d", 10000000000+pidSeq.Add(1)) }

var orgSeq atomic.Int64

// newOrgNumber returns a fresh valid organisation number.
func newOrgNumber() string {
	weights := []int{3, 2, 7, 6, 5, 4, 3, 2}
	for {
		base := fmt.Sprintf("%08d", 81000000+orgSeq.Add(1))
		sum := 0
		for i, w := range weights {
			sum += int(base[i]-'0') * w
		}
		r := sum % 11
		switch r {
		case 0:
			return base + "0"
		case 1:
			continue
		default:
			return base + fmt.Sprint(11-r)
		}
	}
}

func vendorCtx(org string, scopes ...string) context.Context {
	if len(scopes) == 0 {
		scopes = []string{identity.ScopeSystemRegisterWrite, identity.ScopeRequestWrite, identity.ScopeRequestRead}
	}
	return identity.NewContext(context.Background(), &identity.Identity{
		Kind: identity.Organization, OrgNumber: org, ClientID: "client-" + org, Scopes: scopes})
}

func adminCtx() context.Context {
	return identity.NewContext(context.Background(), &identity.Identity{
		Kind: identity.Organization, OrgNumber: otherVendor, Scopes: []string{identity.ScopeSystemRegisterAdmin}})
}

func personCtx(pid string) context.Context {
	return identity.NewContext(context.Background(), &identity.Identity{Kind: identity.Person, PID: pid})
}

func anonCtx() context.Context { return context.Background() }

// MustSystem inserts a system of vendor directly (bypassing the rules under test).
func (f *fixture) MustSystem(id, vendor string, visible bool, rights []registry.Right, pkgs []string, clients []string, urls []string) {
	f.tb.Helper()
	f.exec("INSERT INTO systems (id, vendor_org, name_nb, name_nn, name_en, is_visible) VALUES (?, ?, ?, ?, ?, ?)", id, vendor, id+" nb", id+" nn", id+" en", visible)
	for _, r := range rights {
		var action any
		if r.Action != "" {
			action = r.Action
		}
		f.exec("INSERT INTO system_rights (system_id, resource_id, action) VALUES (?, ?, ?)", id, r.Resource, action)
	}
	for _, p := range pkgs {
		f.exec("INSERT INTO system_access_packages (system_id, package_urn) VALUES (?, ?)", id, p)
	}
	for _, c := range clients {
		f.exec("INSERT INTO system_clients (client_id, system_id) VALUES (?, ?)", c, id)
	}
	for _, u := range urls {
		f.exec("INSERT INTO system_redirect_urls (system_id, url) VALUES (?, ?)", id, u)
	}
}
