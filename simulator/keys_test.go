package simulator

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/testclient"
)

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

func TestKeySetPersistsAndRotates(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state", "keys.json")
	c := newClock()
	ks, err := NewKeySet(KeyOptions{Path: path, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	first := kids(ks.PublicJWKS())
	reloaded, err := NewKeySet(KeyOptions{Path: path, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kids(reloaded.PublicJWKS()), first) {
		t.Fatalf("reloaded kids %v, want %v", kids(reloaded.PublicJWKS()), first)
	}
	if err := ks.Rotate(130 * time.Second); err != nil {
		t.Fatal(err)
	}
	afterRotate := kids(ks.PublicJWKS())
	if len(afterRotate) != 2 || afterRotate[1] != first[0] || afterRotate[0] == first[0] {
		t.Fatalf("after rotate kids %v, first %v", afterRotate, first)
	}
	// A restart keeps both the new key and the retired one.
	reloaded, err = NewKeySet(KeyOptions{Path: path, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kids(reloaded.PublicJWKS()), afterRotate) {
		t.Fatalf("reloaded after rotate %v, want %v", kids(reloaded.PublicJWKS()), afterRotate)
	}
	c.Add(131 * time.Second)
	if got := kids(ks.PublicJWKS()); len(got) != 1 || got[0] != afterRotate[0] {
		t.Fatalf("after retention kids %v", got)
	}
}

func TestKeySetES256(t *testing.T) {
	t.Parallel()
	ks, err := NewKeySet(KeyOptions{Algorithm: jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if k := ks.PublicJWKS().Keys[0]; k.Algorithm != "ES256" || k.Use != "sig" {
		t.Fatalf("key %+v", k)
	}
	if _, err := NewKeySet(KeyOptions{Algorithm: jose.HS256}); err == nil {
		t.Fatal("HS256 signing keys must be refused")
	}
}

func TestJWKSAndDiscovery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	getJSON(t, e.ts.URL+"/jwk", &jwks)
	if len(jwks.Keys) == 0 {
		t.Fatal("no keys")
	}
	for _, k := range jwks.Keys {
		if k["kid"] == "" || k["use"] != "sig" || k["alg"] != "RS256" || k["kty"] != "RSA" {
			t.Errorf("key %v", k)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWKS leaks private member %q", private)
			}
		}
	}
	var md map[string]any
	getJSON(t, e.ts.URL+"/.well-known/oauth-authorization-server", &md)
	want := map[string]any{
		"issuer": DefaultIssuer, "token_endpoint": DefaultIssuer + "token", "jwks_uri": DefaultIssuer + "jwk",
		"grant_types_supported":                            []any{grantTypeJWTBearer},
		"token_endpoint_auth_methods_supported":            []any{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []any{"RS256", "RS384", "RS512"},
		"authorization_details_types_supported":            []any{SystemUserType, "urn:altinn:consent"},
	}
	got, _ := json.Marshal(md)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) {
		t.Errorf("metadata %s\nwant     %s", got, wantJSON)
	}
}

func getJSON(t *testing.T, url string, dest any) {
	t.Helper()
	resp, err := testclient.New(t).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %s %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	if err := json.NewDecoder(resp.Body).Decode(dest); err != nil {
		t.Fatal(err)
	}
}
