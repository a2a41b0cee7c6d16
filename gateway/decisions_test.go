package gateway_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

// approvedSystemUser registers a system with res-a read and res-b (every
// action), and returns a system user of w.cust holding res-a read.
func approvedSystemUser(t *testing.T, e *gatewaytest.Env, w lifecycleWorld) string {
	t.Helper()
	vendor := e.VendorToken(t, w.vendor, scopeRegister, scopeReqWrite, scopeReqRead)
	mustData(t, e, vendor, registerMutation, map[string]any{"in": systemInput(w.systemID,
		[]map[string]any{{"resource": "res-a", "action": "read"}, {"resource": "res-b"}}, []string{pkgStd}, nil)})
	id := decode[struct {
		CreateSystemUserRequest struct{ Request struct{ RequestID string } }
	}](t, mustData(t, e, vendor, `mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) { request { requestId } } }`,
		map[string]any{"in": map[string]any{"systemId": w.systemID, "partyOrgNumber": w.cust,
			"rights": []map[string]any{{"resource": "res-a", "action": "read"}}}})).CreateSystemUserRequest.Request.RequestID
	mustData(t, e, e.PersonToken(t, w.custAdmin), `mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }`,
		map[string]any{"id": id})
	return id
}

// TestAuthorizeBatchAndDecisionLog: answers come in input order with their
// reasons, and the decision log shows them to the party's administrator and
// to the service owner that asked, newest first, and to nobody else.
func TestAuthorizeBatchAndDecisionLog(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithEvents())
	w := newLifecycleWorld(t, e)
	suID := approvedSystemUser(t, e, w)
	owner := e.VendorToken(t, w.owner, scopeAuthorize)
	in := func(resource, action, party string) map[string]any {
		return map[string]any{"systemUserId": suID, "resourceId": resource, "action": action, "partyOrgNumber": party}
	}
	got := decode[struct {
		AuthorizeBatch []struct{ Result, ReasonCode string }
	}](t, mustData(t, e, owner, `mutation($in: [AuthorizeInput!]!) { authorizeBatch(inputs: $in) { result reasonCode } }`,
		map[string]any{"in": []any{
			in("res-a", "read", w.cust),  // a delegated right
			in("res-a", "write", w.cust), // not granted
			in("nope", "read", w.cust),   // unknown resource
			in("res-a", "read", w.cust2), // another party
		}}))
	want := []string{"PERMIT/PERMIT_RIGHT", "DENY/NOT_GRANTED", "NOT_APPLICABLE/RESOURCE_NOT_FOUND", "DENY/PARTY_NOT_OWNER"}
	if len(got.AuthorizeBatch) != len(want) {
		t.Fatalf("authorizeBatch = %+v", got)
	}
	for i, d := range got.AuthorizeBatch {
		if d.Result+"/"+d.ReasonCode != want[i] {
			t.Errorf("decision %d = %s/%s, want %s", i, d.Result, d.ReasonCode, want[i])
		}
	}

	const list = `query($f: DecisionFilter) { decisions(filter: $f, first: 10) { edges { node { result reasonCode partyOrgNumber callerOrgNumber systemUserId } } } }`
	type page struct {
		Decisions struct {
			Edges []struct {
				Node struct{ Result, ReasonCode, PartyOrgNumber, CallerOrgNumber, SystemUserID string }
			}
		}
	}
	// The log is written off the hot path; wait (bounded) for it.
	custAdmin := e.PersonToken(t, w.custAdmin)
	var seen page
	deadline := time.Now().Add(5 * time.Second)
	for {
		seen = decode[page](t, mustData(t, e, custAdmin, list, map[string]any{"f": map[string]any{"partyOrgNumber": w.cust}}))
		if len(seen.Decisions.Edges) == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(seen.Decisions.Edges) != 3 {
		t.Fatalf("the party's administrator sees %d decisions, want the 3 about %s: %+v", len(seen.Decisions.Edges), w.cust, seen)
	}
	for _, edge := range seen.Decisions.Edges {
		if n := edge.Node; n.PartyOrgNumber != w.cust || n.CallerOrgNumber != w.owner || n.SystemUserID != suID {
			t.Fatalf("decision %+v: want party %s, caller %s, system user %s", n, w.cust, w.owner, suID)
		}
	}
	asOwner := decode[page](t, mustData(t, e, owner, list, nil))
	if len(asOwner.Decisions.Edges) != 4 {
		t.Fatalf("the service owner sees %d decisions, want the 4 it asked", len(asOwner.Decisions.Edges))
	}
	stranger := decode[page](t, mustData(t, e, e.PersonToken(t, w.cust2Admin), list, map[string]any{"f": map[string]any{"partyOrgNumber": w.cust}}))
	if len(stranger.Decisions.Edges) != 0 {
		t.Fatalf("another organisation's administrator sees %d decisions about %s", len(stranger.Decisions.Edges), w.cust)
	}
	resp := e.GraphQL(t, "", list, nil)
	if len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Fatalf("anonymous decisions: %+v", resp)
	}
}

// TestSubscriptionSystemUserChanged: the owner's administrator follows its
// system users; a deletion arrives as DELETED with no system user.
func TestSubscriptionSystemUserChanged(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithEvents())
	w := newLifecycleWorld(t, e)
	suID := approvedSystemUser(t, e, w)
	custAdmin := e.PersonToken(t, w.custAdmin)

	stranger := dialWS(t, e, e.PersonToken(t, w.cust2Admin))
	stranger.subscribe("s", `subscription($org: String!) { systemUserChanged(orgNumber: $org) { kind } }`, map[string]any{"org": w.cust})
	if m := stranger.next(); !strings.Contains(string(m.Payload), `"NOT_ADMINISTRATOR"`) {
		t.Fatalf("a stranger's subscription got %s %s, want NOT_ADMINISTRATOR", m.Type, m.Payload)
	}

	ws := dialWS(t, e, custAdmin)
	ws.subscribe("1", `subscription($org: String!) { systemUserChanged(orgNumber: $org) { systemUserId kind systemUser { systemUserId } } }`,
		map[string]any{"org": w.cust})
	// The server subscribes to events asynchronously: make changes (portal
	// creations of other system users) until one arrives, then it is live.
	vendor := e.VendorToken(t, w.vendor, scopeReqWrite)
	live := false
	for i := 0; i < 10 && !live; i++ {
		id := decode[struct {
			CreateSystemUserRequest struct{ Request struct{ RequestID string } }
		}](t, mustData(t, e, vendor, `mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) { request { requestId } } }`,
			map[string]any{"in": map[string]any{"systemId": w.systemID, "partyOrgNumber": w.cust, "externalRef": fmt.Sprintf("probe-%d", i),
				"rights": []map[string]any{{"resource": "res-a", "action": "read"}}}})).CreateSystemUserRequest.Request.RequestID
		mustData(t, e, custAdmin, `mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }`, map[string]any{"id": id})
		_, live = ws.nextWithin(2 * time.Second)
	}
	if !live {
		t.Fatal("systemUserChanged delivered nothing for 10 changes")
	}
	mustData(t, e, custAdmin, `mutation($id: ID!) { deleteSystemUser(id: $id) }`, map[string]any{"id": suID})
	var change struct {
		SystemUserChanged struct {
			SystemUserID, Kind string
			SystemUser         *struct{ SystemUserID string }
		}
	}
	// Skip the probes' remaining events, and any of suID's approval that
	// reached the subscription late (the approval came just before it).
	for c := &change.SystemUserChanged; c.SystemUserID != suID || c.Kind != "DELETED"; {
		ws.nextData("1", &change)
	}
	if c := change.SystemUserChanged; c.SystemUser != nil {
		t.Fatalf("change = %+v, want %s DELETED without a system user", c, suID)
	}
	ws.close()
}
