package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/registry"
)

// TestBrowserGraphiQL opens the embedded GraphiQL in Chromium: its
// introspection (the literal document GraphiQL sends, which is the captured
// testdata) gets the schema, the docs pane lists the root types, and
// autocomplete offers the schema's fields. Screenshots go to e2e/artifacts.
func TestBrowserGraphiQL(t *testing.T) {
	t.Parallel()
	chromium := chromiumPath(t)
	artifacts := filepath.Join("..", "e2e", "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	bdb := dbtest.New(t)
	seedCatalog(t, bdb)
	var mu sync.Mutex
	var introspections []string
	gwURL := loopbackServer(t, func(url string) http.Handler {
		gw := gateway.New(gateway.Config{PublicURL: url, GraphQL: gateway.GraphQLConfig{Introspection: true}},
			gateway.Deps{DB: db.Probe{DB: bdb}, Registry: registry.New(bdb, registry.Options{PublicURL: url})})
		// Record what GraphiQL really sends.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/graphql" {
				b, _ := io.ReadAll(r.Body)
				var p struct{ Query, OperationName string }
				if json.Unmarshal(b, &p) == nil && p.OperationName == "IntrospectionQuery" {
					mu.Lock()
					introspections = append(introspections, p.Query)
					mu.Unlock()
				}
				r.Body = io.NopCloser(strings.NewReader(string(b)))
			}
			gw.ServeHTTP(w, r)
		})
	})

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.WindowSize(1400, 900))
	ctx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	if _, err := chromedp.Run(ctx, chromedp.Location()); err != nil {
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
			_ = chromedp.Do(dctx, shot("graphiql-failure.png"))
			t.Fatalf("browser, %s: %v\n%s", name, err, body)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		return v
	}

	step("open GraphiQL", chromedp.Navigate(gwURL+"/"), chromedp.WaitVisible(chromedp.CSS(".graphiql-container")))
	step("open the docs pane", chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-doc-explorer-root-type")), shot("graphiql-01-docs.png"))
	docs := text(".graphiql-doc-explorer")
	if strings.Contains(docs, "Error fetching schema") || !strings.Contains(docs, "Query") || !strings.Contains(docs, "Mutation") {
		t.Fatalf("docs pane:\n%s", docs)
	}
	step("browse to Query", chromedp.Click(chromedp.CSS(`a.graphiql-doc-explorer-type-name`)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-doc-explorer-field-name")), shot("graphiql-02-query-fields.png"))
	if fields := text(".graphiql-doc-explorer"); !strings.Contains(fields, "systems") || !strings.Contains(fields, "systemUsers") {
		t.Fatalf("Query's fields in the docs pane:\n%s", fields)
	}

	// Replace the default tab's text, then type: CodeMirror shows hints.
	editor := `.graphiql-query-editor .CodeMirror textarea`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const cm = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;
		cm.setValue(''); cm.focus(); return true; })()`)); err != nil {
		t.Fatalf("clear the editor: %v", err)
	}
	step("autocomplete", chromedp.SendKeys(chromedp.CSS(editor), "{ sys"),
		chromedp.WaitVisible(chromedp.CSS(".CodeMirror-hints")), shot("graphiql-03-autocomplete.png"))
	if hints := text(".CodeMirror-hints"); !strings.Contains(hints, "systems") || !strings.Contains(hints, "systemUsers") {
		t.Fatalf("autocomplete hints:\n%s", hints)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(introspections) == 0 {
		t.Fatal("GraphiQL sent no IntrospectionQuery")
	}
	want, err := os.ReadFile("testdata/introspection/graphiql-4.1.2-graphql-js-16.11.0.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if introspections[0] != string(want) {
		t.Errorf("GraphiQL's introspection differs from the captured document:\n%s", introspections[0])
	}
}
