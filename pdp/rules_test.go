package pdp

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestAuthorizeRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tk := newTokens(t)
	otherKey := newTokens(t).key
	type tc struct {
		name        string
		req         Request
		result      Result
		code        ReasonCode
		permittedBy string
	}
	std := func(res, action, party string) Request {
		return Request{SystemUserID: f.standard, ResourceID: res, Action: action, PartyOrg: party, CallerOrg: callerOrg}
	}
	withToken := func(r Request, token string) Request { r.Token = token; return r }
	noSubject := func(r Request) Request { r.SystemUserID = uuid.Nil; return r }
	cases := []tc{
		{"OK/RightForAction", std("ske-krav", "read", ownerOrg), Permit, PermitRight, "right:ske-krav:read"},
		{"OK/RightForAllActions", std("scoped-res", "write", ownerOrg), Permit, PermitRight, "right:scoped-res:*"},
		{"OK/Package", std("pkg-res", "write", ownerOrg), Permit, PermitPackage, "package:" + pkgURN},
		{"ErrNotGranted", std("ske-krav", "write", ownerOrg), Deny, NotGranted, ""},
		{"ErrPartyNotOwner", std("ske-krav", "read", otherOrg), Deny, PartyNotOwner, ""},
		{"ErrSystemUserNotFound", Request{SystemUserID: uuid.New(), ResourceID: "ske-krav", Action: "read", PartyOrg: ownerOrg}, Deny, SystemUserNotFound, ""},
		{"ErrSystemUserDeleted", Request{SystemUserID: f.deleted, ResourceID: "ske-krav", Action: "read", PartyOrg: otherOrg}, Deny, SystemUserDeleted, ""},
		{"ErrSystemDeleted", Request{SystemUserID: f.onDeadSystem, ResourceID: "ske-krav", Action: "read", PartyOrg: ownerOrg}, Deny, SystemDeleted, ""},
		{"ErrResourceNotFound", std("nope", "read", ownerOrg), NotApplicable, ResourceNotFound, ""},
		{"ErrActionNotSupported", std("ske-krav", "sign", ownerOrg), NotApplicable, ActionNotSupported, ""},
		{"ErrMissingParty", std("ske-krav", "read", ""), Indeterminate, MissingAttribute, ""},
		{"ErrMissingSubject", noSubject(std("ske-krav", "read", ownerOrg)), Indeterminate, MissingAttribute, ""},
		{"Agent/OK/ClientPackage", Request{SystemUserID: f.agent, ResourceID: "pkg-res", Action: "read", PartyOrg: clientOrg}, Permit, PermitPackage, "package:" + pkgURN},
		{"Agent/ErrOwnerIsNoClient", Request{SystemUserID: f.agent, ResourceID: "pkg-res", Action: "read", PartyOrg: facilitatorOrg}, Deny, ClientNotDelegated, ""},
		{"Agent/ErrClientGaveNoPackage", Request{SystemUserID: f.agent, ResourceID: "pkg-res", Action: "read", PartyOrg: client2Org}, Deny, NotGranted, ""},
		{"Agent/ErrResourceNotInPackage", Request{SystemUserID: f.agent, ResourceID: "ske-krav", Action: "read", PartyOrg: clientOrg}, Deny, NotGranted, ""},
		{"Token/OK", withToken(std("ske-krav", "read", ownerOrg), tk.sign(t, tk.key, f.standard, "", time.Minute)), Permit, PermitRight, "right:ske-krav:read"},
		{"Token/OK/SubjectFromToken", withToken(noSubject(std("ske-krav", "read", ownerOrg)), tk.sign(t, tk.key, f.standard, "", time.Minute)), Permit, PermitRight, "right:ske-krav:read"},
		{"Token/OK/RequiredScope", withToken(std("scoped-res", "read", ownerOrg), tk.sign(t, tk.key, f.standard, "a "+scope, time.Minute)), Permit, PermitRight, "right:scoped-res:*"},
		{"Token/ErrScopeMissing", withToken(std("scoped-res", "read", ownerOrg), tk.sign(t, tk.key, f.standard, "a", time.Minute)), Deny, TokenScopeMissing, ""},
		{"Token/ErrSubjectMismatch", withToken(std("ske-krav", "read", ownerOrg), tk.sign(t, tk.key, f.agent, "", time.Minute)), Deny, TokenSubjectMismatch, ""},
		{"Token/ErrWrongKey", withToken(std("ske-krav", "read", ownerOrg), tk.sign(t, otherKey, f.standard, "", time.Minute)), Deny, TokenInvalid, ""},
		{"Token/ErrExpired", withToken(std("ske-krav", "read", ownerOrg), tk.sign(t, tk.key, f.standard, "", -time.Minute)), Deny, TokenInvalid, ""},
		{"Token/ErrGarbage", withToken(std("ske-krav", "read", ownerOrg), "not.a.jwt"), Deny, TokenInvalid, ""},
	}
	engines := map[string]*Engine{
		"Uncached": newEngine(t, f.bdb, Options{Verifier: tk.verifier(t)}),
		"Cached":   startEngine(t, f.bdb, Options{Verifier: tk.verifier(t)}),
	}
	for mode, e := range engines {
		for _, c := range cases {
			t.Run(mode+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				for round := range 2 { // the second round is a cache hit when cached
					d, err := e.Authorize(context.Background(), c.req)
					if err != nil {
						t.Fatal(err)
					}
					if d.Result != c.result || d.ReasonCode != c.code || d.PermittedBy != c.permittedBy {
						t.Fatalf("round %d: got %s %s %q (%s), want %s %s %q", round, d.Result, d.ReasonCode, d.PermittedBy, d.Reason, c.result, c.code, c.permittedBy)
					}
					if d.Reason == "" || d.ID.Version() != 7 || d.DecidedAt.IsZero() {
						t.Fatalf("incomplete decision %+v", d)
					}
					if (d.Result == Permit) != (d.XACMLResult() == Permit) {
						t.Fatalf("XACML result %s for %s", d.XACMLResult(), d.Result)
					}
				}
			})
		}
	}
}

func TestAuthorizeBatchKeepsOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := newEngine(t, f.bdb, Options{MaxBatch: 3})
	reqs := []Request{
		{SystemUserID: f.standard, ResourceID: "ske-krav", Action: "write", PartyOrg: ownerOrg},
		{SystemUserID: f.agent, ResourceID: "pkg-res", Action: "read", PartyOrg: clientOrg},
		{SystemUserID: f.standard, ResourceID: "ske-krav", Action: "read", PartyOrg: ownerOrg},
	}
	ds, err := e.AuthorizeBatch(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	want := []ReasonCode{NotGranted, PermitPackage, PermitRight}
	for i, d := range ds {
		if d.ReasonCode != want[i] {
			t.Errorf("decision %d: %s, want %s", i, d.ReasonCode, want[i])
		}
	}
	if _, err := e.AuthorizeBatch(context.Background(), append(reqs, reqs[0])); err == nil {
		t.Error("a batch over MaxBatch was accepted")
	}
}
