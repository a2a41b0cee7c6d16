package simulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/systemuser-gateway/systemuser/simulator/simctl"
)

// debuggerEnv is a control-enabled simulator whose key directory holds the
// test client's private key, with one system user to find.
func debuggerEnv(t *testing.T) (*env, *simctl.Client) {
	t.Helper()
	dir := t.TempDir()
	e, ctl := newControlEnv(t, func(c *Config) { c.ClientKeyDir = dir })
	b, err := json.Marshal(e.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, testClientID+".jwk"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	e.lookup.users[SystemUserQuery{ClientID: testClientID, SystemProviderOrgNo: testVendor, SystemUserOwnerOrgNo: testCustomer, ExternalRef: "ref-1"}] =
		SystemUser{ID: "4f5e7c1a-0000-4000-8000-000000000001", SystemID: testVendor + "_regnskap"}
	return e, ctl
}

func postDebugger(t *testing.T, e *env, form url.Values) (int, http.Header, string) {
	t.Helper()
	resp, err := e.ts.Client().PostForm(e.ts.URL+"/control/debugger", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestDebuggerHTTP(t *testing.T) {
	t.Parallel()
	e, ctl := debuggerEnv(t)
	resp, err := e.ts.Client().Get(e.ts.URL + "/control/debugger")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self'") ||
		!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") {
		t.Fatalf("GET debugger: %d, CSP %q", resp.StatusCode, csp)
	}
	if strings.Contains(strings.ToLower(string(page)), "<script") || !strings.Contains(string(page), `value="`+testClientID+`"`) {
		t.Fatalf("page:\n%s", page)
	}

	t.Run("SystemUserToken", func(t *testing.T) {
		status, _, body := postDebugger(t, e, url.Values{"client_id": {testClientID}, "systemuser_org": {testCustomer}, "external_ref": {"ref-1"}})
		for _, want := range []string{"HTTP 200", "4f5e7c1a-0000-4000-8000-000000000001", "authorization_details", "curl -s"} {
			if status != 200 || !strings.Contains(body, want) {
				t.Fatalf("debugger run: %d, lacks %q:\n%s", status, want, body)
			}
		}
	})
	t.Run("RejectedIsShown", func(t *testing.T) {
		status, _, body := postDebugger(t, e, url.Values{"client_id": {testClientID}, "systemuser_org": {"999999999"}})
		if status != 200 || !strings.Contains(body, "HTTP 400") || !strings.Contains(body, "invalid_altinn_customer_configuration") {
			t.Fatalf("MP-303 through the debugger: %d\n%s", status, body)
		}
	})
	t.Run("FaultsApply", func(t *testing.T) {
		must[simctl.Fault](t)(ctl.ArmFault(t.Context(), simctl.Fault{Drop: true}))
		_, _, body := postDebugger(t, e, url.Values{"client_id": {testClientID}})
		if !strings.Contains(body, "connection was dropped") {
			t.Fatalf("dropped fault through the debugger:\n%s", body)
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		for _, form := range []url.Values{
			{"client_id": {"no-such-client"}},
			{"client_id": {"../" + testClientID}},
			{"client_id": {testClientID}, "systemuser_org": {"12345"}},
		} {
			if status, _, _ := postDebugger(t, e, form); status != http.StatusBadRequest {
				t.Errorf("%v: HTTP %d, want 400", form, status)
			}
		}
	})
	// A client added through the control API with a generated key can be
	// used at once.
	t.Run("GeneratedClient", func(t *testing.T) {
		must[simctl.MaskinportenClient](t)(ctl.CreateClient(t.Context(), simctl.MaskinportenClient{
			ClientID: "made-at-runtime", OrgNumber: testCustomer, Scopes: []string{"x:y"}, GenerateKey: true}))
		status, _, body := postDebugger(t, e, url.Values{"client_id": {"made-at-runtime"}})
		if status != 200 || !strings.Contains(body, "HTTP 200") || !strings.Contains(body, "x:y") {
			t.Fatalf("runtime client: %d\n%s", status, body)
		}
	})
}

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "BROWSER TEST NOT RUN: no chromium on PATH (Debian: apt-get install -y chromium)"
	if os.Getenv("SYSTEMUSER_BROWSER_REQUIRED") == "1" {
		t.Fatal(msg + "; SYSTEMUSER_BROWSER_REQUIRED=1")
	}
	t.Skip(msg)
	return ""
}

var curlAssertion = regexp.MustCompile(`-d assertion='([A-Za-z0-9_.-]+)'`)

// TestDebuggerBrowser drives the page in Chromium: choose the client, ask
// for a system-user token, read the decoded claims, then run the page's curl
// command's request. Screenshots go to e2e/artifacts/.
func TestDebuggerBrowser(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	artifacts := filepath.Join("..", "e2e", "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	e, _ := debuggerEnv(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.WindowSize(1100, 900))
	ctx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	if _, err := chromedp.Run(ctx, chromedp.Location()); err != nil { // starts the browser, untimed
		t.Fatalf("start chromium: %v", err)
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(artifacts, name), png, 0o644)
		})
	}
	step := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			body, _ := chromedp.Run(dctx, chromedp.Text(chromedp.CSS("body")))
			_ = chromedp.Do(dctx, shot("debugger-failure.png"))
			t.Fatalf("browser, %s: %v\n%s", name, err, body)
		}
	}
	get := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		return v
	}

	step("open", chromedp.Navigate(e.ts.URL+"/control/debugger"), chromedp.WaitVisible(chromedp.CSS(`input[name="client_id"]`)),
		shot("debugger-01-form.png"))
	step("ask for a system-user token",
		chromedp.Click(chromedp.CSS(`input[value="`+testClientID+`"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="systemuser_org"]`), testCustomer),
		chromedp.SendKeys(chromedp.CSS(`input[name="external_ref"]`), "ref-1"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("claims")), shot("debugger-02-result.png"))

	status := get(chromedp.Text(chromedp.ID("status")))
	claims := get(chromedp.Text(chromedp.ID("claims")))
	assertion := get(chromedp.Text(chromedp.ID("assertion-decoded")))
	curl := get(chromedp.Value(chromedp.ID("curl")))
	// The stylesheet loaded under the page's CSP (no inline styles allowed).
	bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("pre")).backgroundColor`))
	if err != nil || bg != "rgb(244, 244, 244)" {
		t.Errorf("pre background %q, %v: debugger.css did not apply", bg, err)
	}
	if status != "HTTP 200" {
		t.Fatalf("status %q", status)
	}
	for _, want := range []string{`"systemuser_id"`, "4f5e7c1a-0000-4000-8000-000000000001", `"system_id": "` + testVendor + `_regnskap"`, `"client_id": "` + testClientID + `"`} {
		if !strings.Contains(claims, want) {
			t.Errorf("decoded token lacks %s:\n%s", want, claims)
		}
	}
	if !strings.Contains(assertion, `"externalRef": "ref-1"`) || !strings.Contains(assertion, `"kid": "`+e.key.KeyID+`"`) {
		t.Errorf("decoded assertion:\n%s", assertion)
	}
	// The curl command names this simulator's token URL and a fresh,
	// unused assertion: its request gets a token.
	m := curlAssertion.FindStringSubmatch(curl)
	if !strings.HasPrefix(curl, "curl -s '"+e.ts.URL+"/token'") || m == nil {
		t.Fatalf("curl command:\n%s", curl)
	}
	if r := e.exchange(t, m[1]); r.status != http.StatusOK {
		t.Fatalf("the curl command's assertion: %d %v", r.status, r.body)
	}
}
