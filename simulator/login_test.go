package simulator

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// noRedirect is the server's own client, stopping at the first answer.
func noRedirect(ts *httptest.Server) *http.Client {
	hc := *ts.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.LoginRedirectHosts = []string{"portal.test"} })
	resp, err := e.ts.Client().Get(e.ts.URL + "/login?redirect_uri=" + url.QueryEscape("http://localhost:8080/cb"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte("Kari Nordmann")) || !bytes.Contains(page, []byte("Simulator only")) {
		t.Fatalf("login page %d: %s", resp.StatusCode, page)
	}
	for _, tt := range []struct {
		name, redirect, pid string
		want                int
	}{
		{"OKLoopback", "http://localhost:8080/cb?x=1", "01017012345", http.StatusOK},
		{"OKConfiguredHost", "https://portal.test/cb", "01017012345", http.StatusOK},
		{"ErrForeignHost", "https://evil.example/cb", "01017012345", http.StatusBadRequest},
		{"ErrUnknownPerson", "http://127.0.0.1/cb", "99999999999", http.StatusBadRequest},
	} {
		resp, err := noRedirect(e.ts).PostForm(e.ts.URL+"/login", url.Values{"pid": {tt.pid}, "redirect_uri": {tt.redirect},
			"state": {"st-1"}, "nonce": {"n-1"}})
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
			continue
		}
		if tt.want != http.StatusOK {
			continue
		}
		// form_post: the token is in a form that posts to redirect_uri,
		// never in a Location.
		action, fields := formPostOf(t, string(page))
		if resp.Header.Get("Location") != "" || action != tt.redirect || fields.Get("state") != "st-1" ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action "+origin(tt.redirect)) {
			t.Fatalf("%s: Location %q, form %s %v, CSP %q", tt.name, resp.Header.Get("Location"), action, fields,
				resp.Header.Get("Content-Security-Policy"))
		}
		var c PersonClaims
		claimsOf(t, e, fields.Get("access_token"), &c)
		if c.PID != tt.pid || c.Name != "Kari Nordmann" || c.ACR != PersonACR || c.Scope != PersonScope || c.Issuer != DefaultIssuer ||
			c.TokenType != "Bearer" || c.JTI == "" || c.Nonce != "n-1" {
			t.Errorf("%s: claims %+v", tt.name, c)
		}
	}
	resp, err = e.ts.Client().Get(e.ts.URL + "/login?response_mode=query&redirect_uri=" + url.QueryEscape("http://localhost:8080/cb"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("response_mode=query: %d, want 400 (tokens never go in a URL)", resp.StatusCode)
	}
}

var (
	formActionRE = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenRE     = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// formPostOf reads a form_post page's target and fields.
func formPostOf(t *testing.T, page string) (string, url.Values) {
	t.Helper()
	m := formActionRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in %s", page)
	}
	fields := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(page, -1) {
		fields.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return html.UnescapeString(m[1]), fields
}

func TestPersonToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tt := range []struct {
		name, body string
		want       int
	}{
		{"OK", `{"pid":"01017012345"}`, http.StatusOK},
		{"ErrUnknownPerson", `{"pid":"1"}`, http.StatusBadRequest},
		{"ErrMalformed", `{`, http.StatusBadRequest},
	} {
		resp, err := e.ts.Client().Post(e.ts.URL+"/person-token", "application/json", strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
}
