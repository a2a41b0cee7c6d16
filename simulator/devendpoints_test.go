package simulator

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDevEndpoints(t *testing.T) {
	t.Parallel()
	endpoints := []struct{ method, path, body string }{
		{http.MethodGet, "/admin/clients", ""},
		{http.MethodPost, "/admin/clients", `{"clientId":"c","orgNumber":"` + testVendor + `","scopes":["` + testScope + `"]}`},
		{http.MethodPost, "/admin/clients/" + testClientID + "/rotate", ""},
		{http.MethodDelete, "/admin/clients/" + testClientID, ""}, // 403 when on: it holds the admin scope
		{http.MethodPost, "/person-token", `{"pid":"01017012345"}`},
	}
	for _, tt := range []struct {
		name    string
		on      bool
		wantLog bool
	}{
		{"OffByDefault", false, false},
		{"On", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			e := newEnv(t, func(c *Config) {
				c.DevEndpoints = tt.on
				c.AdminOpen = true // even an open admin API is absent when off
				c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			for _, ep := range endpoints {
				req, err := http.NewRequestWithContext(t.Context(), ep.method, e.ts.URL+ep.path, strings.NewReader(ep.body))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := e.ts.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if got404 := resp.StatusCode == http.StatusNotFound; got404 == tt.on {
					t.Errorf("%s %s: status %d with dev endpoints %v", ep.method, ep.path, resp.StatusCode, tt.on)
				}
			}
			// The Maskinporten surface is there either way.
			resp, err := e.ts.Client().Get(e.ts.URL + "/.well-known/oauth-authorization-server")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("metadata: status %d", resp.StatusCode)
			}
			if got := strings.Contains(logs.String(), "dev endpoints enabled"); got != tt.wantLog {
				t.Errorf("startup log mentions dev endpoints = %v, want %v; log:\n%s", got, tt.wantLog, logs.String())
			}
		})
	}
}

func TestAdminPrivilegedScopes(t *testing.T) {
	t.Parallel()
	create := func(scope string) map[string]any {
		return map[string]any{"clientId": "c-" + strings.NewReplacer("/", "-", ":", "-").Replace(scope), "orgNumber": testVendor, "scopes": []string{testScope, scope}, "generateKey": true}
	}
	privileged := []string{AdminScope, LookupScope, "altinn:resourceregistry/resource.admin"}
	t.Run("ErrRefused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *Config) { c.AdminOpen = true })
		for _, scope := range privileged {
			if status, body := adminDo(t, e, http.MethodPost, "/admin/clients", "", create(scope)); status != http.StatusForbidden || body["privateJwk"] != nil {
				t.Errorf("create with %s: status %d %v, want 403", scope, status, body)
			}
		}
		// testClientID holds the admin scope: rotating would hand out its new
		// private key, deleting would lock the platform admin out.
		if status, body := adminDo(t, e, http.MethodPost, "/admin/clients/"+testClientID+"/rotate", "", nil); status != http.StatusForbidden || body["privateJwk"] != nil {
			t.Errorf("rotate admin client: status %d %v, want 403", status, body)
		}
		if status, _ := adminDo(t, e, http.MethodDelete, "/admin/clients/"+testClientID, "", nil); status != http.StatusForbidden {
			t.Errorf("delete admin client: status %d, want 403", status)
		}
		if _, err := e.srv.clients.Get(t.Context(), testClientID); err != nil {
			t.Errorf("admin client gone: %v", err)
		}
		if status, _ := adminDo(t, e, http.MethodPost, "/admin/clients", "", create("skatteetaten:krav")); status != http.StatusCreated {
			t.Errorf("ordinary scope: status %d, want 201", status)
		}
	})
	t.Run("OKWhenAllowed", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *Config) { c.AdminOpen = true; c.AllowPrivilegedScopes = true })
		for _, scope := range privileged {
			if status, body := adminDo(t, e, http.MethodPost, "/admin/clients", "", create(scope)); status != http.StatusCreated {
				t.Errorf("create with %s: status %d %v, want 201", scope, status, body)
			}
		}
		if status, _ := adminDo(t, e, http.MethodPost, "/admin/clients/"+testClientID+"/rotate", "", nil); status != http.StatusOK {
			t.Errorf("rotate admin client: status %d, want 200", status)
		}
	})
}
