package gateway_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/identity"
)

const crVendorBase = "/authentication/api/v1/systemuser/changerequest/vendor"

type changeRequestJSON struct {
	ID, SystemUserID, SystemID, PartyOrgNo, ExternalRef, Status, ConfirmURL string
	RequiredRights                                                          []struct{ Resource []struct{ Value string } }
	TimedOut                                                                *bool
}

// approvedSystemUser registers requestSystem, has the customer approve the
// sample request and returns the system user's id.
func (e *restEnv) approvedSystemUser(t *testing.T) string {
	t.Helper()
	e.do(t, "POST", "/authentication/api/v1/systemregister/vendor", e.VendorToken(t, vendorOrg, srWrite...), requestSystem).must(t, http.StatusOK)
	var req requestJSON
	e.do(t, "POST", "/authentication/api/v1/systemuser/request/vendor", e.VendorToken(t, vendorOrg, reqWrite...), requestSample).
		must(t, http.StatusCreated).JSON(t, &req)
	e.MustApprove(t, req.ID)
	return req.ID
}

// mustChangeRequest creates a New change request for ske-mva and returns its id.
func (e *restEnv) mustChangeRequest(t *testing.T, tok, suID string) string {
	t.Helper()
	corr := uuid.NewString()
	e.do(t, "POST", crVendorBase+"?correlation-id="+corr+"&system-user-id="+suID, tok,
		`{"requiredRights":[{"resource":[{"id":"urn:altinn:resource","value":"ske-mva"}]}]}`).must(t, http.StatusCreated)
	return corr
}

func TestChangeRequestVendorReads(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	suID := e.approvedSystemUser(t)
	tok := e.VendorToken(t, vendorOrg, reqWrite...)
	const n = 52 // more than a page of 50
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.mustChangeRequest(t, tok, suID)
	}

	t.Run("ByExternalRef", func(t *testing.T) {
		var cr changeRequestJSON
		e.do(t, "GET", crVendorBase+"/byexternalref/991825827_my-system/"+customerOrg+"/customer-313775429", tok, nil).
			must(t, http.StatusOK).JSON(t, &cr)
		if cr.SystemUserID != suID || cr.SystemID != "991825827_my-system" || cr.PartyOrgNo != customerOrg ||
			cr.ExternalRef != "customer-313775429" || cr.Status != "New" || cr.TimedOut == nil || !slices.Contains(ids, cr.ID) {
			t.Fatalf("by external ref = %+v", cr)
		}
	})
	t.Run("BySystemPages", func(t *testing.T) {
		seen := map[string]bool{}
		path, pages := crVendorBase+"/bysystem/991825827_my-system", 0
		for path != "" && pages < 4 {
			var p page[changeRequestJSON]
			e.do(t, "GET", path, tok, nil).must(t, http.StatusOK).JSON(t, &p)
			for _, cr := range p.Data {
				if seen[cr.ID] || len(cr.RequiredRights) != 1 {
					t.Fatalf("repeated or incomplete %+v", cr)
				}
				seen[cr.ID] = true
			}
			pages++
			path = strings.TrimPrefix(p.Links.Next, e.URL)
		}
		if pages != 2 || len(seen) != n {
			t.Fatalf("%d pages, %d of %d change requests", pages, len(seen), n)
		}
	})

	errs := []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"ByExternalRefOtherVendor", crVendorBase + "/byexternalref/991825827_my-system/" + customerOrg + "/customer-313775429",
			e.VendorToken(t, otherVendor, reqWrite...), 404, "AUTH-00010"},
		{"ByExternalRefUnknownRef", crVendorBase + "/byexternalref/991825827_my-system/" + customerOrg + "/nope", tok, 404, "AUTH-00010"},
		{"BySystemOtherVendor", crVendorBase + "/bysystem/991825827_my-system", e.VendorToken(t, otherVendor, reqWrite...), 404, "AUTH-00011"},
		{"BySystemBadToken", crVendorBase + "/bysystem/991825827_my-system?token=garbage", tok, 400, "INVALID_CURSOR"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			var p problemBody
			e.do(t, "GET", tt.path, tt.token, nil).must(t, tt.status).JSON(t, &p)
			if p.Code != tt.code || p.Type != "urn:altinn:error:"+tt.code {
				t.Fatalf("problem = %+v, want %s", p, tt.code)
			}
		})
	}
}

func TestChangeRequestVendorDelete(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	suID := e.approvedSystemUser(t)
	tok := e.VendorToken(t, vendorOrg, reqWrite...)
	id := e.mustChangeRequest(t, tok, suID)

	steps := []struct { // in order: the 202 step deletes
		name, id, token string
		status          int
		code            string
	}{
		{"OtherVendor", id, e.VendorToken(t, otherVendor, reqWrite...), 404, "AUTH-00010"},
		{"ReadScopeOnly", id, e.VendorToken(t, vendorOrg, identity.ScopeRequestRead), 403, ""}, // a policy failure: no body
		{"NotAGUID", "not-a-guid", tok, 400, "STD-00000"},
		{"Unknown", uuid.NewString(), tok, 404, "AUTH-00010"},
		{"OK", id, tok, 202, ""},
		{"Twice", id, tok, 404, "AUTH-00010"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := e.do(t, "DELETE", crVendorBase+"/"+st.id, st.token, nil).must(t, st.status)
			if st.code == "" {
				if len(r.Body) != 0 {
					t.Fatalf("202 body %s", r.Body)
				}
				return
			}
			var p problemBody
			r.JSON(t, &p)
			if p.Code != st.code {
				t.Fatalf("code %s, want %s", p.Code, st.code)
			}
		})
	}
	e.do(t, "GET", crVendorBase+"/"+id, tok, nil).must(t, http.StatusNotFound)
	// The deleted id cannot be reused: the vendor must generate a new one.
	var p problemBody
	e.do(t, "POST", crVendorBase+"?correlation-id="+id+"&system-user-id="+suID, tok,
		`{"requiredRights":[{"resource":[{"id":"urn:altinn:resource","value":"ske-mva"}]}]}`).must(t, http.StatusConflict).JSON(t, &p)
	if p.Code != "AUTH-00061" {
		t.Fatalf("reuse of deleted id: %+v", p)
	}
}
