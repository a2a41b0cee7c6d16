package registry_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/registry"
)

// The party side of requests, in Altinn's order of checks.
func TestPartyRequests(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t) // admin is DAGL of customerOrg
	secondOrg := newOrgNumber()
	f.MustOrg(secondOrg, "Second AS")
	f.MustPerson(admin, secondOrg, "DAGL")
	related := newPID()
	f.MustPerson(related, customerOrg, "REGNA")
	stranger := newPID()
	f.MustPerson(stranger, secondOrg, "DAGL")

	newReq := func(t *testing.T, ref string) *registry.Request {
		t.Helper()
		in := stdInput()
		in.ExternalRef = ref
		req, _, err := f.svc.CreateRequest(vendorCtx(vendorOrg), in)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	agentReq := func(t *testing.T, ref string) *registry.Request {
		t.Helper()
		req, _, err := f.svc.CreateAgentRequest(vendorCtx(vendorOrg), registry.RequestInput{SystemID: agentSystem, PartyOrg: customerOrg,
			ExternalRef: ref, AccessPackages: []string{"urn:altinn:accesspackage:regnskapsforer-lonn"}})
		if err != nil {
			t.Fatal(err)
		}
		return req
	}

	t.Run("Get", func(t *testing.T) {
		t.Parallel()
		req := newReq(t, "get")
		tests := []struct {
			name, pid, party, typ, reason string
		}{
			{"OK", admin, customerOrg, registry.TypeStandard, ""},
			{"ErrRequestNotFound/OtherParty", admin, secondOrg, registry.TypeStandard, "REQUEST_NOT_FOUND"},
			{"ErrRequestNotFound/OtherType", admin, customerOrg, registry.TypeAgent, "REQUEST_NOT_FOUND"},
			{"ErrNotAdministrator", stranger, customerOrg, registry.TypeStandard, "NOT_ADMINISTRATOR"},
			{"ErrNotAdministrator/Related", related, customerOrg, registry.TypeStandard, "NOT_ADMINISTRATOR"},
		}
		for _, tt := range tests {
			got, err := f.svc.GetPartyRequest(personCtx(tt.pid), tt.party, req.ID, tt.typ)
			if tt.reason != "" {
				if !slices.Equal(reasons(err), []string{tt.reason}) {
					t.Errorf("%s: err = %v, want %s", tt.name, err, tt.reason)
				}
				continue
			}
			if err != nil || got.ID != req.ID {
				t.Errorf("%s: %v, %v", tt.name, got, err)
			}
		}
		if _, err := f.svc.GetPartyRequest(vendorCtx(vendorOrg), customerOrg, req.ID, registry.TypeStandard); !slices.Equal(reasons(err), []string{"UNAUTHENTICATED"}) {
			t.Errorf("vendor token: %v", err)
		}
	})

	t.Run("Approve", func(t *testing.T) {
		t.Parallel()
		req := newReq(t, "approve")
		for _, tt := range []struct {
			name, pid, party, typ, reason string
		}{
			{"ErrPartyRequestMismatch", admin, secondOrg, registry.TypeStandard, "PARTY_REQUEST_MISMATCH"},
			{"ErrAgentRequestNotFound", admin, customerOrg, registry.TypeAgent, "AGENT_REQUEST_NOT_FOUND"},
			{"ErrNotAdministrator", stranger, customerOrg, registry.TypeStandard, "NOT_ADMINISTRATOR"},
		} {
			if _, err := f.svc.ApprovePartyRequest(personCtx(tt.pid), tt.party, req.ID, tt.typ); !slices.Equal(reasons(err), []string{tt.reason}) {
				t.Errorf("%s: err = %v", tt.name, err)
			}
		}
		if _, err := f.svc.ApprovePartyRequest(personCtx(admin), customerOrg, uuid.New(), registry.TypeStandard); !slices.Equal(reasons(err), []string{"REQUEST_NOT_FOUND"}) {
			t.Errorf("unknown id: %v", err)
		}
		su, err := f.svc.ApprovePartyRequest(personCtx(admin), customerOrg, req.ID, registry.TypeStandard)
		if err != nil || su.ID != req.ID {
			t.Fatalf("approve = %v, %v", su, err)
		}
		if _, err := f.svc.ApprovePartyRequest(personCtx(admin), customerOrg, req.ID, registry.TypeStandard); !slices.Equal(reasons(err), []string{"REQUEST_NOT_NEW"}) {
			t.Errorf("second approve: %v", err)
		}
		if _, err := f.svc.RejectPartyRequest(personCtx(admin), customerOrg, req.ID, registry.TypeStandard); !slices.Equal(reasons(err), []string{"REQUEST_NOT_NEW"}) {
			t.Errorf("reject after approve: %v", err)
		}
	})

	t.Run("AgentApproveAndReject", func(t *testing.T) {
		t.Parallel()
		a := agentReq(t, "agent-approve")
		if _, err := f.svc.ApprovePartyRequest(personCtx(admin), secondOrg, a.ID, registry.TypeAgent); !slices.Equal(reasons(err), []string{"PARTY_AGENT_REQUEST_MISMATCH"}) {
			t.Errorf("mismatch: %v", err)
		}
		if su, err := f.svc.ApprovePartyRequest(personCtx(admin), customerOrg, a.ID, registry.TypeAgent); err != nil || su.UserType != "agent" {
			t.Errorf("approve agent = %v, %v", su, err)
		}
		b := agentReq(t, "agent-reject")
		if got, err := f.svc.RejectPartyRequest(personCtx(admin), customerOrg, b.ID, registry.TypeAgent); err != nil || got.Status != "Rejected" {
			t.Errorf("reject agent = %v, %v", got, err)
		}
	})

	t.Run("Escalate", func(t *testing.T) {
		t.Parallel()
		req := newReq(t, "escalate")
		if ok, err := f.svc.EscalatePartyRequest(personCtx(stranger), customerOrg, req.ID, registry.TypeStandard); ok || err != nil {
			t.Errorf("unrelated person: %v, %v", ok, err)
		}
		if ok, err := f.svc.EscalatePartyRequest(personCtx(related), customerOrg, req.ID, registry.TypeStandard); !ok || err != nil {
			t.Fatalf("related person: %v, %v", ok, err)
		}
		got, err := f.svc.GetPartyRequest(personCtx(admin), customerOrg, req.ID, registry.TypeStandard)
		if err != nil || !got.Escalated {
			t.Errorf("after escalate: %+v, %v", got, err)
		}
		if _, err := f.svc.EscalatePartyRequest(personCtx(related), customerOrg, uuid.New(), registry.TypeStandard); !slices.Equal(reasons(err), []string{"REQUEST_NOT_FOUND"}) {
			t.Errorf("unknown id: %v", err)
		}
		if _, err := f.svc.RejectPartyRequest(personCtx(admin), customerOrg, req.ID, registry.TypeStandard); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.EscalatePartyRequest(personCtx(related), customerOrg, req.ID, registry.TypeStandard); !slices.Equal(reasons(err), []string{"REQUEST_NOT_NEW"}) {
			t.Errorf("decided: %v", err)
		}
	})

	t.Run("Pending", func(t *testing.T) {
		t.Parallel()
		fp, padmin := requestFixture(t)
		in := stdInput()
		in.ExternalRef = "pending"
		req, _, err := fp.svc.CreateRequest(vendorCtx(vendorOrg), in)
		if err != nil {
			t.Fatal(err)
		}
		in.ExternalRef = "decided"
		decided, _, err := fp.svc.CreateRequest(vendorCtx(vendorOrg), in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fp.svc.RejectRequest(personCtx(padmin), decided.ID); err != nil {
			t.Fatal(err)
		}
		got, err := fp.svc.PendingPartyRequests(personCtx(padmin), customerOrg, customerOrg, registry.TypeStandard)
		if err != nil || len(got) != 1 || got[0].ID != req.ID || len(got[0].Rights) != 1 {
			t.Fatalf("pending = %v, %v", got, err)
		}
		if got, err := fp.svc.PendingPartyRequests(personCtx(padmin), customerOrg, customerOrg, registry.TypeAgent); err != nil || len(got) != 0 {
			t.Errorf("pending agent = %v, %v", got, err)
		}
		if _, err := fp.svc.PendingPartyRequests(personCtx(padmin), customerOrg, vendorOrg, registry.TypeStandard); !slices.Equal(reasons(err), []string{"PARTY_REQUEST_MISMATCH"}) {
			t.Errorf("other org: %v", err)
		}
	})

	t.Run("ChangeRequest", func(t *testing.T) {
		t.Parallel()
		in := stdInput()
		in.ExternalRef = "cr"
		su := approved(t, f, admin, false, in)
		cr, _, err := f.svc.CreateChangeRequest(vendorCtx(vendorOrg), uuid.New(), su.ID,
			registry.ChangeRequestInput{RequiredRights: []registry.Right{{Resource: "ske-mva"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.GetPartyChangeRequest(personCtx(admin), secondOrg, cr.ID); !slices.Equal(reasons(err), []string{"CHANGE_REQUEST_NOT_FOUND"}) {
			t.Errorf("get, other party: %v", err)
		}
		if _, err := f.svc.ApprovePartyChangeRequest(personCtx(admin), secondOrg, cr.ID); !slices.Equal(reasons(err), []string{"PARTY_REQUEST_MISMATCH"}) {
			t.Errorf("approve, other party: %v", err)
		}
		if _, err := f.svc.ApprovePartyChangeRequest(personCtx(stranger), customerOrg, cr.ID); !slices.Equal(reasons(err), []string{"NOT_ADMINISTRATOR"}) {
			t.Errorf("approve, stranger: %v", err)
		}
		got, err := f.svc.ApprovePartyChangeRequest(personCtx(admin), customerOrg, cr.ID)
		if err != nil || got.Status != "Accepted" {
			t.Fatalf("approve = %v, %v", got, err)
		}
		if _, err := f.svc.RejectPartyChangeRequest(personCtx(admin), customerOrg, cr.ID); !slices.Equal(reasons(err), []string{"REQUEST_NOT_NEW"}) {
			t.Errorf("reject after approve: %v", err)
		}
	})
}
