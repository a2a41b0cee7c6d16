package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

const scopeAuthorize = "altinn:authorization/authorize"

// TestGraphQLChangeRequestWidensAuthorize: a vendor asks for one more right,
// the customer approves, and authorize now permits it (DESIGN.md §3 flow 6).
func TestGraphQLChangeRequestWidensAuthorize(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithEvents())
	w := newLifecycleWorld(t, e)
	vendor := e.VendorToken(t, w.vendor, scopeRegister, scopeReqWrite, scopeReqRead)
	custAdmin, cust2Admin := e.PersonToken(t, w.custAdmin), e.PersonToken(t, w.cust2Admin)
	owner := e.VendorToken(t, w.owner, scopeAuthorize)
	mustData(t, e, vendor, registerMutation, map[string]any{"in": systemInput(w.systemID,
		[]map[string]any{{"resource": "res-a", "action": "read"}, {"resource": "res-b"}}, []string{pkgStd}, nil)})
	created := decode[struct {
		CreateSystemUserRequest struct{ Request struct{ RequestID string } }
	}](t, mustData(t, e, vendor, `mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) { request { requestId } } }`,
		map[string]any{"in": map[string]any{"systemId": w.systemID, "partyOrgNumber": w.cust,
			"rights": []map[string]any{{"resource": "res-a", "action": "read"}}}}))
	suID := created.CreateSystemUserRequest.Request.RequestID
	mustData(t, e, custAdmin, `mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }`, map[string]any{"id": suID})

	authorize := func() string {
		d := decode[struct {
			Authorize struct{ Result, ReasonCode string }
		}](t, mustData(t, e, owner,
			`mutation($in: AuthorizeInput!) { authorize(input: $in) { result reasonCode } }`,
			map[string]any{"in": map[string]any{"systemUserId": suID, "action": "write", "resourceId": "res-b", "partyOrgNumber": w.cust}}))
		return d.Authorize.Result + "/" + d.Authorize.ReasonCode
	}
	if got := authorize(); got != "DENY/NOT_GRANTED" {
		t.Fatalf("before the change: %s, want DENY/NOT_GRANTED", got)
	}

	const createCR = `mutation($in: CreateChangeRequestInput!) { createChangeRequest(input: $in) { created changeRequest { changeRequestId status confirmUrl } } }`
	correlation := uuid.NewString()
	crIn := func(required []map[string]any) map[string]any {
		return map[string]any{"in": map[string]any{"correlationId": correlation, "systemUserId": suID, "requiredRights": required}}
	}
	runCases(t, e, []gqlCase{
		{name: "ErrRightNotInSystem", token: vendor, query: createCR, code: "RIGHTS_NOT_IN_SYSTEM",
			vars: crIn([]map[string]any{{"resource": "res-a", "action": "write"}})},
		{name: "NoChangeNeeded", token: vendor, query: createCR,
			vars: map[string]any{"in": map[string]any{"correlationId": uuid.NewString(), "systemUserId": suID}},
			check: func(t *testing.T, data json.RawMessage) {
				got := decode[struct {
					CreateChangeRequest struct {
						Created       bool
						ChangeRequest struct{ Status string }
					}
				}](t, data).CreateChangeRequest
				if got.Created || got.ChangeRequest.Status != "NO_CHANGE_NEEDED" {
					t.Fatalf("empty change request: %+v", got)
				}
			}},
		{name: "OK", token: vendor, query: createCR, vars: crIn([]map[string]any{{"resource": "res-b"}}),
			check: func(t *testing.T, data json.RawMessage) {
				if !strings.Contains(string(data), `"status":"NEW"`) || !strings.Contains(string(data), "/accessmanagement/ui/systemuser/changerequest?id="+correlation) {
					t.Fatalf("created change request: %s", data)
				}
			}},
		{name: "ErrOtherPersonApproves", token: cust2Admin, query: `mutation($id: ID!) { approveChangeRequest(id: $id) { status } }`,
			vars: map[string]any{"id": correlation}, code: "CHANGE_REQUEST_NOT_FOUND"},
		{name: "approve", token: custAdmin, query: `mutation($id: ID!) { approveChangeRequest(id: $id) { status systemUser { rights { action resource { resourceId } } } } }`,
			vars: map[string]any{"id": correlation},
			check: func(t *testing.T, data json.RawMessage) {
				if !strings.Contains(string(data), `"status":"ACCEPTED"`) || !strings.Contains(string(data), `"resourceId":"res-b"`) {
					t.Fatalf("approved change request: %s", data)
				}
			}},
	})
	deadline := time.Now().Add(time.Second)
	for authorize() != "PERMIT/PERMIT_RIGHT" {
		if time.Now().After(deadline) {
			t.Fatalf("after the change: %s, want PERMIT/PERMIT_RIGHT", authorize())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSubscriptionRequestStatusChanged follows a request over
// graphql-transport-ws, as graphql-ws clients do: token in connection_init.
func TestSubscriptionRequestStatusChanged(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithEvents())
	w := newLifecycleWorld(t, e)
	vendor := e.VendorToken(t, w.vendor, scopeRegister, scopeReqWrite, scopeReqRead)
	mustData(t, e, vendor, registerMutation, map[string]any{"in": systemInput(w.systemID,
		[]map[string]any{{"resource": "res-a", "action": "read"}}, nil, nil)})
	reqID := decode[struct {
		CreateSystemUserRequest struct{ Request struct{ RequestID string } }
	}](t, mustData(t, e, vendor, `mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) { request { requestId } } }`,
		map[string]any{"in": map[string]any{"systemId": w.systemID, "partyOrgNumber": w.cust,
			"rights": []map[string]any{{"resource": "res-a", "action": "read"}}}})).CreateSystemUserRequest.Request.RequestID

	ws := dialWS(t, e, vendor)
	ws.subscribe("1", `subscription($id: ID!) { requestStatusChanged(id: $id) { status } }`, map[string]any{"id": reqID})
	status := func() string {
		var d struct{ RequestStatusChanged struct{ Status string } }
		ws.nextData("1", &d)
		return d.RequestStatusChanged.Status
	}
	if got := status(); got != "NEW" {
		t.Fatalf("initial status %s, want NEW", got)
	}
	mustData(t, e, e.PersonToken(t, w.custAdmin), `mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }`,
		map[string]any{"id": reqID})
	if got := status(); got != "ACCEPTED" {
		t.Fatalf("status after approval %s, want ACCEPTED", got)
	}
	ws.send(map[string]any{"id": "1", "type": "complete"})
	ws.close()
}
