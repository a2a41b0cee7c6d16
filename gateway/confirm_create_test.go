package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/testclient"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// overviewClient drives the overview page over HTTP as one person, without
// a browser: the session cookie holds the person token, as after login.
type overviewClient struct {
	e     *restEnv
	token string
}

func (c overviewClient) send(t *testing.T, method, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(method, c.e.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.AddCookie(&http.Cookie{Name: "systemuser_session", Value: c.token})
	noRedirect := testclient.New(t)
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(raw)
}

// overview fetches the overview page and returns its HTML and form token.
func (c overviewClient) overview(t *testing.T) (string, string) {
	t.Helper()
	resp, html := c.send(t, "GET", "/accessmanagement/ui/systemuser/overview", nil)
	m := csrfField.FindStringSubmatch(html)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("overview: status %d, form token found %v", resp.StatusCode, m != nil)
	}
	return html, m[1]
}

// TestOverviewCreatesSystemUser is flow 4 without GraphQL: a person creates
// a system user of a visible system from the overview page's form.
func TestOverviewCreatesSystemUser(t *testing.T) {
	t.Parallel()
	e := newRESTEnv(t)
	e.do(t, "POST", "/authentication/api/v1/systemregister/vendor", e.VendorToken(t, vendorOrg, srWrite...), requestSystem).must(t, http.StatusOK)
	vendor := identity.NewContext(context.Background(), &identity.Identity{Kind: identity.Organization, OrgNumber: vendorOrg,
		Scopes: []string{identity.ScopeSystemRegisterWrite}})
	if _, err := e.Registry.RegisterSystem(vendor, registry.SystemInput{ID: vendorOrg + "_hidden", Name: registry.Texts{NB: "H", NN: "H", EN: "Hidden"},
		Description: registry.Texts{NB: "d", NN: "d", EN: "d"}, Rights: []registry.Right{{Resource: "ske-mva"}}}); err != nil {
		t.Fatal(err)
	}
	c := overviewClient{e: e, token: e.PersonToken(t, adminPID)}
	html, csrf := c.overview(t)
	if !strings.Contains(html, `action="/accessmanagement/ui/systemuser/overview/create"`) ||
		!strings.Contains(html, `<option value="991825827_my-system">`) || strings.Contains(html, vendorOrg+"_hidden") ||
		!strings.Contains(html, `<option value="`+customerOrg+`">`) {
		t.Fatalf("overview lacks the create form, or offers a hidden system:\n%s", html)
	}
	form := func(csrf, org, system, title string) url.Values {
		return url.Values{"csrf": {csrf}, "org": {org}, "system": {system}, "title": {title}}
	}

	resp, _ := c.send(t, "POST", "/accessmanagement/ui/systemuser/overview/create", form(csrf, customerOrg, "991825827_my-system", "Payroll"))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/accessmanagement/ui/systemuser/overview#su-") {
		t.Fatalf("create: %d Location %q", resp.StatusCode, loc)
	}
	conn, err := e.Registry.ListSystemUsers(asPerson(adminPID), registry.SystemUserFilter{OwnerOrg: customerOrg}, registry.Page{})
	if err != nil || conn.TotalCount != 1 {
		t.Fatalf("system users = %+v, %v", conn, err)
	}
	su := conn.Items[0]
	if "#su-"+su.ID.String() != loc[strings.Index(loc, "#"):] || su.IntegrationTitle != "Payroll" || su.ExternalRef != customerOrg ||
		su.UserType != registry.TypeStandard || len(su.Rights) != 2 {
		t.Fatalf("created %+v (Location %s)", su, loc)
	}
	if html, _ := c.overview(t); !strings.Contains(html, `id="su-`+su.ID.String()+`"`) {
		t.Fatal("the new system user is not on the overview")
	}

	refused := []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"NoFormToken", form("", customerOrg, "991825827_my-system", ""), http.StatusForbidden, "form token"},
		{"WrongFormToken", form("x"+csrf, customerOrg, "991825827_my-system", ""), http.StatusForbidden, "form token"},
		{"Exists", form(csrf, customerOrg, "991825827_my-system", ""), http.StatusBadRequest, ""},
		{"HiddenSystem", form(csrf, customerOrg, vendorOrg+"_hidden", ""), http.StatusNotFound, ""},
		{"UnknownSystem", form(csrf, customerOrg, vendorOrg+"_none", ""), http.StatusNotFound, ""},
		{"OrgNotAdministered", form(csrf, vendorOrg, "991825827_my-system", ""), http.StatusForbidden, ""},
		{"NoOrg", form(csrf, "", "991825827_my-system", ""), http.StatusBadRequest, "Choose an organisation"},
		{"NoSystem", form(csrf, customerOrg, "", ""), http.StatusBadRequest, "Choose an organisation"},
		{"TitleTooLong", form(csrf, customerOrg, "991825827_my-system", strings.Repeat("å", 256)), http.StatusBadRequest, "at most 255"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			resp, html := c.send(t, "POST", "/accessmanagement/ui/systemuser/overview/create", tt.form)
			if resp.StatusCode != tt.status || !strings.Contains(html, tt.text) {
				t.Fatalf("status %d, want %d with %q:\n%s", resp.StatusCode, tt.status, tt.text, html)
			}
		})
	}
	t.Run("NoSession", func(t *testing.T) {
		anon := overviewClient{e: e, token: "garbage"}
		if resp, _ := anon.send(t, "POST", "/accessmanagement/ui/systemuser/overview/create", form(csrf, customerOrg, "991825827_my-system", "")); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	if conn, err := e.Registry.ListSystemUsers(asPerson(adminPID), registry.SystemUserFilter{}, registry.Page{}); err != nil || conn.TotalCount != 1 {
		t.Fatalf("refused posts created system users: %+v, %v", conn, err)
	}
}
