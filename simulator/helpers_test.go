package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// RSA key generation is slow; tests share a few immutable keys.
var testKeys = sync.OnceValue(func() []jose.JSONWebKey {
	var ks []jose.JSONWebKey
	for range 3 {
		k, err := GenerateKey(jose.RS256, nil)
		if err != nil {
			panic(err)
		}
		ks = append(ks, k)
	}
	return ks
})

var serverKeySets = sync.OnceValue(func() *KeySet {
	ks, err := NewKeySet(KeyOptions{})
	if err != nil {
		panic(err)
	}
	return ks
})

const (
	testClientID = "vendor-client"
	testVendor   = "991825827"
	testCustomer = "313775429"
	testScope    = "altinn:authentication/systemregister.write"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeLookup is the in-process SystemUserLookup; the HTTP one is tested
// against an httptest gateway in lookup_test.go.
type fakeLookup struct {
	mu    sync.Mutex
	users map[SystemUserQuery]SystemUser
	got   []SystemUserQuery
}

func (f *fakeLookup) Lookup(_ context.Context, q SystemUserQuery) (SystemUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, q)
	su, ok := f.users[q]
	if !ok {
		return SystemUser{}, ErrSystemUserNotFound
	}
	return su, nil
}

var jtiSeq atomic.Int64

type env struct {
	srv    *Server
	ts     *httptest.Server
	clock  *clock
	lookup *fakeLookup
	key    jose.JSONWebKey // private key of testClientID
}

func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	e := &env{clock: newClock(), key: testKeys()[0], lookup: &fakeLookup{users: map[SystemUserQuery]SystemUser{}}}
	cfg := Config{
		Issuer:  DefaultIssuer,
		Keys:    serverKeySets(),
		Now:     e.clock.Now,
		Lookup:  e.lookup,
		Persons: NewMemoryPersonStore(Person{PID: "01017012345", Name: "Kari Nordmann"}),
		// On here so the admin and person-token tests reach them; the
		// default (off) is tested in devendpoints_test.go.
		DevEndpoints: true,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = srv.clients.Create(context.Background(), Client{
		ID: testClientID, OrgNumber: testVendor, Name: "Vendor",
		Scopes: []string{testScope, AdminScope}, Keys: []jose.JSONWebKey{e.key.Public()},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.ts = httptest.NewServer(srv)
	t.Cleanup(e.ts.Close)
	return e
}

// grant is a raw assertion payload; tests remove or alter members freely.
func (e *env) grant() map[string]any {
	now := e.clock.Now().Unix()
	return map[string]any{
		"iss": testClientID, "aud": DefaultIssuer, "iat": now, "exp": now + 60,
		"jti": fmt.Sprintf("jti-%d", jtiSeq.Add(1)), "scope": testScope,
	}
}

func mustSign(t testing.TB, key jose.JSONWebKey, alg jose.SignatureAlgorithm, kid string, claims any) string {
	t.Helper()
	signKey := jose.JSONWebKey{Key: key.Key, KeyID: kid}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: signKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type tokenResult struct {
	status int
	header http.Header
	body   map[string]any
}

func (e *env) postToken(t testing.TB, form url.Values) tokenResult {
	t.Helper()
	resp, err := e.ts.Client().PostForm(e.ts.URL+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := tokenResult{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(b, &r.body); err != nil {
		t.Fatalf("token response %d is not JSON: %q", resp.StatusCode, b)
	}
	return r
}

func (e *env) exchange(t testing.TB, assertion string) tokenResult {
	t.Helper()
	return e.postToken(t, url.Values{"grant_type": {grantTypeJWTBearer}, "assertion": {assertion}})
}

// claimsOf verifies a token against the server's published JWKS.
func claimsOf(t testing.TB, e *env, token string, dest any) {
	t.Helper()
	resp, err := e.ts.Client().Get(e.ts.URL + "/jwk")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("token kid %q not in JWKS", tok.Headers[0].KeyID)
	}
	if err := tok.Claims(keys[0].Key, dest); err != nil {
		t.Fatal(err)
	}
}
