package simulator

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// The quality bar compares token issuance with the raw RS256 signing rate in
// the same run; run with -cpu 1:
//
//	go test -run '^$' -bench . -cpu 1 ./simulator/

func BenchmarkRawRS256Sign(b *testing.B) {
	key := serverKeySets().current.jwk.Key.(*rsa.PrivateKey)
	digest := sha256.Sum256([]byte(strings.Repeat("x", 400)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokenPlain(b *testing.B) { benchToken(b, false) }

func BenchmarkTokenSystemUser(b *testing.B) { benchToken(b, true) }

type staticLookup SystemUser

func (s staticLookup) Lookup(context.Context, SystemUserQuery) (SystemUser, error) {
	return SystemUser(s), nil
}

// benchToken drives the handler in-process with pre-signed assertions, so
// the figure is the server's cost only: form parse, assertion verify, replay
// check, (lookup,) token sign.
func benchToken(b *testing.B, systemUser bool) {
	key := testKeys()[0]
	clients := NewMemoryClientStore()
	if err := clients.Create(context.Background(), Client{ID: testClientID, OrgNumber: testVendor, Scopes: []string{testScope}, Keys: []jose.JSONWebKey{key}}); err != nil {
		b.Fatal(err)
	}
	// A fixed clock: pre-signing b.N assertions takes longer than the 10 s
	// an iat may lag the server's clock.
	e := &env{clock: newClock()}
	srv, err := NewServer(Config{Keys: serverKeySets(), Clients: clients, Lookup: staticLookup{ID: "ebe4a681-0a8c-429e-a36f-8f9ca942b59f", SystemID: testVendor + "_smartcloud"}, ReplayCacheSize: 1 << 22, Now: e.clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([]string, b.N)
	for i := range bodies {
		g := e.grant()
		now := e.clock.Now().Unix()
		g["iat"], g["exp"], g["jti"] = now, now+120, fmt.Sprintf("bench-%d", i)
		if systemUser {
			g["authorization_details"] = []any{map[string]any{"type": SystemUserType, "systemuser_org": map[string]any{"authority": AuthorityISO6523, "ID": "0192:" + testCustomer}}}
		}
		bodies[i] = url.Values{"grant_type": {grantTypeJWTBearer}, "assertion": {mustSign(b, key, jose.RS256, key.KeyID, g)}}.Encode()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(bodies[i]))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
