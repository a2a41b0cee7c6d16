package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// A system the request samples can ask for: both resources, both packages,
// the sample's redirect URL.
const requestSystem = `{ "id": "991825827_my-system", "vendor": { "ID": "0192:991825827" },
  "name": { "nb": "Mitt system", "nn": "Mitt system", "en": "My system" },
  "description": { "nb": "d", "nn": "d", "en": "d" },
  "rights": [ { "resource": [ { "id": "urn:altinn:resource", "value": "ske-krav-og-betalinger" } ] },
              { "resource": [ { "id": "urn:altinn:resource", "value": "ske-mva" } ] } ],
  "accessPackages": [ { "urn": "urn:altinn:accesspackage:skattegrunnlag" }, { "urn": "urn:altinn:accesspackage:skattnaering" } ],
  "clientId": [ "f2a6f9c4-1111-4c1e-9c5e-7d9c1c0a0001" ],
  "allowedRedirectUrls": [ "https://vendor.example/systemuser/receipt" ] }`

// The request body of Altinn's token guide, with our system and customer.
const requestSample = `{ "systemId": "991825827_my-system", "partyOrgNo": "313775429",
  "rights": [ { "resource": [ { "id": "urn:altinn:resource", "value": "ske-krav-og-betalinger" } ] } ],
  "accessPackages": [ { "urn": "urn:altinn:accesspackage:skattegrunnlag" } ],
  "externalRef": "customer-313775429", "redirectUrl": "https://vendor.example/systemuser/receipt" }`

type requestJSON struct {
	ID               string `json:"id"`
	IntegrationTitle string `json:"integrationTitle"`
	ExternalRef      string `json:"externalRef"`
	SystemID         string `json:"systemId"`
	PartyOrgNo       string `json:"partyOrgNo"`
	Rights           []struct {
		Resource []struct{ ID, Value string } `json:"resource"`
	} `json:"rights"`
	AccessPackages []struct{ URN string } `json:"accessPackages"`
	Status         string                 `json:"status"`
	RedirectURL    string                 `json:"redirectUrl"`
	ConfirmURL     string                 `json:"confirmUrl"`
	Escalated      *bool                  `json:"escalated"`
	Created        string                 `json:"created"`
	TimedOut       *bool                  `json:"timedOut"`
}

type page[T any] struct {
	Links struct {
		Next string `json:"next"`
	} `json:"links"`
	Data []T `json:"data"`
}

func TestVendorRequestRoutesAnswerAltinnShapes(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	e.do(t, "POST", "/authentication/api/v1/systemregister/vendor", e.VendorToken(t, vendorOrg, srWrite...), requestSystem).must(t, http.StatusOK)
	tok := e.VendorToken(t, vendorOrg, reqWrite...)
	const base = "/authentication/api/v1/systemuser/request/vendor"

	created := e.do(t, "POST", base, tok, requestSample).must(t, http.StatusCreated)
	var req requestJSON
	created.JSON(t, &req)
	// Altinn's Location names the end-user route: {platform}authentication/api/v1/systemuser/request/{id}.
	if loc := created.Header.Get("Location"); loc != e.URL+"/authentication/api/v1/systemuser/request/"+req.ID {
		t.Fatalf("Location = %q for id %s", loc, req.ID)
	}
	if req.Status != "New" || req.ExternalRef != "customer-313775429" || req.PartyOrgNo != customerOrg ||
		req.SystemID != "991825827_my-system" || req.IntegrationTitle != "Mitt system" ||
		req.Escalated == nil || *req.Escalated || req.TimedOut == nil || *req.TimedOut || req.Created == "" ||
		req.ConfirmURL != "http://gateway.test/accessmanagement/ui/systemuser/request?id="+req.ID+"&DONTCHOOSEREPORTEE=true" ||
		len(req.Rights) != 1 || req.Rights[0].Resource[0].Value != "ske-krav-og-betalinger" || len(req.AccessPackages) != 1 {
		t.Fatalf("created request = %+v", req)
	}

	var again requestJSON
	e.do(t, "POST", base, tok, requestSample).must(t, http.StatusOK).JSON(t, &again)
	if again.ID != req.ID {
		t.Fatalf("repeat create gave %s, want the existing %s", again.ID, req.ID)
	}
	var byID, byRef requestJSON
	e.do(t, "GET", base+"/"+req.ID, tok, nil).must(t, http.StatusOK).JSON(t, &byID)
	e.do(t, "GET", base+"/byexternalref/991825827_my-system/"+customerOrg+"/customer-313775429", tok, nil).must(t, http.StatusOK).JSON(t, &byRef)
	if byID.ID != req.ID || byRef.ID != req.ID {
		t.Fatalf("GET by id %s / by ref %s, want %s", byID.ID, byRef.ID, req.ID)
	}

	agentBody := `{"systemId":"991825827_my-system","partyOrgNo":"313775429","accessPackages":[{"urn":"urn:altinn:accesspackage:skattnaering"}]}`
	var agent requestJSON
	e.do(t, "POST", base+"/agent", tok, agentBody).must(t, http.StatusCreated).JSON(t, &agent)
	if agent.Rights != nil || !strings.Contains(agent.ConfirmURL, "/agentrequest?id="+agent.ID) || agent.ExternalRef != customerOrg {
		t.Fatalf("agent request = %+v", agent)
	}
	e.do(t, "GET", base+"/agent/"+agent.ID, tok, nil).must(t, http.StatusOK)
	e.do(t, "GET", base+"/agent/byexternalref/991825827_my-system/"+customerOrg+"/"+customerOrg, tok, nil).must(t, http.StatusOK)
	for _, c := range []struct{ path, want string }{
		{base + "/bysystem/991825827_my-system", req.ID},
		{base + "/agent/bysystem/991825827_my-system", agent.ID},
	} {
		var p page[requestJSON]
		e.do(t, "GET", c.path, tok, nil).must(t, http.StatusOK).JSON(t, &p)
		if len(p.Data) != 1 || p.Data[0].ID != c.want || p.Links.Next != "" {
			t.Fatalf("%s = %+v", c.path, p)
		}
	}

	// Approved: the vendor finds its system user by system and by query.
	e.MustApprove(t, req.ID)
	var su page[struct {
		ID, SystemID, ReporteeOrgNo, ExternalRef, UserType, SupplierOrgno string
	}]
	e.do(t, "GET", "/authentication/api/v1/systemuser/vendor/bysystem/991825827_my-system", e.VendorToken(t, vendorOrg, srWrite...), nil).
		must(t, http.StatusOK).JSON(t, &su)
	if len(su.Data) != 1 || su.Data[0].ID != req.ID || su.Data[0].ReporteeOrgNo != customerOrg || su.Data[0].UserType != "standard" {
		t.Fatalf("system users by system = %+v", su)
	}
	var one struct{ ID string }
	e.do(t, "GET", "/authentication/api/v1/systemuser/vendor/byquery?system-id=991825827_my-system&orgno="+customerOrg+"&external-ref=customer-313775429", tok, nil).
		must(t, http.StatusOK).JSON(t, &one)
	if one.ID != req.ID {
		t.Fatalf("byquery = %+v", one)
	}

	// A change request asks for the second resource.
	corr := uuid.NewString()
	crPath := "/authentication/api/v1/systemuser/changerequest/vendor?correlation-id=" + corr + "&system-user-id=" + req.ID
	crBody := `{"requiredRights":[{"resource":[{"id":"urn:altinn:resource","value":"ske-mva"}]}]}`
	var cr struct {
		ID, SystemUserID, Status, ConfirmURL, PartyOrgNo string
		RequiredRights                                   []struct{ Resource []struct{ Value string } }
	}
	e.do(t, "POST", crPath, tok, crBody).must(t, http.StatusCreated).JSON(t, &cr)
	if cr.ID != corr || cr.SystemUserID != req.ID || cr.Status != "New" || !strings.Contains(cr.ConfirmURL, "/changerequest?id="+corr) ||
		len(cr.RequiredRights) != 1 || cr.RequiredRights[0].Resource[0].Value != "ske-mva" {
		t.Fatalf("change request = %+v", cr)
	}
	e.do(t, "POST", crPath, tok, crBody).must(t, http.StatusOK)
	e.do(t, "GET", "/authentication/api/v1/systemuser/changerequest/vendor/"+corr, tok, nil).must(t, http.StatusOK)
	var none struct{ Status string }
	e.do(t, "POST", "/authentication/api/v1/systemuser/changerequest/vendor?correlation-id="+uuid.NewString()+"&system-user-id="+req.ID, tok, `{}`).
		must(t, http.StatusOK).JSON(t, &none)
	if none.Status != "NoChangeNeeded" {
		t.Fatalf("empty change request status = %q", none.Status)
	}

	// Delete: 202, then gone.
	if r := e.do(t, "DELETE", base+"/"+agent.ID, tok, nil).must(t, http.StatusAccepted); len(r.Body) != 0 {
		t.Fatalf("DELETE body = %s", r.Body)
	}
	e.do(t, "GET", base+"/agent/"+agent.ID, tok, nil).must(t, http.StatusNotFound)
}

func TestVendorRequestListsPage(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	e.do(t, "POST", "/authentication/api/v1/systemregister/vendor", e.VendorToken(t, vendorOrg, srWrite...), requestSystem).must(t, http.StatusOK)
	tok := e.VendorToken(t, vendorOrg, reqWrite...)
	const n = 53 // more than Altinn's page size of 50
	want := map[string]bool{}
	for i := range n {
		body := strings.Replace(requestSample, "customer-313775429", "ref-"+string(rune('A'+i/26))+string(rune('a'+i%26)), 1)
		var r requestJSON
		e.do(t, "POST", "/authentication/api/v1/systemuser/request/vendor", tok, body).must(t, http.StatusCreated).JSON(t, &r)
		want[r.ID] = true
	}
	path := "/authentication/api/v1/systemuser/request/vendor/bysystem/991825827_my-system"
	pages := 0
	for path != "" {
		var p page[requestJSON]
		e.do(t, "GET", path, tok, nil).must(t, http.StatusOK).JSON(t, &p)
		for _, r := range p.Data {
			if !want[r.ID] {
				t.Fatalf("unexpected or repeated request %s", r.ID)
			}
			delete(want, r.ID)
		}
		pages++
		path = strings.TrimPrefix(p.Links.Next, e.URL)
		if pages > 3 {
			t.Fatal("paging does not end")
		}
	}
	if pages != 2 || len(want) != 0 {
		t.Fatalf("%d pages, %d requests never listed", pages, len(want))
	}
}
