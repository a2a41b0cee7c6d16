package pdp

import (
	"context"
	"testing"
)

// The decision counters count what the caller was answered: the XACML
// route answers a Deny as NotApplicable and a malformed item as
// Indeterminate, and is counted so; Authorize counts the engine's result.
func TestStatsCountAnsweredResults(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := newEngine(t, f.bdb, Options{})
	std := f.standard.String()
	ctx := context.Background()

	for _, body := range []string{
		xacmlSingle(std, "read", "ske-krav", ownerOrg),  // Permit
		xacmlSingle(std, "write", "ske-krav", ownerOrg), // engine Deny, answered NotApplicable
		`{"Request":`, // answered Indeterminate without a rule
	} {
		if _, err := e.AuthorizeXACML(ctx, []byte(body), callerOrg); err != nil {
			t.Fatal(err)
		}
	}
	got := e.Stats()
	if got.Permit != 1 || got.Deny != 0 || got.NotApplicable != 1 || got.Indeterminate != 1 {
		t.Fatalf("after XACML: %+v, want Permit 1, Deny 0, NotApplicable 1, Indeterminate 1", got)
	}

	d, err := e.Authorize(ctx, Request{SystemUserID: f.standard, Action: "write", ResourceID: "ske-krav", PartyOrg: ownerOrg, CallerOrg: callerOrg})
	if err != nil {
		t.Fatal(err)
	}
	if d.Result != Deny {
		t.Fatalf("Authorize: %s, want Deny", d.Result)
	}
	ds, err := e.AuthorizeBatch(ctx, []Request{
		{SystemUserID: f.standard, Action: "read", ResourceID: "ske-krav", PartyOrg: ownerOrg, CallerOrg: callerOrg},
		{SystemUserID: f.standard, Action: "write", ResourceID: "ske-krav", PartyOrg: ownerOrg, CallerOrg: callerOrg},
	})
	if err != nil || len(ds) != 2 {
		t.Fatalf("batch: %v %v", ds, err)
	}
	got = e.Stats()
	if got.Permit != 2 || got.Deny != 2 || got.NotApplicable != 1 || got.Indeterminate != 1 {
		t.Fatalf("after Authorize and a batch: %+v, want Permit 2, Deny 2, NotApplicable 1, Indeterminate 1", got)
	}
}
