package gateway_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// The System Register create body exactly as Altinn's documentation shows it
// (lower-case "allowedredirecturls" included).
const systemSample = `{ "id": "991825827_systemwithaccesspackageandresource",
  "vendor": { "authority": "iso6523-actorid-upis", "ID": "0192:991825827" },
  "name": { "nb": "The Matrix", "en": "The Matrix", "nn": "The Matrix" },
  "description": { "nb": "Test system", "en": "Test system", "nn": "Test system" },
  "accessPackages": [ { "urn": "urn:altinn:accesspackage:skattnaering" } ],
  "rights": [ { "resource": [ { "id": "urn:altinn:resource", "value": "ske-krav-og-betalinger" } ] } ],
  "clientId": [ "32ef65ac-6e62-498d-880f-76c85c2052ae" ],
  "allowedredirecturls": [ "https://vg.no", "https://altinn.no" ],
  "isVisible": true }`

const sampleSystemID = "991825827_systemwithaccesspackageandresource"

type systemResponse struct {
	ID     string `json:"id"`
	Vendor struct {
		ID string `json:"ID"`
	} `json:"vendor"`
	Name        map[string]string `json:"name"`
	Description map[string]string `json:"description"`
	Rights      []struct {
		Action   string `json:"action"`
		Resource []struct {
			ID    string `json:"id"`
			Value string `json:"value"`
		} `json:"resource"`
	} `json:"rights"`
	AccessPackages      []struct{ URN string } `json:"accessPackages"`
	ClientID            []string               `json:"clientId"`
	AllowedRedirectURLs []string               `json:"allowedRedirectUrls"`
	IsVisible           bool                   `json:"isVisible"`
	IsDeleted           bool                   `json:"isDeleted"`
}

type systemDTO struct {
	SystemID              string `json:"systemId"`
	SystemVendorOrgNumber string `json:"systemVendorOrgNumber"`
	SystemVendorOrgName   string `json:"systemVendorOrgName"`
	IsVisible             bool   `json:"isVisible"`
}

func TestSystemRegisterRoutesAnswerAltinnShapes(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	tok := e.VendorToken(t, vendorOrg, srWrite...)

	var internalID string
	e.do(t, "POST", "/authentication/api/v1/systemregister/vendor", tok, systemSample).must(t, http.StatusOK).JSON(t, &internalID)
	if _, err := uuid.Parse(internalID); err != nil {
		t.Fatalf("POST vendor answered %q, want the internal GUID as a JSON string", internalID)
	}

	var got systemResponse
	e.do(t, "GET", "/authentication/api/v1/systemregister/vendor/"+sampleSystemID, tok, nil).must(t, http.StatusOK).JSON(t, &got)
	if got.ID != sampleSystemID || got.Vendor.ID != "0192:"+vendorOrg || got.Name["nn"] != "The Matrix" ||
		!got.IsVisible || got.IsDeleted || len(got.ClientID) != 1 || len(got.AllowedRedirectURLs) != 2 ||
		len(got.AccessPackages) != 1 || got.AccessPackages[0].URN != "urn:altinn:accesspackage:skattnaering" {
		t.Fatalf("GET vendor/{id} = %+v", got)
	}
	if len(got.Rights) != 1 || got.Rights[0].Resource[0].ID != "urn:altinn:resource" || got.Rights[0].Resource[0].Value != "ske-krav-og-betalinger" {
		t.Fatalf("rights = %+v", got.Rights)
	}

	// The portal reads need an end user's portal token (Altinn's Portal policy).
	portal := e.PersonToken(t, adminPID)
	var list []systemDTO
	e.do(t, "GET", "/authentication/api/v1/systemregister", portal, nil).must(t, http.StatusOK).JSON(t, &list)
	if !slices.ContainsFunc(list, func(d systemDTO) bool {
		return d.SystemID == sampleSystemID && d.SystemVendorOrgNumber == vendorOrg && d.SystemVendorOrgName == "Vendor AS"
	}) {
		t.Fatalf("visible list = %+v", list)
	}
	var one systemDTO
	e.do(t, "GET", "/authentication/api/v1/systemregister/"+sampleSystemID, portal, nil).must(t, http.StatusOK).JSON(t, &one)
	if one.SystemID != sampleSystemID || !one.IsVisible {
		t.Fatalf("GET {id} = %+v", one)
	}
	rights := e.do(t, "GET", "/authentication/api/v1/systemregister/"+sampleSystemID+"/rights", portal, nil).must(t, http.StatusOK)
	if string(rights.Body) != `[{"resource":[{"id":"urn:altinn:resource","value":"ske-krav-og-betalinger"}]}]`+"\n" {
		t.Fatalf("GET {id}/rights = %s", rights.Body)
	}
	pkgs := e.do(t, "GET", "/authentication/api/v1/systemregister/"+sampleSystemID+"/accesspackages", portal, nil).must(t, http.StatusOK)
	if string(pkgs.Body) != `[{"urn":"urn:altinn:accesspackage:skattnaering"}]`+"\n" {
		t.Fatalf("GET {id}/accesspackages = %s", pkgs.Body)
	}

	// Update: the whole document, then rights and packages alone.
	updated := strings.Replace(systemSample, `"nb": "The Matrix"`, `"nb": "Matrisen"`, 1)
	okBody := `{"succeeded":true}` + "\n"
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/authentication/api/v1/systemregister/vendor/" + sampleSystemID, updated},
		{"PUT", "/authentication/api/v1/systemregister/vendor/" + sampleSystemID + "/rights",
			`[{"resource":[{"id":"urn:altinn:resource","value":"ske-krav-og-betalinger"}],"action":"read"},{"resource":[{"id":"urn:altinn:resource","value":"ske-mva"}]}]`},
		{"PUT", "/authentication/api/v1/systemregister/vendor/" + sampleSystemID + "/accesspackages", `[{"urn":"urn:altinn:accesspackage:skattegrunnlag"}]`},
	} {
		if r := e.do(t, c.method, c.path, tok, c.body).must(t, http.StatusOK); string(r.Body) != okBody {
			t.Fatalf("%s %s = %s", c.method, c.path, r.Body)
		}
	}
	e.do(t, "GET", "/authentication/api/v1/systemregister/vendor/"+sampleSystemID, tok, nil).must(t, http.StatusOK).JSON(t, &got)
	if got.Name["nb"] != "Matrisen" || len(got.Rights) != 2 || got.AccessPackages[0].URN != "urn:altinn:accesspackage:skattegrunnlag" {
		t.Fatalf("after updates: %+v", got)
	}
	var mine []systemDTO
	e.do(t, "GET", "/authentication/api/v1/systemregister/vendor", tok, nil).must(t, http.StatusOK).JSON(t, &mine)
	if len(mine) != 1 || mine[0].SystemID != sampleSystemID {
		t.Fatalf("vendor list = %+v", mine)
	}

	if r := e.do(t, "DELETE", "/authentication/api/v1/systemregister/vendor/"+sampleSystemID, tok, nil).must(t, http.StatusOK); string(r.Body) != okBody {
		t.Fatalf("DELETE = %s", r.Body)
	}
	e.do(t, "GET", "/authentication/api/v1/systemregister/"+sampleSystemID, portal, nil).must(t, http.StatusNotFound)
	e.do(t, "GET", "/authentication/api/v1/systemregister/vendor", tok, nil).must(t, http.StatusOK).JSON(t, &mine)
	if len(mine) != 0 {
		t.Fatalf("vendor list after delete = %+v", mine)
	}
}

// TestSystemRegisterIsVisibleDefaultsToTrue: Altinn's default, which a Go
// bool zero value would silently flip.
func TestSystemRegisterIsVisibleDefaultsToTrue(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	tok := e.VendorToken(t, vendorOrg, srWrite...)
	body := strings.Replace(systemSample, `,
  "isVisible": true`, ``, 1)
	if strings.Contains(body, "isVisible") {
		t.Fatal("fixture still sets isVisible")
	}
	e.do(t, "POST", "/authentication/api/v1/systemregister/vendor", tok, body).must(t, http.StatusOK)
	var got systemResponse
	e.do(t, "GET", "/authentication/api/v1/systemregister/vendor/"+sampleSystemID, tok, nil).must(t, http.StatusOK).JSON(t, &got)
	if !got.IsVisible {
		t.Fatal("isVisible = false, want Altinn's default true")
	}
}
