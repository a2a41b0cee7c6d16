package gateway_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// chromiumPath finds Debian's chromium. Without it the browser test skips
// loudly, or fails when SYSTEMUSER_BROWSER_REQUIRED=1 (CI).
func chromiumPath(t *testing.T) string {
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

// loopbackServer starts h on a loopback port chosen before h is built, so
// h's configuration can hold its own URL.
func loopbackServer(t *testing.T, build func(url string) http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	srv := httptest.NewUnstartedServer(build(url))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return url
}

// TestBrowserApprovesRequest is flow 1 in a real browser: a vendor's request,
// the confirm page, the simulator's dev login, approval, the redirect back to
// the vendor, and the system user in place.
func TestBrowserApprovesRequest(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath(t)
	artifacts := filepath.Join("..", "e2e", "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	keys, err := simulator.NewKeySet(simulator.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	simURL := loopbackServer(t, func(url string) http.Handler {
		sim, err := simulator.NewServer(simulator.Config{Issuer: url + "/", Keys: keys, GatewayURL: "http://127.0.0.1:1",
			Persons: simulator.NewMemoryPersonStore(simulator.Person{PID: adminPID, Name: "Kari Nordmann"},
				simulator.Person{PID: "13097248022", Name: "Ola Uvedkommende"})})
		if err != nil {
			t.Fatal(err)
		}
		return sim
	})
	gw := gatewaytest.New(t, gatewaytest.WithLoopbackURL(),
		gatewaytest.WithTrustedIssuers(auth.TrustedIssuer{Issuer: simURL + "/", JWKSURL: simURL + "/jwk"}),
		gatewaytest.WithConfig(func(c *gateway.Config) { c.LoginURL = simURL + "/login" }))
	reg, gwURL := gw.Registry, gw.URL
	seedCatalog(t, gw.DB)
	hits := make(chan string, 1)
	vendorURL := loopbackServer(t, func(string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case hits <- r.URL.Query().Get("id"):
			default:
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><title>Vendor</title><h1 id="receipt">Vendor receipt page</h1>`)
		})
	})

	vendor := identity.NewContext(context.Background(), &identity.Identity{Kind: identity.Organization, OrgNumber: vendorOrg,
		Scopes: []string{identity.ScopeSystemRegisterWrite, identity.ScopeRequestWrite, identity.ScopeRequestRead}})
	if _, err := reg.RegisterSystem(vendor, registry.SystemInput{ID: vendorOrg + "_regnskap", Name: registry.Texts{NB: "Regnskap Pluss", NN: "Rekneskap Pluss", EN: "Accounting Plus"},
		Description:    registry.Texts{NB: "Regnskapssystem", NN: "Rekneskapssystem", EN: "Accounting system"},
		Rights:         []registry.Right{{Resource: "ske-krav-og-betalinger", Action: "read"}},
		AccessPackages: []string{"urn:altinn:accesspackage:skattnaering"}, RedirectURLs: []string{vendorURL + "/receipt"}, IsVisible: true}); err != nil {
		t.Fatal(err)
	}
	req, _, err := reg.CreateRequest(vendor, registry.RequestInput{SystemID: vendorOrg + "_regnskap", PartyOrg: customerOrg,
		Rights: []registry.Right{{Resource: "ske-krav-og-betalinger", Action: "read"}}, AccessPackages: []string{"urn:altinn:accesspackage:skattnaering"},
		RedirectURL: vendorURL + "/receipt?state=abc"})
	if err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.WindowSize(1100, 900))
	ctx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()

	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(artifacts, name), png, 0o644)
		})
	}
	if _, err := chromedp.Run(ctx, chromedp.Location()); err != nil { // starts the browser, untimed
		t.Fatalf("start chromium: %v", err)
	}
	// Each step is bounded, so a page that never shows what we wait for
	// fails the test with what the browser showed instead.
	step := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			loc, _ := chromedp.Run(dctx, chromedp.Location())
			body, _ := chromedp.Run(dctx, chromedp.Text(chromedp.CSS("body")))
			_ = chromedp.Do(dctx, shot("confirm-failure.png"))
			t.Fatalf("browser, %s: %v\nat %s:\n%s", name, err, loc, body)
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

	step("open the confirm URL", chromedp.Navigate(req.ConfirmURL), chromedp.WaitVisible(chromedp.CSS(`input[name="pid"]`)),
		shot("confirm-01-login.png"))
	loginURL := get(chromedp.Location())
	step("log in", chromedp.Click(chromedp.CSS(`input[value="`+adminPID+`"]`)), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("approve")), shot("confirm-02-request.png"))
	pageText := get(chromedp.Text(chromedp.CSS("main")))
	step("approve", chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("receipt")),
		shot("confirm-03-vendor-redirect.png"))
	finalURL := get(chromedp.Location())
	step("overview", chromedp.Navigate(gwURL+"/accessmanagement/ui/systemuser/overview"),
		chromedp.WaitVisible(chromedp.ID("su-"+req.ID.String())), shot("confirm-04-overview.png"))

	if !strings.HasPrefix(loginURL, simURL+"/login") {
		t.Fatalf("the confirm page sent the browser to %s, want the dev login", loginURL)
	}
	for _, want := range []string{"Regnskap Pluss", "Vendor AS", "Customer AS", "Krav og betalinger", "Skatt næring", "read"} {
		if !strings.Contains(pageText, want) {
			t.Errorf("confirm page lacks %q:\n%s", want, pageText)
		}
	}
	if !strings.HasPrefix(finalURL, vendorURL+"/receipt?") || !strings.Contains(finalURL, "id="+req.ID.String()) || !strings.Contains(finalURL, "state=abc") {
		t.Fatalf("final URL %s, want the vendor's redirect URL with state and id", finalURL)
	}
	select {
	case got := <-hits:
		if got != req.ID.String() {
			t.Fatalf("vendor got id %q, want %s", got, req.ID)
		}
	default:
		t.Fatal("the vendor's redirect URL was never requested")
	}
	su, err := reg.GetSystemUser(vendor, req.ID)
	if err != nil || su.OwnerOrg != customerOrg || su.IsDeleted {
		t.Fatalf("system user after approval: %+v, %v", su, err)
	}
	got, err := reg.GetRequest(vendor, req.ID)
	if err != nil || got.Status != registry.StatusAccepted {
		t.Fatalf("request after approval: %+v, %v", got, err)
	}
}
