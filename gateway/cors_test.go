package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	coderws "github.com/coder/websocket"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/testclient"
)

func TestParseCORSOrigins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		list    string
		allowed []string
		refused []string
		wantErr bool
	}{
		{"", nil, []string{"http://localhost:5173"}, false},
		{"http://localhost:*", []string{"http://localhost:5173", "http://localhost:3000", "http://LOCALHOST:1"},
			[]string{"https://localhost:5173", "http://localhost.evil.example:80", "http://127.0.0.1:5173", "null", ""}, false},
		{"https://app.example, http://127.0.0.1:5173", []string{"https://app.example", "http://127.0.0.1:5173"},
			[]string{"https://app.example:8443", "http://127.0.0.1:5174", "http://app.example"}, false},
		{"*", []string{"https://anything.example", "http://localhost:1"}, []string{"null"}, false},
		{"localhost:5173", nil, nil, true},
		{"ftp://x", nil, nil, true},
		{"http://x/path", nil, nil, true},
		{"http://x:", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			c, err := gateway.ParseCORSOrigins(tt.list)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			for _, o := range tt.allowed {
				if !c.Allowed(o) {
					t.Errorf("%q refused", o)
				}
			}
			for _, o := range tt.refused {
				if c.Allowed(o) {
					t.Errorf("%q allowed", o)
				}
			}
		})
	}
}

// TestCORS: a dev server on another port (allowed) gets its preflight
// answered and may read the answers, including a websocket; another origin
// gets neither; with no allow-list nothing changes.
func TestCORS(t *testing.T) {
	t.Parallel()
	bdb := dbtest.New(t)
	start := func(list string) string {
		cors, err := gateway.ParseCORSOrigins(list)
		if err != nil {
			t.Fatal(err)
		}
		gw := gateway.New(gateway.Config{CORSOrigins: cors, GraphQL: gateway.GraphQLConfig{Introspection: true}},
			gateway.Deps{DB: db.Probe{DB: bdb}, Registry: registry.New(bdb, registry.Options{})})
		srv := httptest.NewServer(gw)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	withCORS, without := start("http://localhost:*"), start("")
	hc := testclient.New(t)
	do := func(t *testing.T, base, method, path, origin string, hdr map[string]string) *http.Response {
		t.Helper()
		var body *strings.Reader
		if method == http.MethodPost {
			body = strings.NewReader(`{"query":"{ __typename }"}`)
		} else {
			body = strings.NewReader("")
		}
		req, _ := http.NewRequest(method, base+path, body)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	preflight := map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
	tests := []struct {
		name, base, method, path, origin string
		hdr                              map[string]string
		status                           int
		allowOrigin                      string
	}{
		{"OKPreflightGraphQL", withCORS, http.MethodOptions, "/graphql", "http://localhost:5173", preflight, http.StatusNoContent, "http://localhost:5173"},
		{"OKPreflightREST", withCORS, http.MethodOptions, "/authentication/api/v1/systemregister", "http://localhost:3000", preflight, http.StatusNoContent, "http://localhost:3000"},
		{"OKPost", withCORS, http.MethodPost, "/graphql", "http://localhost:5173", nil, http.StatusOK, "http://localhost:5173"},
		{"OKSameOriginNoHeaders", withCORS, http.MethodPost, "/graphql", "", nil, http.StatusOK, ""},
		{"ErrPreflightOtherOrigin", withCORS, http.MethodOptions, "/graphql", "https://evil.example", preflight, http.StatusForbidden, ""},
		{"ErrPostOtherOrigin", withCORS, http.MethodPost, "/graphql", "https://evil.example", nil, http.StatusOK, ""},
		{"ErrNoAllowList", without, http.MethodOptions, "/graphql", "http://localhost:5173", preflight, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, tt.base, tt.method, tt.path, tt.origin, tt.hdr)
			if tt.status != 0 && resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.allowOrigin)
			}
			if tt.allowOrigin != "" && tt.method == http.MethodOptions {
				if !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
					!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization") {
					t.Errorf("preflight headers %v", resp.Header)
				}
			}
			if tt.allowOrigin != "" && resp.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials allowed; bearer tokens need none")
			}
		})
	}
	t.Run("Websocket", func(t *testing.T) {
		for _, tc := range []struct {
			base, origin string
			ok           bool
		}{{withCORS, "http://localhost:5173", true}, {withCORS, "https://evil.example", false}, {without, "http://localhost:5173", false}} {
			ws := "ws" + strings.TrimPrefix(tc.base, "http") + "/graphql"
			c, resp, err := coderws.Dial(t.Context(), ws, &coderws.DialOptions{
				Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: http.Header{"Origin": {tc.origin}}})
			if c != nil {
				_ = c.CloseNow()
			}
			if (err == nil) != tc.ok {
				status := 0
				if resp != nil {
					status = resp.StatusCode
				}
				t.Errorf("websocket from %s (allow-list %v): err %v, status %d; want ok=%v", tc.origin, tc.base == withCORS, err, status, tc.ok)
			}
		}
	})
}
