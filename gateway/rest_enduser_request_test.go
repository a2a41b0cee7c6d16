package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Altinn's documented System Register create body (ALTINN-REFERENCE §1.2),
// verbatim: the key allowedredirecturls in lower case, a right without action.
const docSystemBody = `{ "id": "991825827_systemwithaccesspackageandresource",
  "vendor": { "authority": "iso6523-actorid-upis", "ID": "0192:991825827" },
  "name": { "nb": "The Matrix", "en": "The Matrix", "nn": "The Matrix" },
  "description": { "nb": "Test system", "en": "Test system", "nn": "Test system" },
  "accessPackages": [ { "urn": "urn:altinn:accesspackage:skattnaering" } ],
  "rights": [ { "resource": [ { "id": "urn:altinn:resource", "value": "ske-krav-og-betalinger" } ] } ],
  "clientId": [ "32ef65ac-6e62-498d-880f-76c85c2052ae" ],
  "allowedredirecturls": [ "https://vg.no", "https://altinn.no" ],
  "isVisible": true }`

// The shape Altinn's Bruno collection posts: "action": null, and members
// this API does not know (a confirmUrl copied from a response, a typo).
const brunoRequestBody = `{
  "systemId": "991825827_systemwithaccesspackageandresource",
  "partyOrgNo": "313775429",
  "redirectUrl": "https://vg.no/?state=1",
  "confirmUrl": "https://am.ui.tt02.altinn.no/accessmanagement/ui/systemuser/request?id=x",
  "externalReff": "typo",
  "rights": [ { "action": null, "resource": [ { "id": "urn:altinn:resource", "value": "ske-krav-og-betalinger" } ] } ] }`

func TestDocumentedBodiesAreAccepted(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	var internalID string
	e.do(t, "POST", "/authentication/api/v1/systemregister/vendor", e.VendorToken(t, vendorOrg, srWrite...), docSystemBody).
		must(t, http.StatusOK).JSON(t, &internalID)
	if _, err := uuid.Parse(internalID); err != nil {
		t.Fatalf("register answered %q, want the internal GUID", internalID)
	}
	tok := e.VendorToken(t, vendorOrg, reqWrite...)
	created := e.do(t, "POST", "/authentication/api/v1/systemuser/request/vendor", tok, brunoRequestBody).must(t, http.StatusCreated)
	var req requestJSON
	created.JSON(t, &req)
	if req.ExternalRef != customerOrg || len(req.Rights) != 1 || req.Rights[0].Resource[0].Value != "ske-krav-og-betalinger" {
		t.Fatalf("request = %+v", req)
	}
	if !strings.Contains(string(created.Body), `"rights":[{"resource"`) {
		t.Errorf("a right without action must be answered without action: %s", created.Body)
	}
	if loc := created.Header.Get("Location"); loc != e.URL+"/authentication/api/v1/systemuser/request/"+req.ID {
		t.Errorf("Location = %q", loc)
	}
}

// The end-user request routes (ALTINN-REFERENCE §2.3), with {party} as an
// organisation number or a party UUID.
func TestEndUserRequestRoutes(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	e.do(t, "POST", "/authentication/api/v1/systemregister/vendor", e.VendorToken(t, vendorOrg, srWrite...), requestSystem).must(t, http.StatusOK)
	vendor := e.VendorToken(t, vendorOrg, reqWrite...)
	newRequest := func(t *testing.T, ref string) string {
		t.Helper()
		var req requestJSON
		e.do(t, "POST", "/authentication/api/v1/systemuser/request/vendor", vendor,
			strings.Replace(requestSample, "customer-313775429", ref, 1)).must(t, http.StatusCreated).JSON(t, &req)
		return req.ID
	}
	admin := e.PersonToken(t, adminPID)
	stranger := e.PersonToken(t, "03036312345")
	const base = "/authentication/api/v1/systemuser/request/"
	cust, custUUID := customerOrg, partyUUID(customerOrg)
	if _, err := e.DB.Exec("INSERT INTO persons (pid, name) VALUES ('03036312345', 'Stranger')"); err != nil {
		t.Fatal(err)
	}

	t.Run("GetByParty", func(t *testing.T) {
		t.Parallel()
		id := newRequest(t, "get")
		for _, party := range []string{cust, custUUID} {
			var got requestJSON
			e.do(t, "GET", base+party+"/"+id, admin, nil).must(t, http.StatusOK).JSON(t, &got)
			if got.ID != id || got.PartyOrgNo != cust || got.Status != "New" {
				t.Errorf("party %s: %+v", party, got)
			}
		}
		var internal struct {
			ID, PartyUUID, SystemUserType string
			UserMayEscalateButNotApprove  *bool
		}
		e.do(t, "GET", base+id, admin, nil).must(t, http.StatusOK).JSON(t, &internal)
		if internal.ID != id || internal.PartyUUID != custUUID || internal.SystemUserType != "standard" ||
			internal.UserMayEscalateButNotApprove == nil || *internal.UserMayEscalateButNotApprove {
			t.Errorf("internal model = %+v", internal)
		}
		e.do(t, "GET", base+"agent/"+cust+"/"+id, admin, nil).must(t, http.StatusNotFound)
		// A person related to the party but no administrator may only escalate;
		// one with no role there is AUTH-00066.
		if _, err := e.DB.Exec("INSERT INTO persons (pid, name) VALUES ('04046312345', 'Regnskapsfører') ON CONFLICT DO NOTHING"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.Exec("INSERT INTO person_roles (pid, org_number, role) VALUES ('04046312345', ?, 'REGNA') ON CONFLICT DO NOTHING", cust); err != nil {
			t.Fatal(err)
		}
		var related struct{ UserMayEscalateButNotApprove bool }
		e.do(t, "GET", base+id, e.PersonToken(t, "04046312345"), nil).must(t, http.StatusOK).JSON(t, &related)
		if !related.UserMayEscalateButNotApprove {
			t.Error("a related non-administrator may approve")
		}
		assertProblem(t, e.do(t, "GET", base+id, stranger, nil), http.StatusForbidden, "AUTH-00066")
	})

	t.Run("Approve", func(t *testing.T) {
		t.Parallel()
		id := newRequest(t, "approve")
		var ok bool
		e.do(t, "POST", base+custUUID+"/"+id+"/approve", admin, nil).must(t, http.StatusOK).JSON(t, &ok)
		if !ok {
			t.Fatal("approve answered false")
		}
		var got requestJSON
		e.do(t, "GET", "/authentication/api/v1/systemuser/request/vendor/"+id, vendor, nil).must(t, http.StatusOK).JSON(t, &got)
		if got.Status != "Accepted" {
			t.Fatalf("status after approve = %s", got.Status)
		}
		assertProblem(t, e.do(t, "POST", base+cust+"/"+id+"/approve", admin, nil), http.StatusConflict, "AUTH-00013")
		assertProblem(t, e.do(t, "POST", base+cust+"/"+id+"/reject", admin, nil), http.StatusConflict, "AUTH-00013")
	})

	t.Run("Reject", func(t *testing.T) {
		t.Parallel()
		id := newRequest(t, "reject")
		var ok bool
		e.do(t, "POST", base+cust+"/"+id+"/reject", admin, nil).must(t, http.StatusOK).JSON(t, &ok)
		if !ok {
			t.Fatal("reject answered false")
		}
	})

	t.Run("Pending", func(t *testing.T) {
		t.Parallel()
		id := newRequest(t, "pending")
		var list []requestJSON
		e.do(t, "GET", base+custUUID+"/"+cust+"/pending", admin, nil).must(t, http.StatusOK).JSON(t, &list)
		found := false
		for _, r := range list {
			found = found || r.ID == id
			if r.Status != "New" {
				t.Errorf("pending lists %s in status %s", r.ID, r.Status)
			}
		}
		if !found {
			t.Errorf("pending %+v lacks %s", list, id)
		}
		var agents []requestJSON
		e.do(t, "GET", base+"agent/"+cust+"/"+cust+"/pending", admin, nil).must(t, http.StatusOK).JSON(t, &agents)
		if len(agents) != 0 || agents == nil {
			t.Errorf("agent pending = %+v", agents)
		}
		assertProblem(t, e.do(t, "GET", base+cust+"/"+vendorOrg+"/pending", admin, nil), http.StatusForbidden, "AUTH-00041")
	})

	t.Run("Escalate", func(t *testing.T) {
		t.Parallel()
		id := newRequest(t, "escalate")
		var ok bool
		e.do(t, "POST", base+cust+"/"+id+"/escalate", stranger, nil).must(t, http.StatusOK).JSON(t, &ok)
		if ok {
			t.Error("a person without a role at the party escalated")
		}
		e.do(t, "POST", base+cust+"/"+id+"/escalate", admin, nil).must(t, http.StatusOK).JSON(t, &ok)
		var got requestJSON
		e.do(t, "GET", base+cust+"/"+id, admin, nil).must(t, http.StatusOK).JSON(t, &got)
		if !ok || got.Escalated == nil || !*got.Escalated {
			t.Errorf("escalate = %v, escalated = %v", ok, got.Escalated)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		id := newRequest(t, "errors")
		// A party the person administers, with another org's request: AUTH-00041.
		if _, err := e.DB.Exec("INSERT INTO person_roles (pid, org_number, role) VALUES (?, ?, 'DAGL')", adminPID, vendorOrg); err != nil {
			t.Fatal(err)
		}
		assertProblem(t, e.do(t, "POST", base+vendorOrg+"/"+id+"/approve", admin, nil), http.StatusForbidden, "AUTH-00041")
		assertProblem(t, e.do(t, "POST", base+vendorOrg+"/"+id+"/reject", admin, nil), http.StatusForbidden, "AUTH-00041")
		assertProblem(t, e.do(t, "GET", base+vendorOrg+"/"+id, admin, nil), http.StatusNotFound, "AUTH-00010")
		assertProblem(t, e.do(t, "POST", base+cust+"/"+uuid.NewString()+"/approve", admin, nil), http.StatusNotFound, "AUTH-00010")
		assertProblem(t, e.do(t, "POST", base+"agent/"+cust+"/"+id+"/approve", admin, nil), http.StatusNotFound, "AUTH-00030")
		assertProblem(t, e.do(t, "POST", base+cust+"/not-a-guid/approve", admin, nil), http.StatusBadRequest, "STD-00000")
		// Altinn's policies (portal scope, access management at the party) fail without a body.
		for _, c := range []struct {
			name, method, path, token string
			status                    int
		}{
			{"NoToken", "POST", base + cust + "/" + id + "/approve", "", http.StatusUnauthorized},
			{"VendorToken", "POST", base + cust + "/" + id + "/approve", vendor, http.StatusForbidden},
			{"NotAdministrator", "POST", base + cust + "/" + id + "/approve", stranger, http.StatusForbidden},
			{"UnknownParty", "POST", base + uuid.NewString() + "/" + id + "/approve", admin, http.StatusForbidden},
			{"NotAdministratorReads", "GET", base + cust + "/" + id, stranger, http.StatusForbidden},
			{"NotAdministratorPending", "GET", base + cust + "/" + cust + "/pending", stranger, http.StatusForbidden},
		} {
			r := e.do(t, c.method, c.path, c.token, nil).must(t, c.status)
			if len(r.Body) != 0 {
				t.Errorf("%s: body %s, want none", c.name, r.Body)
			}
		}
		var got requestJSON
		e.do(t, "GET", "/authentication/api/v1/systemuser/request/vendor/"+id, vendor, nil).must(t, http.StatusOK).JSON(t, &got)
		if got.Status != "New" {
			t.Fatalf("a refused call changed the request: %s", got.Status)
		}
	})
}

// The end user's side of change requests (ALTINN-REFERENCE §2.4).
func TestEndUserChangeRequestRoutes(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	e.do(t, "POST", "/authentication/api/v1/systemregister/vendor", e.VendorToken(t, vendorOrg, srWrite...), requestSystem).must(t, http.StatusOK)
	vendor := e.VendorToken(t, vendorOrg, reqWrite...)
	var req requestJSON
	e.do(t, "POST", "/authentication/api/v1/systemuser/request/vendor", vendor, requestSample).must(t, http.StatusCreated).JSON(t, &req)
	e.MustApprove(t, req.ID)
	admin := e.PersonToken(t, adminPID)
	const cr = "/authentication/api/v1/systemuser/changerequest/"
	newCR := func(t *testing.T) string {
		t.Helper()
		corr := uuid.NewString()
		created := e.do(t, "POST", cr+"vendor?correlation-id="+corr+"&system-user-id="+req.ID, vendor,
			`{"requiredRights":[{"resource":[{"id":"urn:altinn:resource","value":"ske-mva"}]}]}`).must(t, http.StatusCreated)
		if loc := created.Header.Get("Location"); loc != e.URL+cr+corr {
			t.Errorf("Location = %q", loc)
		}
		return corr
	}
	id := newCR(t)
	var got struct{ ID, Status string }
	e.do(t, "GET", cr+partyUUID(customerOrg)+"/"+id, admin, nil).must(t, http.StatusOK).JSON(t, &got)
	if got.ID != id || got.Status != "New" {
		t.Fatalf("get = %+v", got)
	}
	e.do(t, "GET", cr+id, admin, nil).must(t, http.StatusOK)
	e.do(t, "GET", cr+id, vendor, nil).must(t, http.StatusOK)
	var ok bool
	e.do(t, "POST", cr+customerOrg+"/"+id+"/approve", admin, nil).must(t, http.StatusOK).JSON(t, &ok)
	if !ok {
		t.Fatal("approve answered false")
	}
	assertProblem(t, e.do(t, "POST", cr+customerOrg+"/"+id+"/reject", admin, nil), http.StatusConflict, "AUTH-00013")
	other := newCR(t)
	e.do(t, "POST", cr+customerOrg+"/"+other+"/reject", admin, nil).must(t, http.StatusOK)
}

// assertProblem checks an Altinn problem with code.
func assertProblem(t *testing.T, r restResponse, status int, code string) {
	t.Helper()
	r.must(t, status)
	var p problemBody
	if err := json.Unmarshal(r.Body, &p); err != nil || p.Code != code || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("problem %s (%v), want %s", r.Body, err, code)
	}
}
