package simulator

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.LoginRedirectHosts = []string{"portal.test"} })
	resp, err := http.Get(e.ts.URL + "/login?redirect_uri=" + url.QueryEscape("http://localhost:8080/cb"))
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
		{"OKLoopback", "http://localhost:8080/cb?state=1", "01017012345", http.StatusSeeOther},
		{"OKConfiguredHost", "https://portal.test/cb", "01017012345", http.StatusSeeOther},
		{"ErrForeignHost", "https://evil.example/cb", "01017012345", http.StatusBadRequest},
		{"ErrUnknownPerson", "http://127.0.0.1/cb", "99999999999", http.StatusBadRequest},
	} {
		resp, err := noRedirect().PostForm(e.ts.URL+"/login", url.Values{"pid": {tt.pid}, "redirect_uri": {tt.redirect}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
			continue
		}
		if tt.want != http.StatusSeeOther {
			continue
		}
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || !strings.HasPrefix(loc.String(), strings.SplitN(tt.redirect, "?", 2)[0]) {
			t.Fatalf("%s: location %q", tt.name, resp.Header.Get("Location"))
		}
		var c PersonClaims
		claimsOf(t, e, loc.Query().Get("access_token"), &c)
		if c.PID != tt.pid || c.Name != "Kari Nordmann" || c.ACR != PersonACR || c.Scope != PersonScope || c.Issuer != DefaultIssuer || c.TokenType != "Bearer" || c.JTI == "" {
			t.Errorf("%s: claims %+v", tt.name, c)
		}
	}
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
		resp, err := http.Post(e.ts.URL+"/person-token", "application/json", strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
}
