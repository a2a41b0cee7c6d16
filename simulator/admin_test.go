package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func adminDo(t *testing.T, e *env, method, path, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestAdminAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mint := func(scope string) string {
		tok, err := e.srv.Issuer().IssueMaskinporten(t.Context(), MaskinportenGrant{ClientID: "x", ConsumerOrg: testVendor, Scopes: []string{scope}})
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	other, err := NewKeySet(KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := NewIssuer(other, IssuerOptions{Now: e.clock.Now}).IssueMaskinporten(t.Context(), MaskinportenGrant{ClientID: "x", ConsumerOrg: testVendor, Scopes: []string{AdminScope}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"ErrNoToken", "", http.StatusUnauthorized},
		{"ErrForeignToken", foreign.AccessToken, http.StatusUnauthorized},
		{"ErrGarbage", "abc.def.ghi", http.StatusUnauthorized},
		{"ErrWrongScope", mint(testScope), http.StatusForbidden},
		{"OK", mint(AdminScope), http.StatusOK},
	} {
		if got, body := adminDo(t, e, http.MethodGet, "/admin/clients", tt.token, nil); got != tt.want {
			t.Errorf("%s: status %d %v, want %d", tt.name, got, body, tt.want)
		}
	}
	adminToken := mint(AdminScope)
	e.clock.Add(121e9) // past the token's 120 s lifetime
	if got, _ := adminDo(t, e, http.MethodGet, "/admin/clients", adminToken, nil); got != http.StatusUnauthorized {
		t.Errorf("expired admin token: status %d", got)
	}
}

func TestAdminClientLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.AdminOpen = true })
	status, created := adminDo(t, e, http.MethodPost, "/admin/clients", "", map[string]any{
		"clientId": "new-client", "orgNumber": testVendor, "name": "New", "scopes": []string{testScope}, "generateKey": true,
	})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, created)
	}
	privJSON, _ := json.Marshal(created["privateJwk"])
	var priv jose.JSONWebKey
	if err := priv.UnmarshalJSON(privJSON); err != nil || priv.IsPublic() {
		t.Fatalf("privateJwk: %v %s", err, privJSON)
	}
	if ks, _ := json.Marshal(created["jwks"]); bytes.Contains(ks, []byte(`"d"`)) {
		t.Fatalf("stored jwks carries private material: %s", ks)
	}
	g := e.grant()
	g["iss"] = "new-client"
	if r := e.exchange(t, mustSign(t, priv, jose.RS256, priv.KeyID, g)); r.status != http.StatusOK {
		t.Fatalf("token with generated key: %d %v", r.status, r.body)
	}
	if status, _ := adminDo(t, e, http.MethodPost, "/admin/clients", "", map[string]any{"clientId": "new-client", "orgNumber": testVendor}); status != http.StatusConflict {
		t.Errorf("duplicate create: %d", status)
	}
	if status, _ := adminDo(t, e, http.MethodPost, "/admin/clients", "", map[string]any{"orgNumber": "12"}); status != http.StatusBadRequest {
		t.Errorf("bad org number: %d", status)
	}
	status, rotated := adminDo(t, e, http.MethodPost, "/admin/clients/new-client/rotate", "", nil)
	if status != http.StatusOK || rotated["privateJwk"] == nil {
		t.Fatalf("rotate: %d %v", status, rotated)
	}
	g = e.grant()
	g["iss"] = "new-client"
	if r := e.exchange(t, mustSign(t, priv, jose.RS256, priv.KeyID, g)); r.header.Get(ReasonHeader) != ErrUnknownKid.ID {
		t.Errorf("old key after rotate: %d %v", r.status, r.body)
	}
	_, list := adminDo(t, e, http.MethodGet, "/admin/clients", "", nil)
	if n := len(list["clients"].([]any)); n != 2 {
		t.Errorf("list has %d clients, want 2", n)
	}
	if status, _ := adminDo(t, e, http.MethodDelete, "/admin/clients/new-client", "", nil); status != http.StatusNoContent {
		t.Errorf("delete: %d", status)
	}
	if status, _ := adminDo(t, e, http.MethodDelete, "/admin/clients/new-client", "", nil); status != http.StatusNotFound {
		t.Errorf("second delete: %d", status)
	}
}
