package pdp

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/identity"
)

func TestDecisionLogAndScopedList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mustExec(t, f.bdb, "INSERT INTO persons (pid, name) VALUES ('01010112345', 'Dagny'), ('02020212345', 'Kari')")
	mustExec(t, f.bdb, "INSERT INTO person_roles VALUES ('01010112345', ?, 'DAGL'), ('02020212345', ?, 'KLADM')", ownerOrg, ownerOrg)
	e := newEngine(t, f.bdb, Options{Log: LogOptions{Batch: 2}})
	ctx := context.Background()
	const other = "310000078"
	for _, r := range []Request{
		{SystemUserID: f.standard, ResourceID: "ske-krav", Action: "read", PartyOrg: ownerOrg, CallerOrg: callerOrg},
		{SystemUserID: f.standard, ResourceID: "ske-krav", Action: "write", PartyOrg: ownerOrg, CallerOrg: callerOrg},
		{SystemUserID: f.standard, ResourceID: "pkg-res", Action: "read", PartyOrg: ownerOrg, CallerOrg: other},
		{SystemUserID: f.agent, ResourceID: "pkg-res", Action: "read", PartyOrg: clientOrg, CallerOrg: callerOrg},
		{SystemUserID: uuid.New(), ResourceID: "pkg-res", Action: "read", PartyOrg: ownerOrg, CallerOrg: callerOrg},
	} {
		if _, err := e.Authorize(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	as := func(id *identity.Identity) context.Context { return identity.NewContext(ctx, id) }
	admin := &identity.Identity{Kind: identity.Organization, OrgNumber: vendorOrg, Scopes: []string{identity.ScopeSystemRegisterAdmin}}
	cases := []struct {
		name   string
		ctx    context.Context
		filter DecisionFilter
		want   int
	}{
		{"Admin", as(admin), DecisionFilter{}, 5},
		{"ServiceOwnerSeesOwnCalls", as(&identity.Identity{Kind: identity.Organization, OrgNumber: callerOrg}), DecisionFilter{}, 4},
		{"ServiceOwnerFilterCannotWiden", as(&identity.Identity{Kind: identity.Organization, OrgNumber: callerOrg}), DecisionFilter{CallerOrg: other}, 0},
		{"PersonSeesAdministeredParty", as(&identity.Identity{Kind: identity.Person, PID: "01010112345"}), DecisionFilter{}, 4},
		{"PersonWithoutAdminRole", as(&identity.Identity{Kind: identity.Person, PID: "02020212345"}), DecisionFilter{}, 0},
		{"FilterBySystemUser", as(admin), DecisionFilter{SystemUserID: f.agent}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var got []Decision
			after := ""
			for {
				page, err := e.ListDecisions(c.ctx, c.filter, 2, after)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page.Decisions...)
				if !page.HasNextPage {
					break
				}
				after = page.EndCursor
			}
			if len(got) != c.want {
				t.Fatalf("%d decisions, want %d", len(got), c.want)
			}
			seen := map[uuid.UUID]bool{}
			for i, d := range got {
				if seen[d.ID] || (i > 0 && got[i-1].DecidedAt.Before(d.DecidedAt)) {
					t.Fatalf("pages repeat or are not newest first: %v", got)
				}
				seen[d.ID] = true
				if d.Reason == "" || d.ReasonCode == "" {
					t.Fatalf("logged decision lost its explanation: %+v", d)
				}
			}
		})
	}
	if _, err := e.ListDecisions(ctx, DecisionFilter{}, 10, ""); !apperr.Is(err, apperr.Unauthenticated) {
		t.Errorf("anonymous: %v, want unauthenticated", err)
	}
	if _, err := e.ListDecisions(as(admin), DecisionFilter{}, 10, "garbage!"); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("bad cursor: %v, want invalid", err)
	}
}

func TestDecisionLogFlushedOnClose(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := New(f.bdb, Options{Log: LogOptions{Batch: 1000, FlushEvery: 1 << 40}}) // only Close writes
	ctx := context.Background()
	for range 10 {
		if _, err := e.Authorize(ctx, Request{SystemUserID: f.standard, ResourceID: "ske-krav", Action: "read", PartyOrg: ownerOrg}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := f.bdb.NewSelect().Table("decisions").Count(ctx)
	if err != nil || n != 10 {
		t.Fatalf("%d decisions logged after Close (%v), want 10", n, err)
	}
}
