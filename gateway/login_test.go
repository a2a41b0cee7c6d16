package gateway_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/simulator"
	"github.com/systemuser-gateway/systemuser/testclient"
)

// formPost is the auto-submitting form a form_post login answers with.
type formPost struct {
	action string
	fields url.Values
}

var (
	formActionRE = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	hiddenRE     = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

func parseFormPost(t *testing.T, page string) formPost {
	t.Helper()
	m := formActionRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in:\n%s", page)
	}
	f := formPost{action: html.UnescapeString(m[1]), fields: url.Values{}}
	for _, h := range hiddenRE.FindAllStringSubmatch(page, -1) {
		f.fields.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return f
}

// TestConfirmPageLogin: the login callback accepts a token only by POST,
// only with the state of a login this browser started (kept in a
// short-lived cookie), and only when the token carries that login's nonce.
// Before, a GET with any access_token in the URL set the session cookie:
// login CSRF and session fixation, and tokens in URLs.
func TestConfirmPageLogin(t *testing.T) {
	t.Parallel()
	bdb := dbtest.New(t)
	keys, err := simulator.NewKeySet(simulator.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	simURL := loopbackServer(t, func(u string) http.Handler {
		sim, err := simulator.NewServer(simulator.Config{Issuer: u + "/", Keys: keys, GatewayURL: "http://127.0.0.1:1",
			Persons: simulator.NewMemoryPersonStore(simulator.Person{PID: adminPID, Name: "Kari Nordmann"})})
		if err != nil {
			t.Fatal(err)
		}
		return sim
	})
	issuer := simulator.NewIssuer(keys, simulator.IssuerOptions{Issuer: simURL + "/"})
	gwURL := loopbackServer(t, func(u string) http.Handler {
		return gateway.New(gateway.Config{PublicURL: u, LoginURL: simURL + "/login",
			TrustedIssuers: []auth.TrustedIssuer{{Issuer: simURL + "/", JWKSURL: simURL + "/jwk"}}},
			gateway.Deps{DB: db.Probe{DB: bdb}, Registry: registry.New(bdb, registry.Options{PublicURL: u})})
	})
	const overview = "/accessmanagement/ui/systemuser/overview"
	callback := gwURL + "/accessmanagement/ui/systemuser/login/callback"

	newBrowser := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		hc := testclient.New(t)
		hc.Jar, hc.CheckRedirect = jar, func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return hc
	}
	read := func(resp *http.Response) string {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	session := func(c *http.Client) bool {
		u, _ := url.Parse(gwURL + overview)
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "systemuser_session" && ck.Value != "" {
				return true
			}
		}
		return false
	}
	// startLogin opens a confirm page without a session and follows the
	// redirect to the dev login; it returns the login URL.
	startLogin := func(t *testing.T, c *http.Client) *url.URL {
		t.Helper()
		resp, err := c.Get(gwURL + overview)
		if err != nil {
			t.Fatal(err)
		}
		read(resp)
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || err != nil || !strings.HasPrefix(loc.String(), simURL+"/login?") {
			t.Fatalf("confirm page without a session: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		q := loc.Query()
		if q.Get("state") == "" || q.Get("nonce") == "" || q.Get("response_mode") != "form_post" || q.Get("redirect_uri") != callback {
			t.Fatalf("login URL %s: want state, nonce, response_mode=form_post and the bare callback", loc)
		}
		return loc
	}
	// logIn submits the dev login and returns the form it answers with.
	logIn := func(t *testing.T, c *http.Client, login *url.URL) formPost {
		t.Helper()
		q := login.Query()
		resp, err := c.PostForm(simURL+"/login", url.Values{"pid": {adminPID}, "redirect_uri": {q.Get("redirect_uri")},
			"state": {q.Get("state")}, "nonce": {q.Get("nonce")}, "response_mode": {q.Get("response_mode")}})
		if err != nil {
			t.Fatal(err)
		}
		page := read(resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
			t.Fatalf("dev login answered %d Location %q; want a form that posts the token", resp.StatusCode, resp.Header.Get("Location"))
		}
		f := parseFormPost(t, page)
		if f.action != callback || f.fields.Get("access_token") == "" || f.fields.Get("state") != q.Get("state") {
			t.Fatalf("form_post %+v", f)
		}
		return f
	}
	post := func(c *http.Client, fields url.Values) *http.Response {
		resp, err := c.PostForm(callback, fields)
		if err != nil {
			t.Fatal(err)
		}
		read(resp)
		return resp
	}

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := newBrowser()
		f := logIn(t, b, startLogin(t, b))
		resp := post(b, f.fields)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != overview || !session(b) {
			t.Fatalf("callback: %d Location %q, session %v", resp.StatusCode, resp.Header.Get("Location"), session(b))
		}
		// The state is single use: the same form again is refused.
		if resp := post(b, f.fields); resp.StatusCode < 400 {
			t.Fatalf("replayed callback: %d", resp.StatusCode)
		}
	})
	t.Run("ErrTokenInURL", func(t *testing.T) {
		t.Parallel()
		b := newBrowser()
		tok, err := issuer.IssuePerson(context.Background(), simulator.Person{PID: adminPID, Name: "Kari"})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := b.Get(callback + "?access_token=" + url.QueryEscape(tok.AccessToken) + "&next=" + url.QueryEscape(overview))
		if err != nil {
			t.Fatal(err)
		}
		read(resp)
		if resp.StatusCode < 400 || session(b) {
			t.Fatalf("GET callback with a token in the URL: %d, session %v", resp.StatusCode, session(b))
		}
	})
	t.Run("ErrLoginNotStartedHere", func(t *testing.T) {
		t.Parallel()
		// The attacker logs in as themself and sends the victim's browser
		// (which started no login) the resulting form.
		attacker := newBrowser()
		f := logIn(t, attacker, startLogin(t, attacker))
		victim := newBrowser()
		if resp := post(victim, f.fields); resp.StatusCode < 400 || session(victim) {
			t.Fatalf("a login the browser did not start: %d, session %v", resp.StatusCode, session(victim))
		}
	})
	t.Run("ErrWrongState", func(t *testing.T) {
		t.Parallel()
		b := newBrowser()
		f := logIn(t, b, startLogin(t, b))
		f.fields.Set("state", "x"+f.fields.Get("state"))
		if resp := post(b, f.fields); resp.StatusCode < 400 || session(b) {
			t.Fatalf("wrong state: %d, session %v", resp.StatusCode, session(b))
		}
	})
	t.Run("ErrWrongNonce", func(t *testing.T) {
		t.Parallel()
		// The state is right (this browser started a login) but the token
		// is another one: minted without this login's nonce.
		b := newBrowser()
		login := startLogin(t, b)
		tok, err := issuer.IssuePerson(context.Background(), simulator.Person{PID: adminPID, Name: "Kari"})
		if err != nil {
			t.Fatal(err)
		}
		fields := url.Values{"access_token": {tok.AccessToken}, "token_type": {"Bearer"}, "state": {login.Query().Get("state")}}
		if resp := post(b, fields); resp.StatusCode < 400 || session(b) {
			t.Fatalf("a token without the login's nonce: %d, session %v", resp.StatusCode, session(b))
		}
	})
}
