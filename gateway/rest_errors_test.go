package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestRESTErrorsAreAltinnProblems checks status, problem code and, for
// validation failures, the STD-00000 envelope's codes.
func TestRESTErrorsAreAltinnProblems(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	srTok := e.VendorToken(t, vendorOrg, srWrite...)
	e.do(t, "POST", "/authentication/api/v1/systemregister/vendor", srTok, requestSystem).must(t, http.StatusOK)
	tok := e.VendorToken(t, vendorOrg, reqWrite...)
	var existing requestJSON
	e.do(t, "POST", "/authentication/api/v1/systemuser/request/vendor", tok, requestSample).must(t, http.StatusCreated).JSON(t, &existing)
	var approved requestJSON
	approvedBody := strings.Replace(requestSample, "customer-313775429", "approved-ref", 1)
	e.do(t, "POST", "/authentication/api/v1/systemuser/request/vendor", tok, approvedBody).must(t, http.StatusCreated).JSON(t, &approved)
	e.MustApprove(t, approved.ID)
	otherTok := e.VendorToken(t, otherVendor, append(srWrite, reqWrite...)...)

	const (
		sr  = "/authentication/api/v1/systemregister"
		req = "/authentication/api/v1/systemuser/request/vendor"
	)
	for _, c := range []struct {
		name, method, path, token, body string
		status                          int
		code                            string
		violation                       string // a validationErrors code that must be present
	}{
		{"MalformedJSON", "POST", sr + "/vendor", srTok, `{"id": `, 400, "STD-00000", "MALFORMED_JSON"},
		{"EmptyBody", "POST", sr + "/vendor", srTok, ``, 400, "STD-00000", "EMPTY_BODY"},
		{"WrongType", "POST", req, tok, `{"systemId":42}`, 400, "STD-00000", "INVALID_FIELD_TYPE"},
		{"TrailingData", "POST", req, tok, requestSample + `{}`, 400, "STD-00000", "MALFORMED_JSON"},
		{"NonGUIDRequestID", "GET", req + "/not-a-guid", tok, "", 400, "STD-00000", "INVALID_GUID"},
		{"BadToken", "GET", sr + "/vendor", "garbage", "", 401, "INVALID_TOKEN", ""},
		{"WrongVendorReadsSystem", "GET", sr + "/vendor/991825827_my-system", otherTok, "", 403, "", ""},
		{"WrongVendorUpdatesSystem", "PUT", sr + "/vendor/991825827_my-system/rights", otherTok, `[]`, 403, "", ""},
		{"WrongVendorDeletesSystem", "DELETE", sr + "/vendor/991825827_my-system", otherTok, "", 403, "", ""},
		{"WrongVendorReadsRequest", "GET", req + "/" + existing.ID, otherTok, "", 404, "AUTH-00010", ""},
		{"WrongVendorListsRequests", "GET", req + "/bysystem/991825827_my-system", otherTok, "", 404, "AUTH-00011", ""},
		{"WrongVendorDeletesRequest", "DELETE", req + "/" + existing.ID, otherTok, "", 404, "AUTH-00010", ""},
		{"UnknownRequest", "GET", req + "/0c5c58ad-4fc1-4ef9-9c72-4a3376a0c3d0", tok, "", 404, "AUTH-00010", ""},
		{"StandardIsNotAgent", "GET", req + "/agent/" + existing.ID, tok, "", 400, "AUTH-00025", ""},
		{"UnknownSystem", "POST", req, tok, strings.Replace(requestSample, "991825827_my-system", "991825827_nope", 1), 404, "AUTH-00011", ""},
		{"SystemUserExists", "POST", req, tok, approvedBody, 400, "AUTH-00004", ""},
		{"RedirectNotAllowed", "POST", req, tok, strings.NewReplacer("/systemuser/receipt", "/elsewhere", "customer-313775429", "r1").Replace(requestSample), 400, "AUTH-00021", ""},
		{"RightNotInSystem", "POST", req, tok, strings.NewReplacer(`"value": "ske-krav-og-betalinger"`, `"value": "unknown-resource"`, "customer-313775429", "r2").Replace(requestSample), 400, "AUTH-00001", ""},
		{"EmptyRequest", "POST", req, tok, `{"systemId":"991825827_my-system","partyOrgNo":"313775429","rights":[],"accessPackages":[]}`, 400, "AUTH-00059", ""},
		{"UnknownParty", "POST", req, tok, `{"systemId":"991825827_my-system","partyOrgNo":"910459880","accessPackages":[{"urn":"urn:altinn:accesspackage:skattegrunnlag"}]}`, 400, "AUTH-00000", ""},
		{"AgentNeedsPackages", "POST", req + "/agent", tok, `{"systemId":"991825827_my-system","partyOrgNo":"313775429","accessPackages":[]}`, 400, "AUTH-00058", ""},
		{"BadResourceAttribute", "POST", req, tok, `{"systemId":"991825827_my-system","partyOrgNo":"313775429","rights":[{"resource":[{"id":"urn:altinn:foo","value":"x"}]}]}`, 400, "STD-00000", "AUTH.VLD-00009"},
		{"SystemValidation", "POST", sr + "/vendor", srTok, strings.NewReplacer(`"0192:991825827"`, `"991825827"`, `https://vg.no`, `ftp://vg.no`).Replace(systemSample), 400, "STD-00000", "AUTH.VLD-00000"},
		{"SystemRedirectInvalid", "POST", sr + "/vendor", srTok, strings.Replace(systemSample, `https://vg.no`, `ftp://vg.no`, 1), 400, "STD-00000", "AUTH.VLD-00005"},
		{"SystemExists", "POST", sr + "/vendor", srTok, requestSystem, 400, "STD-00000", "AUTH.VLD-00002"},
		{"ClientIDTaken", "POST", sr + "/vendor", srTok, strings.Replace(requestSystem, "991825827_my-system", "991825827_second", 1), 400, "STD-00000", "AUTH.VLD-00004"},
		{"BodyIDDiffersFromPath", "PUT", sr + "/vendor/991825827_other", srTok, requestSystem, 400, "STD-00000", "AUTH.VLD-00012"},
		{"ChangeRequestNoCorrelationID", "POST", "/authentication/api/v1/systemuser/changerequest/vendor?system-user-id=" + approved.ID, tok, `{}`, 400, "STD-00000", "INVALID_GUID"},
		{"ChangeRequestUnknownSystemUser", "POST", "/authentication/api/v1/systemuser/changerequest/vendor?correlation-id=0c5c58ad-4fc1-4ef9-9c72-4a3376a0c3d1&system-user-id=" + existing.ID,
			tok, `{"requiredRights":[{"resource":[{"id":"urn:altinn:resource","value":"ske-mva"}]}]}`, 404, "AUTH-00015", ""},
		{"ByQueryMissingParams", "GET", "/authentication/api/v1/systemuser/vendor/byquery?orgno=" + customerOrg, tok, "", 400, "STD-00000", "QUERY_PARAMETER_MISSING"},
		{"ByQueryOtherVendor", "GET", "/authentication/api/v1/systemuser/vendor/byquery?system-id=991825827_my-system&orgno=" + customerOrg + "&external-ref=approved-ref", otherTok, "", 404, "AUTH-00015", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := e.do(t, c.method, c.path, c.token, c.body)
			r.must(t, c.status)
			if c.code == "" { // Altinn's Forbid(): no body
				if len(r.Body) != 0 || r.Header.Get("Content-Type") != "" {
					t.Fatalf("body %q (%s), want none", r.Body, r.Header.Get("Content-Type"))
				}
				return
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type = %q", ct)
			}
			var p problemBody
			r.JSON(t, &p)
			if p.Code != c.code || p.Type != "urn:altinn:error:"+c.code || p.Status != c.status {
				t.Fatalf("problem = %+v, want code %s", p, c.code)
			}
			if c.violation != "" {
				found := false
				for _, v := range p.ValidationErrors {
					found = found || v.Code == c.violation
				}
				if !found {
					t.Fatalf("validationErrors %+v lack %s", p.ValidationErrors, c.violation)
				}
			}
		})
	}
}
