package registry_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

// approved creates and approves a request, returning the system user.
func approved(t *testing.T, f *fixture, admin string, agent bool, in registry.RequestInput) *registry.SystemUser {
	t.Helper()
	create := f.svc.CreateRequest
	if agent {
		create = f.svc.CreateAgentRequest
	}
	req, _, err := create(vendorCtx(vendorOrg), in)
	if err != nil {
		t.Fatal(err)
	}
	su, err := f.svc.ApproveRequest(personCtx(admin), req.ID)
	if err != nil {
		t.Fatal(err)
	}
	return su
}

func TestSystemUserScopeAndLookup(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t)
	su := approved(t, f, admin, false, stdInput())
	portal, err := f.svc.CreateSystemUser(personCtx(admin), stdSystem, customerOrg, "")
	if apperr.CodeOf(err) != apperr.Invalid { // same key (externalRef = org) as the approved one
		t.Errorf("portal duplicate: %v, %v", portal, err)
	}
	in := stdInput()
	in.ExternalRef = "second"
	approved(t, f, admin, false, in)
	stranger := newPID()
	f.MustPerson(stranger, otherVendor, "DAGL")

	tests := []struct {
		name string
		ctx  context.Context
		want int
	}{
		{"Vendor", vendorCtx(vendorOrg), 2},
		{"OtherVendor", vendorCtx(otherVendor), 0},
		{"OwnerAdmin", personCtx(admin), 2},
		{"Stranger", personCtx(stranger), 0},
		{"Anonymous", anonCtx(), 0},
		{"Admin", adminCtx(), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := f.svc.ListSystemUsers(tt.ctx, registry.SystemUserFilter{}, registry.Page{})
			if err != nil || len(conn.Items) != tt.want || conn.TotalCount != tt.want {
				t.Fatalf("list = %+v, %v; want %d", conn, err, tt.want)
			}
			_, err = f.svc.GetSystemUser(tt.ctx, su.ID)
			if (err == nil) != (tt.want > 0) {
				t.Errorf("get: %v", err)
			}
		})
	}
	conn, err := f.svc.ListSystemUsers(vendorCtx(vendorOrg), registry.SystemUserFilter{OwnerOrg: customerOrg, UserType: "agent"}, registry.Page{})
	if err != nil || len(conn.Items) != 0 {
		t.Errorf("agent filter = %+v, %v", conn, err)
	}
	first, err := f.svc.ListSystemUsers(vendorCtx(vendorOrg), registry.SystemUserFilter{SystemID: stdSystem}, registry.Page{First: 1})
	if err != nil || len(first.Items) != 1 || !first.HasNextPage {
		t.Fatalf("page 1 = %+v, %v", first, err)
	}
	second, err := f.svc.ListSystemUsers(vendorCtx(vendorOrg), registry.SystemUserFilter{SystemID: stdSystem}, registry.Page{First: 1, After: first.Cursor(0)})
	if err != nil || len(second.Items) != 1 || second.HasNextPage || second.Items[0].ID == first.Items[0].ID {
		t.Fatalf("page 2 = %+v, %v", second, err)
	}

	lookupCtx := identity.NewContext(context.Background(), &identity.Identity{Kind: identity.Organization,
		OrgNumber: "999999999", Scopes: []string{identity.ScopeSystemUserLookup}})
	lookups := []struct {
		name                         string
		ctx                          context.Context
		client, provider, owner, ref string
		want                         apperr.Code
	}{
		{"OK", lookupCtx, "std-client", vendorOrg, customerOrg, "", ""},
		{"OKExternalRef", lookupCtx, "std-client", vendorOrg, customerOrg, "second", ""},
		{"ErrWrongClient", lookupCtx, "agent-client", vendorOrg, customerOrg, "", apperr.NotFound},
		{"ErrWrongProvider", lookupCtx, "std-client", otherVendor, customerOrg, "", apperr.NotFound},
		{"ErrWrongRef", lookupCtx, "std-client", vendorOrg, customerOrg, "third", apperr.NotFound},
		{"ErrNoScope", vendorCtx(vendorOrg), "std-client", vendorOrg, customerOrg, "", apperr.Forbidden},
		{"ErrMissingParam", lookupCtx, "", vendorOrg, customerOrg, "", apperr.Invalid},
	}
	for _, tt := range lookups {
		t.Run("Lookup"+tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := f.svc.LookupSystemUser(tt.ctx, tt.client, tt.provider, tt.owner, tt.ref)
			if apperr.CodeOf(err) != tt.want {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if err == nil && (got.OwnerOrg != customerOrg || got.SystemID != stdSystem) {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestLookupAfterDeletes(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t)
	su := approved(t, f, admin, false, stdInput())
	ctx := identity.NewContext(context.Background(), &identity.Identity{Kind: identity.Organization,
		OrgNumber: vendorOrg, Scopes: []string{identity.ScopeSystemUserLookup}})
	if _, err := f.svc.LookupSystemUser(ctx, "std-client", vendorOrg, customerOrg, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteSystem(vendorCtx(vendorOrg), stdSystem); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.LookupSystemUser(ctx, "std-client", vendorOrg, customerOrg, ""); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("lookup after system delete: %v", err)
	}
	if got, err := f.svc.GetSystemUser(personCtx(admin), su.ID); err != nil || got.IsDeleted {
		t.Errorf("system user of deleted system = %+v, %v", got, err)
	}
}

func TestCreateSystemUserPortal(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t)
	stranger := newPID()
	f.MustPerson(stranger, customerOrg, "KLADM")
	if _, err := f.svc.CreateSystemUser(personCtx(stranger), stdSystem, customerOrg, "x"); apperr.CodeOf(err) != apperr.Forbidden {
		t.Errorf("non-admin: %v", err)
	}
	if _, err := f.svc.CreateSystemUser(personCtx(admin), agentSystem, customerOrg, "x"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("invisible system: %v", err)
	}
	su, err := f.svc.CreateSystemUser(personCtx(admin), stdSystem, customerOrg, "")
	if err != nil {
		t.Fatal(err)
	}
	if su.ExternalRef != customerOrg || su.IntegrationTitle != stdSystem+" nb" || len(su.Rights) != 2 ||
		!slices.Equal(su.AccessPackages, []string{"urn:altinn:accesspackage:both", "urn:altinn:accesspackage:skattnaering"}) {
		t.Errorf("system user = %+v", su)
	}
	if _, err := f.svc.CreateSystemUser(personCtx(admin), stdSystem, customerOrg, ""); !slices.Equal(reasons(err), []string{"SYSTEM_USER_EXISTS"}) {
		t.Errorf("duplicate: %v", err)
	}
}

func TestClients(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t)
	// The agent's owner is customerOrg (the accounting firm here).
	agent := approved(t, f, admin, true, registry.RequestInput{SystemID: agentSystem, PartyOrg: customerOrg,
		AccessPackages: []string{"urn:altinn:accesspackage:regnskapsforer-lonn"}})
	std := approved(t, f, admin, false, stdInput())
	good, poor, unrelated := newOrgNumber(), newOrgNumber(), newOrgNumber()
	for _, o := range []string{good, poor, unrelated} {
		f.MustOrg(o, "Client "+o)
	}
	f.MustClientRelationship(good, customerOrg, "urn:altinn:accesspackage:regnskapsforer-lonn", "urn:altinn:accesspackage:both")
	f.MustClientRelationship(poor, customerOrg, "urn:altinn:accesspackage:both")
	clientAdmin := newPID()
	f.MustPerson(clientAdmin, customerOrg, "KLADM")
	ctx := personCtx(clientAdmin)

	tests := []struct {
		name   string
		ctx    context.Context
		su     uuid.UUID
		client string
		reason string
	}{
		{"OK", ctx, agent.ID, good, ""},
		{"OKTwice", ctx, agent.ID, good, ""},
		{"ErrLacksPackages", ctx, agent.ID, poor, "CLIENT_LACKS_PACKAGES"},
		{"ErrNoRelationship", ctx, agent.ID, unrelated, "CLIENT_LACKS_PACKAGES"},
		{"ErrClientNotFound", ctx, agent.ID, newOrgNumber(), "CLIENT_NOT_FOUND"},
		{"ErrNotAnAgent", ctx, std.ID, good, "NOT_AN_AGENT"},
		{"ErrNotClientAdmin", personCtx(newPID()), agent.ID, good, "SYSTEM_USER_NOT_FOUND"},
		{"ErrVendor", vendorCtx(vendorOrg), agent.ID, good, "UNAUTHENTICATED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := f.svc.AddClient(tt.ctx, tt.su, tt.client)
			if tt.reason != "" {
				if !slices.Equal(reasons(err), []string{tt.reason}) {
					t.Errorf("err = %v, want %s", err, tt.reason)
				}
				return
			}
			if err != nil || c.ClientOrg != tt.client || c.ClientName != "Client "+tt.client {
				t.Errorf("AddClient = %+v, %v", c, err)
			}
		})
	}
	avail, err := f.svc.AvailableClients(ctx, agent.ID)
	if err != nil || len(avail) != 1 || avail[0].OrgNumber != good {
		t.Errorf("available = %+v, %v", avail, err)
	}
	conn, err := f.svc.ListClients(ctx, agent.ID, registry.Page{})
	if err != nil || conn.TotalCount != 1 || conn.Items[0].ClientOrg != good {
		t.Errorf("list = %+v, %v", conn, err)
	}
	if err := f.svc.RemoveClient(ctx, agent.ID, poor); !slices.Equal(reasons(err), []string{"CLIENT_NOT_DELEGATED"}) {
		t.Errorf("remove undelegated: %v", err)
	}
	if err := f.svc.RemoveClient(ctx, agent.ID, good); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddClient(ctx, agent.ID, good); err != nil {
		t.Fatal(err)
	}
	// Deleting the agent removes its client delegations too.
	if err := f.svc.DeleteSystemUser(personCtx(admin), agent.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := f.db.NewRaw("SELECT count(*) FROM client_delegations WHERE system_user_id = ?", agent.ID).Scan(t.Context(), &n); err != nil || n != 0 {
		t.Errorf("client delegations after delete = %d, %v", n, err)
	}
}

func TestListSystemUsersQueryCount(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t)
	for i := range 5 {
		in := stdInput()
		in.ExternalRef = "ref" + string(rune('a'+i))
		approved(t, f, admin, false, in)
	}
	counter := &dbtest.QueryCounter{}
	f.db.AddQueryHook(counter) //nolint:staticcheck // SA1019: the hook must reach the services already holding this *bun.DB; WithQueryHook returns a copy
	conn, err := f.svc.ListSystemUsers(personCtx(admin), registry.SystemUserFilter{}, registry.Page{First: 10})
	if err != nil || len(conn.Items) != 5 {
		t.Fatalf("list = %+v, %v", conn, err)
	}
	if n := counter.Count(); n != 3 {
		t.Errorf("queries = %d, want 3 (count, page, rights and packages): %v", n, counter.Queries())
	}
	for _, su := range conn.Items {
		if len(su.Rights) != 1 {
			t.Errorf("rights of %s not loaded", su.ID)
		}
	}
	// Without the total, no count: a vendor's would scan all its system users.
	counter.Reset()
	conn, err = f.svc.ListSystemUsers(personCtx(admin), registry.SystemUserFilter{}, registry.Page{First: 10, SkipTotal: true})
	if err != nil || len(conn.Items) != 5 || conn.TotalCount != 0 {
		t.Fatalf("list without total = %+v, %v", conn, err)
	}
	if n := counter.Count(); n != 2 {
		t.Errorf("queries without the total = %d, want 2 (page, rights and packages): %v", n, counter.Queries())
	}
}
