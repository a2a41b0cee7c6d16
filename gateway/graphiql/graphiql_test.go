package graphiql_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/gateway/graphiql"
	"github.com/systemuser-gateway/systemuser/testclient"
)

// MustServe starts h on a loopback listener and returns its base URL.
func MustServe(tb testing.TB, h http.Handler) string {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}

type response struct {
	status int
	header http.Header
	body   string
}

func MustDo(tb testing.TB, method, url string, header http.Header) response {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), method, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	// The default transport would add Accept-Encoding and hide what a
	// browser sees only if we decompressed; ask for identity explicitly.
	req.Header.Set("Accept-Encoding", "identity")
	res, err := testclient.New(tb).Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(body)}
}

var (
	attrURL     = regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	absoluteURL = regexp.MustCompile(`(?i)\b(?:https?|wss?)://`)
)

func TestHandler_Page(t *testing.T) {
	t.Parallel()
	base := MustServe(t, graphiql.Handler("/graphql", "/graphql"))

	page := MustDo(t, http.MethodGet, base+"/", nil)
	if page.status != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", page.status)
	}
	if got := page.header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	csp := page.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if m := absoluteURL.FindString(page.body); m != "" {
		t.Errorf("page refers to an absolute URL (%q); everything must be local:\n%s", m, page.body)
	}
	for _, want := range []string{`data-endpoint="/graphql"`, `data-subscription-endpoint="/graphql"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("page lacks %s", want)
		}
	}

	refs := attrURL.FindAllStringSubmatch(page.body, -1)
	if len(refs) != 5 {
		t.Fatalf("page links %d assets, want 5 (css, react, react-dom, graphiql, init): %q", len(refs), refs)
	}
	for _, ref := range refs {
		link := strings.ReplaceAll(ref[1], "&amp;", "&")
		name, _, _ := strings.Cut(path.Base(link), "?")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if !strings.HasPrefix(link, graphiql.AssetPrefix) {
				t.Fatalf("asset link %q is not under %s", link, graphiql.AssetPrefix)
			}
			res := MustDo(t, http.MethodGet, base+link, nil)
			if res.status != http.StatusOK {
				t.Fatalf("GET %s = %d", link, res.status)
			}
			ct := res.header.Get("Content-Type")
			if ct != "text/javascript; charset=utf-8" && ct != "text/css; charset=utf-8" {
				t.Errorf("Content-Type = %q, want JS or CSS", ct)
			}
			if got := res.header.Get("Cache-Control"); !strings.Contains(got, "immutable") || !strings.Contains(got, "max-age=31536000") {
				t.Errorf("Cache-Control = %q, want a long immutable cache for a versioned link", got)
			}
			if len(res.body) < 100 {
				t.Errorf("body is %d bytes", len(res.body))
			}
			etag := res.header.Get("ETag")
			again := MustDo(t, http.MethodGet, base+link, http.Header{"If-None-Match": {etag}})
			if again.status != http.StatusNotModified {
				t.Errorf("revalidation with ETag %s = %d, want 304", etag, again.status)
			}
		})
	}
}

func TestHandler_Routes(t *testing.T) {
	t.Parallel()
	base := MustServe(t, graphiql.Handler("", ""))

	tests := []struct {
		name, method, path string
		status             int
		cacheControl       string
		contentType        string
	}{
		{"OK", http.MethodGet, "/", http.StatusOK, "no-cache", "text/html; charset=utf-8"},
		{"OKHead", http.MethodHead, "/", http.StatusOK, "no-cache", "text/html; charset=utf-8"},
		{"OKUnversioned", http.MethodGet, graphiql.AssetPrefix + "graphiql.min.js", http.StatusOK, "no-cache", "text/javascript; charset=utf-8"},
		{"OKStaleVersion", http.MethodGet, graphiql.AssetPrefix + "graphiql.min.css?v=0", http.StatusOK, "no-cache", "text/css; charset=utf-8"},
		{"OKLicence", http.MethodGet, graphiql.AssetPrefix + "LICENSE-graphiql.txt", http.StatusOK, "no-cache", "text/plain; charset=utf-8"},
		{"ErrUnknownAsset", http.MethodGet, graphiql.AssetPrefix + "nope.js", http.StatusNotFound, "", ""},
		{"ErrNotServed", http.MethodGet, graphiql.AssetPrefix + "SHA256SUMS", http.StatusNotFound, "", ""},
		{"ErrTraversal", http.MethodGet, graphiql.AssetPrefix + "..%2fpage.html", http.StatusNotFound, "", ""},
		{"ErrOtherPath", http.MethodGet, "/graphiql", http.StatusNotFound, "", ""},
		{"ErrMethod", http.MethodPost, "/", http.StatusMethodNotAllowed, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := MustDo(t, tt.method, base+tt.path, nil)
			if res.status != tt.status {
				t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, res.status, tt.status)
			}
			if tt.cacheControl != "" && res.header.Get("Cache-Control") != tt.cacheControl {
				t.Errorf("Cache-Control = %q, want %q", res.header.Get("Cache-Control"), tt.cacheControl)
			}
			if tt.contentType != "" && res.header.Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", res.header.Get("Content-Type"), tt.contentType)
			}
		})
	}
}

func TestHandler_Endpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, endpoint, subscription string
		wantBody, wantCSP            []string
		notBody                      []string
	}{
		{
			name:     "OKDefaultEndpoint",
			wantBody: []string{`data-endpoint="/graphql"`, `data-subscription-endpoint=""`},
			wantCSP:  []string{"connect-src 'self'; "},
		},
		{
			name:         "OKAbsoluteURLs",
			endpoint:     "https://api.example.test:8443/graphql",
			subscription: "http://api.example.test:8443/graphql",
			wantBody:     []string{`data-endpoint="https://api.example.test:8443/graphql"`},
			wantCSP:      []string{"connect-src 'self' https://api.example.test:8443 ws://api.example.test:8443;"},
		},
		{
			name:     "OKEscaped",
			endpoint: `/graphql"><script>alert(1)</script>`,
			notBody:  []string{"<script>alert(1)"},
			wantBody: []string{`data-endpoint="/graphql&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := MustServe(t, graphiql.Handler(tt.endpoint, tt.subscription))
			res := MustDo(t, http.MethodGet, base+"/", nil)
			for _, want := range tt.wantBody {
				if !strings.Contains(res.body, want) {
					t.Errorf("page lacks %s", want)
				}
			}
			for _, bad := range tt.notBody {
				if strings.Contains(res.body, bad) {
					t.Errorf("page contains %s", bad)
				}
			}
			csp := res.header.Get("Content-Security-Policy")
			for _, want := range tt.wantCSP {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
		})
	}
}

// The vendored files must stay byte-identical to the pinned npm releases;
// fetch-assets.sh checks the download against the same SHA256SUMS.
func TestAssets_MatchPinnedChecksums(t *testing.T) {
	t.Parallel()
	sums, err := os.Open(filepath.Join("assets", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer sums.Close()
	base := MustServe(t, graphiql.Handler("", ""))

	n := 0
	lines := bufio.NewScanner(sums)
	for lines.Scan() {
		want, name, ok := strings.Cut(lines.Text(), "  ")
		if !ok {
			t.Fatalf("malformed SHA256SUMS line %q", lines.Text())
		}
		n++
		res := MustDo(t, http.MethodGet, base+graphiql.AssetPrefix+name, nil)
		if res.status != http.StatusOK {
			t.Errorf("%s: served %d", name, res.status)
			continue
		}
		sum := sha256.Sum256([]byte(res.body))
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: served sha256 %s, pinned %s", name, got, want)
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 7 {
		t.Errorf("SHA256SUMS pins %d files, want the 4 bundles and 3 licences", n)
	}
}
