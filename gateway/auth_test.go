package gateway_test

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/simulator"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	mustExec(t, e.DB, &db.Organization{OrgNumber: "313775429", Name: "Kunde AS"},
		&db.Person{PID: "02056260016", Name: "Kari"}, &db.PersonRole{PID: "02056260016", OrgNumber: "313775429", Role: "DAGL"})
	ctx := context.Background()
	valid := e.VendorToken(t, "313775429", "a:b")

	otherKeys, _ := simulator.NewKeySet(simulator.KeyOptions{})
	unknownKid, _ := simulator.NewIssuer(otherKeys, simulator.IssuerOptions{Issuer: gatewaytest.Issuer}).
		IssueMaskinporten(ctx, simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: "313775429", Scopes: []string{"a"}})
	wrongIssuerTok := otherIssuer(t, "http://evil.test/")
	expired := issueAt(t, e, time.Now().Add(-time.Hour))

	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+gatewaytest.Issuer+`","consumer":{"ID":"0192:991825827"},"scope":"altinn:authentication/systemregister.admin","exp":9999999999,"iat":1}`)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."
	hs256 := hmacWithPublicKey(t, e, parts[1])

	for _, tc := range []struct {
		name, header string
		status       int
		kind         string
	}{
		{"no token is anonymous", "", 200, "ANONYMOUS"},
		{"vendor token", "Bearer " + valid, 200, "ORGANIZATION"},
		{"person token", "Bearer " + e.PersonToken(t, "02056260016"), 200, "PERSON"},
		{"scheme is case-insensitive", "bearer " + valid, 200, "ORGANIZATION"},
		{"ErrNotBearer", "Basic dXNlcjpwYXNz", 401, ""},
		{"ErrGarbage", "Bearer not-a-jwt", 401, ""},
		{"ErrUnknownKid", "Bearer " + unknownKid.AccessToken, 401, ""},
		{"ErrUntrustedIssuer", "Bearer " + wrongIssuerTok, 401, ""},
		{"ErrExpired", "Bearer " + expired, 401, ""},
		{"ErrTamperedPayload", "Bearer " + tampered, 401, ""},
		{"ErrAlgNone", "Bearer " + none, 401, ""},
		{"ErrHS256WithPublicKey", "Bearer " + hs256, 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.URL+"/graphql", strings.NewReader(`{"query":"{ viewer { kind administers { orgNumber } } }"}`))
			req.Header.Set("Content-Type", "application/json")
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := e.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 401 {
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("content type %q, want problem details", ct)
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Fatal("no WWW-Authenticate header")
				}
				return
			}
			var out struct {
				Data struct {
					Viewer struct {
						Kind        string
						Administers []struct{ OrgNumber string }
					}
				}
			}
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			if out.Data.Viewer.Kind != tc.kind {
				t.Fatalf("viewer kind %q, want %q", out.Data.Viewer.Kind, tc.kind)
			}
			if tc.kind == "PERSON" && (len(out.Data.Viewer.Administers) != 1 || out.Data.Viewer.Administers[0].OrgNumber != "313775429") {
				t.Fatalf("administers = %+v", out.Data.Viewer.Administers)
			}
		})
	}
}

// otherIssuer signs a token as an issuer the gateway does not trust.
func otherIssuer(t *testing.T, issuer string) string {
	t.Helper()
	ks, _ := simulator.NewKeySet(simulator.KeyOptions{})
	tok, err := simulator.NewIssuer(ks, simulator.IssuerOptions{Issuer: issuer}).
		IssueMaskinporten(context.Background(), simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: "313775429", Scopes: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// issueAt mints a token with the trusted key set as if it were now at.
func issueAt(t *testing.T, e *gatewaytest.Env, at time.Time) string {
	t.Helper()
	tok, err := simulator.NewIssuer(e.Keys, simulator.IssuerOptions{Issuer: gatewaytest.Issuer, Now: func() time.Time { return at }}).
		IssueMaskinporten(context.Background(), simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: "313775429", Scopes: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// hmacWithPublicKey is the classic algorithm-confusion attack: HS256 keyed
// with the bytes of the issuer's public RSA key.
func hmacWithPublicKey(t *testing.T, e *gatewaytest.Env, payload string) string {
	t.Helper()
	jwks := e.Keys.PublicJWKS()
	pub, ok := jwks.Keys[0].Key.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("key is %T", jwks.Keys[0].Key)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pub.N.Bytes()},
		(&jose.SignerOptions{}).WithHeader("kid", jwks.Keys[0].KeyID))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	jws, err := signer.Sign(raw)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
