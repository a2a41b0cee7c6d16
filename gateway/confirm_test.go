package gateway_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/testclient"
)

// TestConfirmPagesGuardTheirForms drives the confirm pages over HTTP without
// a browser: login redirect, callback, CSRF and the errors a person meets.
func TestConfirmPagesGuardTheirForms(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithLoopbackURL(),
		gatewaytest.WithConfig(func(c *gateway.Config) { c.LoginURL = "http://127.0.0.1:9/login" }))
	seedCatalog(t, e.DB)
	reg, gwURL := e.Registry, e.URL
	vendor := identity.NewContext(context.Background(), &identity.Identity{Kind: identity.Organization, OrgNumber: vendorOrg,
		Scopes: []string{identity.ScopeSystemRegisterWrite, identity.ScopeRequestWrite}})
	if _, err := reg.RegisterSystem(vendor, registry.SystemInput{ID: vendorOrg + "_s", Name: registry.Texts{NB: "S", NN: "S", EN: "S"},
		Rights: []registry.Right{{Resource: "ske-mva"}}, IsVisible: true}); err != nil {
		t.Fatal(err)
	}
	req, _, err := reg.CreateRequest(vendor, registry.RequestInput{SystemID: vendorOrg + "_s", PartyOrg: customerOrg, Rights: []registry.Right{{Resource: "ske-mva"}}})
	if err != nil {
		t.Fatal(err)
	}
	tok := func(pid string) string { return e.PersonToken(t, pid) }
	noRedirect := testclient.New(t)
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	send := func(method, path, cookie string, form url.Values) *http.Response {
		t.Helper()
		var body *strings.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		} else {
			body = strings.NewReader("")
		}
		r, _ := http.NewRequest(method, gwURL+path, body)
		if form != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: "systemuser_session", Value: cookie})
		}
		resp, err := noRedirect.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	page := "/accessmanagement/ui/systemuser/request?id=" + req.ID.String()

	t.Run("NoSessionGoesToLogin", func(t *testing.T) {
		resp := send("GET", page, "", nil)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc.Path != "/login" ||
			loc.Query().Get("redirect_uri") != gwURL+"/accessmanagement/ui/systemuser/login/callback" || loc.Query().Get("state") == "" {
			t.Fatalf("%d Location %s", resp.StatusCode, loc)
		}
	})
	// The callback itself (form_post, state, nonce) is TestConfirmPageLogin's.
	t.Run("CallbackRejectsBadToken", func(t *testing.T) {
		if resp := send("POST", "/accessmanagement/ui/systemuser/login/callback", "", url.Values{"access_token": {"garbage"}}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("PageShowsForAdministrator", func(t *testing.T) {
		if resp := send("GET", page, tok(adminPID), nil); resp.StatusCode != http.StatusOK ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Fatalf("status %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
	})
	t.Run("StrangerGetsNotFound", func(t *testing.T) {
		if resp := send("GET", page, tok("13097248022"), nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("PostWithoutCSRFIsForbidden", func(t *testing.T) {
		for _, csrf := range []string{"", "wrong"} {
			form := url.Values{"id": {req.ID.String()}, "decision": {"approve"}, "csrf": {csrf}}
			if resp := send("POST", "/accessmanagement/ui/systemuser/request/decide", tok(adminPID), form); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("csrf %q: status %d", csrf, resp.StatusCode)
			}
		}
		if got, _ := reg.GetRequest(vendor, req.ID); got.Status != registry.StatusNew {
			t.Fatalf("status %s after refused posts", got.Status)
		}
	})
}
