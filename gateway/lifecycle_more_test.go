package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/google/uuid"
)

const scopeAuthorize = "altinn:authorization/authorize"

// TestGraphQLChangeRequestWidensAuthorize: a vendor asks for one more right,
// the customer approves, and authorize now permits it (DESIGN.md §3 flow 6).
func TestGraphQLChangeRequestWidensAuthorize(t *testing.T) {
	t.Parallel()
	e, _ := newFullEnv(t)
	w := newLifecycleWorld(t, e)
	vendor := e.vendorToken(t, w.vendor, scopeRegister, scopeReqWrite, scopeReqRead)
	custAdmin, cust2Admin := e.personToken(t, w.custAdmin), e.personToken(t, w.cust2Admin)
	owner := e.vendorToken(t, w.owner, scopeAuthorize)
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
	e, _ := newFullEnv(t)
	w := newLifecycleWorld(t, e)
	vendor := e.vendorToken(t, w.vendor, scopeRegister, scopeReqWrite, scopeReqRead)
	mustData(t, e, vendor, registerMutation, map[string]any{"in": systemInput(w.systemID,
		[]map[string]any{{"resource": "res-a", "action": "read"}}, nil, nil)})
	reqID := decode[struct {
		CreateSystemUserRequest struct{ Request struct{ RequestID string } }
	}](t, mustData(t, e, vendor, `mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) { request { requestId } } }`,
		map[string]any{"in": map[string]any{"systemId": w.systemID, "partyOrgNumber": w.cust,
			"rights": []map[string]any{{"resource": "res-a", "action": "read"}}}})).CreateSystemUserRequest.Request.RequestID

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "graphql-transport-ws" {
		t.Fatalf("Sec-WebSocket-Protocol = %q", got)
	}
	send := func(v any) {
		if err := wsjson.Write(ctx, conn, v); err != nil {
			t.Fatal(err)
		}
	}
	type message struct {
		Type    string          `json:"type"`
		ID      string          `json:"id"`
		Payload json.RawMessage `json:"payload"`
	}
	next := func() message {
		for {
			var m message
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				t.Fatal(err)
			}
			if m.Type == "ping" {
				send(map[string]string{"type": "pong"})
				continue
			}
			return m
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + vendor}})
	if m := next(); m.Type != "connection_ack" {
		t.Fatalf("first message %+v, want connection_ack", m)
	}
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($id: ID!) { requestStatusChanged(id: $id) { status } }`,
		"variables": map[string]any{"id": reqID}}})
	status := func() string {
		m := next()
		if m.Type != "next" || m.ID != "1" {
			t.Fatalf("got %s %s, want next", m.Type, m.Payload)
		}
		var p struct {
			Data struct{ RequestStatusChanged struct{ Status string } }
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			t.Fatal(err)
		}
		return p.Data.RequestStatusChanged.Status
	}
	if got := status(); got != "NEW" {
		t.Fatalf("initial status %s, want NEW", got)
	}
	mustData(t, e, e.personToken(t, w.custAdmin), `mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }`,
		map[string]any{"id": reqID})
	if got := status(); got != "ACCEPTED" {
		t.Fatalf("status after approval %s, want ACCEPTED", got)
	}
	send(map[string]any{"id": "1", "type": "complete"})
	_ = conn.Close(websocket.StatusNormalClosure, "")
}
