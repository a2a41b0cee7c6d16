package main

import (
	"fmt"
	"net/http"
	"testing"
)

// TestDocumentedRESTFlowOnDemo is issue 11's acceptance: Altinn's documented
// request body (a right without action) creates a request on the demo
// system, the customer's administrator approves it through the end-user
// route with the party UUID from demo.json, and the system user is
// permitted the demo system's action (and only that).
func TestDocumentedRESTFlowOnDemo(t *testing.T) {
	s := startStack(t)
	d := s.demo
	vendor, err := s.token(t, d.ClientID, d.ClientKeyFile, "", "altinn:authentication/systemuser.request.write", "altinn:authentication/systemuser.request.read")
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{ "systemId": %q, "partyOrgNo": %q,
  "rights": [ { "resource": [ { "id": "urn:altinn:resource", "value": %q } ] } ] }`, d.SystemID, d.CustomerOrgNumber, d.ResourceID)
	var req struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Rights []struct {
			Action string `json:"action"`
		} `json:"rights"`
	}
	if st := s.do(t, http.MethodPost, "/authentication/api/v1/systemuser/request/vendor", vendor, []byte(body), &req); st != http.StatusCreated {
		t.Fatalf("create: status %d, %+v", st, req)
	}
	if req.Status != "New" || len(req.Rights) != 1 || req.Rights[0].Action != d.Action {
		t.Fatalf("request = %+v, want the system's right %s:%s", req, d.ResourceID, d.Action)
	}

	person := s.personToken(t, d.AdminPID)
	var ok bool
	if st := s.do(t, http.MethodPost, "/authentication/api/v1/systemuser/request/"+d.CustomerPartyUUID+"/"+req.ID+"/approve", person, nil, &ok); st != http.StatusOK || !ok {
		t.Fatalf("approve: status %d, %v", st, ok)
	}

	owner, err := s.token(t, d.ServiceOwnerClientID, d.ServiceOwnerKeyFile, "", "altinn:authorization/authorize")
	if err != nil {
		t.Fatal(err)
	}
	decide := func(action string) string {
		var out struct {
			Response []struct{ Decision string } `json:"response"`
		}
		if st := s.do(t, http.MethodPost, "/authorization/api/v1/authorize", owner,
			xacml(req.ID, action, d.ResourceID, d.CustomerOrgNumber), &out); st != http.StatusOK || len(out.Response) != 1 {
			t.Fatalf("authorize: status %d, %+v", st, out)
		}
		return out.Response[0].Decision
	}
	if got := decide(d.Action); got != "Permit" {
		t.Errorf("authorize %s = %s, want Permit", d.Action, got)
	}
	if d.Action != "write" {
		if got := decide("write"); got == "Permit" {
			t.Errorf("authorize write = Permit, but the system's right is %s only", d.Action)
		}
	}
}
