package simulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Conformance with the JWT-bearer grants common client libraries build, as
// bytes on the wire: the header and payload JSON below are what each library
// serialises (member order and spacing included), signed for real with
// RS256. Neither library adds a jti by default.
//
//   - authlib (Python), sign_jwt_bearer_assertion(key, issuer, audience,
//     subject, expires_at=iat+120, claims=..., header={"kid": kid}, alg=...):
//     header {"kid","alg","typ":"JWT"}; payload iss, aud, sub, iat, exp, then
//     the extra claims; compact JSON. AssertionSession posts grant_type,
//     assertion and its own scope form field.
//   - Nimbus JOSE+JWT (Java), new JWTClaimsSet.Builder().issuer().audience()
//     .issueTime().expirationTime().claim(...) signed under
//     JWSHeader.Builder(RS256).keyID().type(JWT): a single audience is a
//     string, times are whole seconds. Nimbus' TokenRequest with a ClientID
//     adds a client_id form field beside the assertion.

// signRS256 signs exactly these header and payload bytes.
func signRS256(t testing.TB, key *rsa.PrivateKey, header, payload string) string {
	t.Helper()
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func authlibAssertion(t testing.TB, e *env, iat int64, extra string) string {
	t.Helper()
	header := fmt.Sprintf(`{"kid":%q,"alg":"RS256","typ":"JWT"}`, e.key.KeyID)
	payload := fmt.Sprintf(`{"iss":%q,"aud":%q,"sub":%q,"iat":%d,"exp":%d,"scope":%q%s}`,
		testClientID, DefaultIssuer, testClientID, iat, iat+120, testScope, extra)
	return signRS256(t, e.key.Key.(*rsa.PrivateKey), header, payload)
}

func nimbusAssertion(t testing.TB, e *env, iat int64, extra string) string {
	t.Helper()
	header := fmt.Sprintf(`{"kid":%q,"typ":"JWT","alg":"RS256"}`, e.key.KeyID)
	payload := fmt.Sprintf(`{"aud":%q,"scope":%q,"iss":%q,"exp":%d,"iat":%d%s}`,
		DefaultIssuer, testScope, testClientID, iat+120, iat, extra)
	return signRS256(t, e.key.Key.(*rsa.PrivateKey), header, payload)
}

func TestConformanceJWTBearerClients(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		assertion func(testing.TB, *env, int64, string) string
		extra     string
		form      url.Values // added beside grant_type and assertion
		wantAud   any
	}{
		{"AuthlibNoJti", authlibAssertion, "", url.Values{"scope": {"not-the-granted-scope"}}, "unspecified"},
		{"AuthlibResourceArray", authlibAssertion, `,"resource":["https://api.example.no/"]`, nil, "https://api.example.no/"},
		{"NimbusNoJtiClientIDField", nimbusAssertion, "", url.Values{"client_id": {testClientID}}, "unspecified"},
		{"NimbusForeignClientIDField", nimbusAssertion, "", url.Values{"client_id": {"someone-else"}}, "unspecified"},
		{"NimbusResourceString", nimbusAssertion, `,"resource":"https://api.example.no/"`, nil, "https://api.example.no/"},
		{"NimbusTwoResources", nimbusAssertion, `,"resource":["https://a.example.no/","https://b.example.no/"]`, nil, []any{"https://a.example.no/", "https://b.example.no/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			a := tt.assertion(t, e, e.clock.Now().Unix(), tt.extra)
			form := url.Values{"grant_type": {grantTypeJWTBearer}, "assertion": {a}}
			for k, v := range tt.form {
				form[k] = v
			}
			r := e.postToken(t, form)
			if r.status != http.StatusOK {
				t.Fatalf("status %d %v", r.status, r.body)
			}
			if r.body["scope"] != testScope || r.body["token_type"] != "Bearer" {
				t.Errorf("body %v", r.body)
			}
			var c map[string]any
			claimsOf(t, e, r.body["access_token"].(string), &c)
			if fmt.Sprint(c["aud"]) != fmt.Sprint(tt.wantAud) || c["client_id"] != testClientID || c["client_amr"] != ClientAMRPrivateKey {
				t.Errorf("claims aud=%v client_id=%v client_amr=%v", c["aud"], c["client_id"], c["client_amr"])
			}
			// The same assertion again, seconds later: used before.
			e.clock.Add(2 * time.Second)
			r = e.postToken(t, form)
			if r.status != http.StatusBadRequest || r.body["error"] != "invalid_grant" || r.body["error_description"] != "Grant is used before" {
				t.Fatalf("replay: %d %v", r.status, r.body)
			}
		})
	}
}

// Without a jti the assertion itself is the grant's identity; re-encoding its
// signature segment (base64url's unused trailing bits) must not make it new.
func TestConformanceReplayReencodedSignature(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := authlibAssertion(t, e, e.clock.Now().Unix(), "")
	if r := e.exchange(t, a); r.status != http.StatusOK {
		t.Fatalf("first use: %d %v", r.status, r.body)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, a[len(a)-1])
	// A 256-byte RSA signature is 342 base64url characters; the last carries
	// 2 bits of signature and 4 unused ones.
	twin := a[:len(a)-1] + string(alphabet[last^1])
	if twin == a {
		t.Fatal("twin equals original")
	}
	r := e.exchange(t, twin)
	if r.status != http.StatusBadRequest || r.header.Get(ReasonHeader) != ErrReplayed.ID {
		t.Fatalf("re-encoded replay: %d %v %s", r.status, r.body, r.header.Get(ReasonHeader))
	}
}

func TestConformanceIssuedAtWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		skew time.Duration // iat relative to the server clock
		want *OAuthError   // nil: a token
	}{
		{"Now", 0, nil},
		{"NineSecondsBehind", -9 * time.Second, nil},
		{"NineSecondsAhead", 9 * time.Second, nil},
		{"ElevenSecondsBehind", -11 * time.Second, ErrIssuedTooLongAgo},
		{"ElevenSecondsAhead", 11 * time.Second, ErrIssuedInFuture},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			r := e.exchange(t, nimbusAssertion(t, e, e.clock.Now().Add(tt.skew).Unix(), ""))
			if tt.want == nil {
				if r.status != http.StatusOK {
					t.Fatalf("status %d %v", r.status, r.body)
				}
				return
			}
			if r.status != tt.want.Status || r.body["error"] != tt.want.Code || r.body["error_description"] != tt.want.Description || r.header.Get(ReasonHeader) != tt.want.ID {
				t.Fatalf("got %d %v %s, want %s", r.status, r.body, r.header.Get(ReasonHeader), tt.want.ID)
			}
		})
	}
}
