package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser is a cookie-keeping client that follows redirects on loopback
// only: the last hop to the vendor's redirect URL is where a real browser
// would leave the stack, so the test reads it from Location instead.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	ok(t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Hostname() != "127.0.0.1" || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

func readPage(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ok(t, err)
	return string(b)
}

var (
	formRE   = regexp.MustCompile(`(?is)<form\b[^>]*>.*?</form>`)
	actionRE = regexp.MustCompile(`(?i)\baction="([^"]*)"`)
	inputRE  = regexp.MustCompile(`(?i)<(?:input|button)\b[^>]*>`)
	attrRE   = regexp.MustCompile(`(?i)\b(name|value|type)="([^"]*)"`)
)

// submitForm posts the page's form whose HTML mentions want (e.g.
// "approve") with its hidden fields and the named submit button, as a
// browser would.
func submitForm(t *testing.T, hc *http.Client, pageURL *url.URL, page, want string) *http.Response {
	t.Helper()
	for _, form := range formRE.FindAllString(page, -1) {
		if !strings.Contains(strings.ToLower(form), want) {
			continue
		}
		action := pageURL.String()
		if m := actionRE.FindStringSubmatch(form); m != nil && m[1] != "" {
			ref, err := url.Parse(html.UnescapeString(m[1]))
			ok(t, err)
			action = pageURL.ResolveReference(ref).String()
		}
		vals := url.Values{}
		for _, in := range inputRE.FindAllString(form, -1) {
			attrs := map[string]string{}
			for _, a := range attrRE.FindAllStringSubmatch(in, -1) {
				attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2])
			}
			isButton := strings.HasPrefix(strings.ToLower(in), "<button") || attrs["type"] == "submit"
			if attrs["name"] == "" || (isButton && !strings.Contains(strings.ToLower(in), want)) {
				continue
			}
			if attrs["type"] == "radio" || attrs["type"] == "checkbox" {
				continue
			}
			vals.Set(attrs["name"], attrs["value"])
		}
		resp, err := hc.PostForm(action, vals)
		ok(t, err)
		return resp
	}
	t.Fatalf("no %q form on the page:\n%.2000s", want, page)
	return nil
}

// Flow 1 through the browser: the administrator opens the confirm URL, logs
// in at the simulator's dev login, approves, and lands on the vendor's
// redirect URL.
func TestVendorRequestConfirmPage(t *testing.T) {
	t.Parallel()
	s := stackT(t)
	requireGraphQL(t, s, "Mutation.createSystemUserRequest", "Query.request")
	ref := uniqueRef(t)
	req := createRequest(t, s, bakeryOrg, ref, [2]string{demoResource, "read"})

	hc := browser(t)
	resp, err := hc.Get(req.ConfirmURL)
	ok(t, err)
	if resp.StatusCode == http.StatusNotFound {
		resp.Body.Close()
		t.Skip("waiting for the confirm pages (" + req.ConfirmURL + " is 404)")
	}
	page := readPage(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm URL: HTTP %d at %s:\n%.1000s", resp.StatusCode, resp.Request.URL, page)
	}

	// Not logged in: the confirm page sent the browser to the dev login.
	if login := resp.Request.URL; strings.HasPrefix(login.String(), s.SimulatorURL+"/login") {
		q := login.Query()
		resp, err = hc.PostForm(s.SimulatorURL+"/login", url.Values{"pid": {kariPID}, "redirect_uri": {q.Get("redirect_uri")},
			"state": {q.Get("state")}, "nonce": {q.Get("nonce")}})
		ok(t, err)
		page = readPage(t, resp)
		// The login answers form_post style: a page whose script posts the
		// token and state to the gateway. Post it as the script would.
		if strings.Contains(page, `name="access_token"`) {
			resp = submitForm(t, hc, resp.Request.URL, page, "access_token")
			page = readPage(t, resp)
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), s.GatewayURL) {
			t.Fatalf("after login: HTTP %d at %s:\n%.1000s", resp.StatusCode, resp.Request.URL, page)
		}
	}

	resp = submitForm(t, hc, resp.Request.URL, page, "approve")
	body := readPage(t, resp)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, receiptURL) {
		t.Fatalf("after approve: HTTP %d Location %q, want a redirect to %s:\n%.1000s", resp.StatusCode, loc, receiptURL, body)
	}

	var out struct {
		R gqlRequest `json:"request"`
	}
	gql(t, s, vendorToken(t, s), requestStatusDoc, map[string]any{"id": req.ID}, &out)
	if out.R.Status != "ACCEPTED" {
		t.Errorf("status after the confirm page = %q, want ACCEPTED", out.R.Status)
	}
}
