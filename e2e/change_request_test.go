package e2e

import (
	"testing"

	"github.com/google/uuid"
)

const (
	createChangeDoc = `mutation($in: CreateChangeRequestInput!) {
  createChangeRequest(input: $in) { created changeRequest { id changeRequestId status confirmUrl } } }`
	approveChangeDoc = `mutation($id: ID!) { approveChangeRequest(id: $id) { id status } }`
)

type gqlChangeRequest struct {
	ID              string `json:"id"`
	ChangeRequestID string `json:"changeRequestId"`
	Status          string `json:"status"`
	ConfirmURL      string `json:"confirmUrl"`
}

// Flow 6: the vendor asks for one more right; approval widens what
// authorize permits.
func TestChangeRequest(t *testing.T) {
	t.Parallel()
	s := stackT(t)
	requireGraphQL(t, s, "Mutation.createChangeRequest", "Mutation.approveChangeRequest", "Mutation.authorize")
	ref := uniqueRef(t)
	id := arrangeSystemUser(t, s, bakeryOrg, kariPID, ref)
	suToken, err := s.SystemUserToken(t.Context(), bakeryOrg, ref)
	ok(t, err)
	so := serviceOwnerToken(t, s)
	ask := func() gqlDecision {
		return authorizeAt(t, s, s.GatewayURL, so, suToken, "write", mvaResource, bakeryOrg)
	}
	if d := ask(); d.Result == "PERMIT" {
		t.Fatalf("before the change: %+v, want no PERMIT", d)
	}

	create := func(t *testing.T, correlation uuid.UUID, required []map[string]any) (bool, gqlChangeRequest) {
		t.Helper()
		var out struct {
			Create struct {
				Created bool             `json:"created"`
				CR      gqlChangeRequest `json:"changeRequest"`
			} `json:"createChangeRequest"`
		}
		gql(t, s, vendorToken(t, s), createChangeDoc, map[string]any{"in": map[string]any{
			"correlationId": correlation.String(), "systemUserId": id.String(), "requiredRights": required,
		}}, &out)
		return out.Create.Created, out.Create.CR
	}

	t.Run("NoChangeNeeded", func(t *testing.T) {
		_, cr := create(t, uuid.New(), []map[string]any{})
		if cr.Status != "NO_CHANGE_NEEDED" {
			t.Errorf("asking for nothing: %+v, want NO_CHANGE_NEEDED", cr)
		}
	})

	correlation := uuid.New()
	more := []map[string]any{{"resource": mvaResource, "action": "write"}}
	created, cr := create(t, correlation, more)
	if !created || cr.Status != "NEW" || cr.ChangeRequestID != correlation.String() {
		t.Fatalf("createChangeRequest = %v %+v, want a NEW change request %s", created, cr, correlation)
	}
	if again, cr2 := create(t, correlation, more); again || cr2.ChangeRequestID != correlation.String() {
		t.Errorf("repeated correlation id: created=%v %+v, want the stored one", again, cr2)
	}

	var out struct {
		CR gqlChangeRequest `json:"approveChangeRequest"`
	}
	gql(t, s, personToken(t, s, kariPID), approveChangeDoc, map[string]any{"id": cr.ID}, &out)
	if out.CR.Status != "ACCEPTED" {
		t.Fatalf("approveChangeRequest = %+v, want ACCEPTED", out.CR)
	}
	if d := waitDecision(t, ask, "PERMIT"); d.Result != "PERMIT" {
		t.Errorf("after approval: %+v, want PERMIT within 1 s", d)
	}
}
