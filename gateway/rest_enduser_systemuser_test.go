package gateway_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
)

// The end user's system users (ALTINN-REFERENCE §2.5, systemuser/{party}).
func TestEndUserSystemUserRoutes(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	e.do(t, "POST", "/authentication/api/v1/systemregister/vendor", e.VendorToken(t, vendorOrg, srWrite...), requestSystem).must(t, http.StatusOK)
	var req requestJSON
	e.do(t, "POST", "/authentication/api/v1/systemuser/request/vendor", e.VendorToken(t, vendorOrg, reqWrite...), requestSample).
		must(t, http.StatusCreated).JSON(t, &req)
	e.MustApprove(t, req.ID)
	admin := e.PersonToken(t, adminPID)
	const base = "/authentication/api/v1/systemuser/"
	cust := customerOrg

	type internal struct {
		ID, SystemID, ReporteeOrgNo, UserType, ExternalRef string
		PartyUUID                                          string `json:"partyUuId"`
		Rights                                             []struct {
			Resource []struct{ Value string } `json:"resource"`
		} `json:"rights"`
	}
	var list []internal
	e.do(t, "GET", base+partyUUID(cust), admin, nil).must(t, http.StatusOK).JSON(t, &list)
	if len(list) != 1 || list[0].ID != req.ID || list[0].PartyUUID != partyUUID(cust) || list[0].UserType != "standard" {
		t.Fatalf("list = %+v", list)
	}
	var agents []internal
	e.do(t, "GET", base+"agent/"+cust, admin, nil).must(t, http.StatusOK).JSON(t, &agents)
	if len(agents) != 0 || agents == nil {
		t.Fatalf("agents = %+v", agents)
	}
	var detail internal
	e.do(t, "GET", base+cust+"/"+req.ID, admin, nil).must(t, http.StatusOK).JSON(t, &detail)
	if detail.ID != req.ID || len(detail.Rights) != 1 || detail.Rights[0].Resource[0].Value != "ske-krav-og-betalinger" {
		t.Fatalf("detail = %+v", detail)
	}

	// Portal creation uses externalRef = the org number; the approved
	// request used another, so the key is free once, then AUTH-00004.
	var created internal
	e.do(t, "POST", base+cust+"/create", admin, `{"systemId":"991825827_my-system","integrationTitle":"Portal"}`).
		must(t, http.StatusOK).JSON(t, &created)
	if created.ExternalRef != cust || created.SystemID != "991825827_my-system" {
		t.Fatalf("created = %+v", created)
	}
	assertProblem(t, e.do(t, "POST", base+cust+"/create", admin, `{"systemId":"991825827_my-system"}`), http.StatusBadRequest, "AUTH-00004")

	// Another party the person administers does not own it.
	if _, err := e.DB.Exec("INSERT INTO person_roles (pid, org_number, role) VALUES (?, ?, 'DAGL')", adminPID, vendorOrg); err != nil {
		t.Fatal(err)
	}
	assertProblem(t, e.do(t, "GET", base+vendorOrg+"/"+req.ID, admin, nil), http.StatusNotFound, "AUTH-00015")
	assertProblem(t, e.do(t, "DELETE", base+vendorOrg+"/"+req.ID, admin, nil), http.StatusForbidden, "AUTH-00024")
	assertProblem(t, e.do(t, "DELETE", base+"agent/"+cust+"/"+req.ID, admin, nil), http.StatusBadRequest, "AUTH-00034")
	if r := e.do(t, "GET", base+cust, e.PersonToken(t, "03036312345"), nil).must(t, http.StatusForbidden); len(r.Body) != 0 {
		t.Errorf("policy failure with body %s", r.Body)
	}
	e.do(t, "GET", base+cust, e.VendorToken(t, vendorOrg, reqWrite...), nil).must(t, http.StatusForbidden)

	var one int
	e.do(t, "DELETE", base+cust+"/"+req.ID, admin, nil).must(t, http.StatusAccepted).JSON(t, &one)
	if one != 1 {
		t.Errorf("delete answered %d, want 1", one)
	}
	assertProblem(t, e.do(t, "DELETE", base+cust+"/"+req.ID, admin, nil), http.StatusNotFound, "AUTH-00015")
	assertProblem(t, e.do(t, "GET", base+cust+"/"+uuid.NewString(), admin, nil), http.StatusNotFound, "AUTH-00015")
	list = nil
	e.do(t, "GET", base+cust, admin, nil).must(t, http.StatusOK).JSON(t, &list)
	if len(list) != 1 || list[0].ID != created.ID {
		t.Errorf("after delete = %+v", list)
	}
}
