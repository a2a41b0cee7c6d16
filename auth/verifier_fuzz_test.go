package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// fuzzKid is the kid of the ES256 key the claims fuzzer signs with: ES256
// signs in microseconds where RSA takes a millisecond per execution.
const fuzzKid = "fuzz-es256"

const testIssuer = "http://simulator.test/"

// verifierRig is a Verifier trusting testIssuer, whose JWKS holds a
// simulator key set (RS256) and an ES256 key the test can sign with.
type verifierRig struct {
	verifier *auth.Verifier
	issuer   *simulator.Issuer
	jwks     jose.JSONWebKeySet
	es       *ecdsa.PrivateKey
	rsaPub   *rsa.PublicKey
	now      time.Time
	keys     *simulator.KeySet
	clock    func() time.Time
}

func newVerifierRig(tb testing.TB) *verifierRig {
	tb.Helper()
	keys, err := simulator.NewKeySet(simulator.KeyOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	esKey, err := simulator.GenerateKey(jose.ES256, nil)
	if err != nil {
		tb.Fatal(err)
	}
	esKey.KeyID = fuzzKid
	set := keys.PublicJWKS()
	set.Keys = append(set.Keys, esKey.Public())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(set)
	}))
	tb.Cleanup(srv.Close)
	// A fixed clock: seeds with literal exp/iat stay valid forever.
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	return &verifierRig{
		verifier: auth.NewVerifier([]auth.TrustedIssuer{{Issuer: testIssuer, JWKSURL: srv.URL}}, nil, clock, nil),
		issuer:   simulator.NewIssuer(keys, simulator.IssuerOptions{Issuer: testIssuer, Now: clock}),
		jwks:     set,
		es:       esKey.Key.(*ecdsa.PrivateKey),
		rsaPub:   set.Keys[0].Key.(*rsa.PublicKey),
		now:      now,
		keys:     keys,
		clock:    clock,
	}
}

// signES signs arbitrary header and payload bytes, so tests control every
// byte of both (duplicate keys, odd types, injected headers).
func (r *verifierRig) signES(tb testing.TB, header, payload []byte) string {
	tb.Helper()
	input := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(input))
	x, y, err := ecdsa.Sign(rand.Reader, r.es, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	sig := make([]byte, 64)
	x.FillBytes(sig[:32])
	y.FillBytes(sig[32:])
	return input + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// genuinelyValid is the oracle: an independent go-jose check that raw is a
// compact JWS signed by a key of the JWKS, from the trusted issuer, with
// exp and iat present and exp not past.
func (r *verifierRig) genuinelyValid(raw string) bool {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil || len(tok.Headers) != 1 {
		return false
	}
	keys := r.jwks.Key(tok.Headers[0].KeyID)
	if len(keys) == 0 {
		return false
	}
	var c jwt.Claims
	if tok.Claims(keys[0].Key, &c) != nil || c.Expiry == nil || c.IssuedAt == nil || c.Issuer != testIssuer {
		return false
	}
	return r.now.Before(c.Expiry.Time().Add(time.Minute))
}

func (r *verifierRig) tokens(tb testing.TB) (vendor, person, systemUser string) {
	tb.Helper()
	ctx := context.Background()
	v, err := r.issuer.IssueMaskinporten(ctx, simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: "991825827", Scopes: []string{"a:b"}})
	if err != nil {
		tb.Fatal(err)
	}
	p, err := r.issuer.IssuePerson(ctx, simulator.Person{PID: "02056260016", Name: "Kari"})
	if err != nil {
		tb.Fatal(err)
	}
	su, err := r.issuer.IssueMaskinporten(ctx, simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: "991825827", Scopes: []string{"a:b"},
		SystemUser: &simulator.SystemUserGrant{OwnerOrg: "313775429", SystemUserID: "0c5c58ad-4fc1-4ef9-9c72-4a3376a0c3d0", SystemID: "991825827_s"}})
	if err != nil {
		tb.Fatal(err)
	}
	return v.AccessToken, p.AccessToken, su.AccessToken
}

// nastyTokens are forgeries and malformed tokens built from a valid one.
func (r *verifierRig) nastyTokens(tb testing.TB, valid string) []string {
	tb.Helper()
	parts := strings.Split(valid, ".")
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	_ = json.Unmarshal(hdr, &h)
	withHeader := func(k string, v any) string {
		m := map[string]any{}
		for hk, hv := range h {
			m[hk] = hv
		}
		m[k] = v
		raw, _ := json.Marshal(m)
		return b64(raw) + "." + parts[1] + "." + parts[2]
	}
	attacker, _ := simulator.GenerateKey(jose.RS256, nil)
	embedded := func() string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: attacker}, &jose.SignerOptions{EmbedJWK: true})
		if err != nil {
			tb.Fatal(err)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		jws, err := s.Sign(payload)
		if err != nil {
			tb.Fatal(err)
		}
		out, _ := jws.CompactSerialize()
		return out
	}()
	hmacKey := r.rsaPub.N.Bytes()
	hs, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: hmacKey}, (&jose.SignerOptions{}).WithHeader("kid", h["kid"]))
	if err != nil {
		tb.Fatal(err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	hsJWS, _ := hs.Sign(payload)
	hsTok, _ := hsJWS.CompactSerialize()
	none := b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	return []string{
		none,
		strings.Replace(none, "none", "None", 1),
		hsTok,
		embedded,
		withHeader("alg", "RS512"),
		withHeader("alg", "PS256"),
		withHeader("kid", "../../etc/passwd"),
		withHeader("kid", ""),
		withHeader("jku", "http://127.0.0.1:1/jwks"),
		withHeader("x5u", "http://127.0.0.1:1/cert"),
		withHeader("crit", []string{"exp"}),
		withHeader("b64", false),
		parts[0] + "." + b64([]byte(`{"iss":"`+testIssuer+`","exp":9999999999,"iat":1,"scope":"altinn:authentication/systemregister.admin","consumer":{"ID":"0192:991825827"}}`)) + "." + parts[2],
		parts[0] + "." + parts[1] + ".",
		parts[0] + "." + parts[1],
		parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[2],
		parts[0] + ".." + parts[2],
		strings.ToUpper(valid),
		valid + " ",
		" " + valid,
		valid + "\x00",
		`{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`,
		`{"payload":"` + parts[1] + `","signatures":[{"protected":"` + parts[0] + `","signature":"` + parts[2] + `"},{"protected":"` + parts[0] + `","signature":"` + parts[2] + `"}]}`,
		"", ".", "..", "...", "a.b.c", "eyJ.eyJ.eyJ", "\xff\xfe.\xff.\xff", strings.Repeat("A", 1<<16),
	}
}

// FuzzVerifier feeds arbitrary strings to Verifier.Verify: the answer is the
// claims of a genuinely valid token or an Unauthenticated error, never a
// panic.
func FuzzVerifier(f *testing.F) {
	r := newVerifierRig(f)
	vendor, person, su := r.tokens(f)
	for _, s := range append([]string{vendor, person, su}, r.nastyTokens(f, vendor)...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		claims, err := r.verifier.Verify(context.Background(), raw)
		valid := r.genuinelyValid(raw)
		if err != nil {
			if claims != nil {
				t.Fatal("claims returned with an error")
			}
			if ae := (*auth.Error)(nil); !errors.As(err, &ae) {
				t.Fatalf("error %v is no *auth.Error", err)
			}
			return
		}
		if !valid {
			t.Fatalf("accepted a token the independent check rejects: %q", raw)
		}
		if claims == nil || claims.Issuer != testIssuer || !r.now.Before(claims.Expiry.Add(time.Minute)) {
			t.Fatalf("claims %+v", claims)
		}
	})
}

// FuzzVerifierSignedClaims signs arbitrary headers and payloads with a
// trusted key: whatever the issuer's key signs, the Verifier must not panic,
// must reject tokens without exp or iat, expired ones and other issuers', and
// must never derive an organisation that is not nine digits.
func FuzzVerifierSignedClaims(f *testing.F) {
	r := newVerifierRig(f)
	hdr := `{"alg":"ES256","kid":"` + fuzzKid + `","typ":"JWT"}`
	const now, iss = "1800000000", `"iss":"` + testIssuer + `"`
	for _, s := range []struct{ header, payload string }{
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"scope":"a b","client_id":"c","consumer":{"authority":"iso6523-actorid-upis","ID":"0192:991825827"}}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"pid":"02056260016","name":"Kari"}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"consumer":{"ID":"0192:991825827"},"authorization_details":[{"type":"urn:altinn:systemuser","systemuser_id":["x"],"systemuser_org":{"ID":"0192:313775429"},"system_id":"s"}]}`},
		{hdr, `{` + iss + `,"iat":` + now + `,"consumer":{"ID":"0192:991825827"}}`},
		{hdr, `{` + iss + `,"exp":1800000060,"consumer":{"ID":"0192:991825827"}}`},
		{hdr, `{` + iss + `,"exp":1700000000,"iat":1699999990}`},
		{hdr, `{"iss":"http://evil.test/","exp":1800000060,"iat":` + now + `}`},
		{hdr, `{"iss":"http://evil.test/",` + iss + `,"exp":1800000060,"iat":` + now + `}`},
		{hdr, `{` + iss + `,"exp":"1800000060","iat":` + now + `}`},
		{hdr, `{` + iss + `,"exp":1e308,"iat":-1e308}`},
		{hdr, `{` + iss + `,"exp":9223372036854775807,"iat":-9223372036854775808}`},
		{hdr, `{` + iss + `,"exp":1800000060.5,"iat":1800000000.5,"EXP":1}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"consumer":"0192:991825827"}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"consumer":{"ID":"0192:99182582"}}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"consumer":{"ID":7,"id":"0192:991825827"}}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"consumer":null}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"authorization_details":{"type":"urn:altinn:systemuser"}}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"authorization_details":[{"type":"urn:altinn:systemuser","systemuser_id":"x"}]}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"authorization_details":[null,7,"x",[]]}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"scope":["a","b"]}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"aud":{"x":1}}`},
		{hdr, `{` + iss + `,"exp":1800000060,"iat":` + now + `,"nbf":1900000000}`},
		{hdr, `[` + iss + `]`},
		{hdr, `null`},
		{hdr, strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000)},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","crit":["exp"],"exp":1}`, `{` + iss + `,"exp":1800000060,"iat":` + now + `}`},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","jku":"http://127.0.0.1:1/","x5u":"http://127.0.0.1:1/","jwk":{"kty":"oct","k":"AA"}}`, `{` + iss + `,"exp":1800000060,"iat":` + now + `}`},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","alg":"none"}`, `{` + iss + `,"exp":1800000060,"iat":` + now + `}`},
		{`{"alg":"RS256","kid":"` + fuzzKid + `"}`, `{` + iss + `,"exp":1800000060,"iat":` + now + `}`},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","b64":false,"crit":["b64"]}`, `{` + iss + `,"exp":1800000060,"iat":` + now + `}`},
		{`{"alg":"ES256"}`, `{` + iss + `,"exp":1800000060,"iat":` + now + `}`},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","zip":"DEF"}`, `{` + iss + `,"exp":1800000060,"iat":` + now + `}`},
	} {
		f.Add([]byte(s.header), []byte(s.payload))
	}
	f.Fuzz(func(t *testing.T, header, payload []byte) {
		raw := r.signES(t, header, payload)
		claims, err := r.verifier.Verify(context.Background(), raw)
		if err != nil {
			if ae := (*auth.Error)(nil); !errors.As(err, &ae) {
				t.Fatalf("error %v is no *auth.Error", err)
			}
			return
		}
		var c struct {
			Iss string          `json:"iss"`
			Exp json.RawMessage `json:"exp"`
			Iat json.RawMessage `json:"iat"`
		}
		if json.Unmarshal(payload, &c) != nil || len(c.Exp) == 0 || len(c.Iat) == 0 || string(c.Exp) == "null" || string(c.Iat) == "null" {
			t.Fatalf("accepted a payload without exp or iat: %q", payload)
		}
		if claims.Issuer != testIssuer || c.Iss != testIssuer {
			t.Fatalf("accepted issuer %q (payload %q)", claims.Issuer, payload)
		}
		if !r.now.Before(claims.Expiry.Add(time.Minute)) {
			t.Fatalf("accepted an expired token: exp %v", claims.Expiry)
		}
		for _, org := range []string{claims.ConsumerOrg, claims.SystemUserOrg} {
			if org != "" && !nineDigits(org) {
				t.Fatalf("organisation %q from payload %q", org, payload)
			}
		}
		id := claims.Identity()
		if id == nil {
			t.Fatal("nil identity")
		}
	})
}

func nineDigits(s string) bool {
	if len(s) != 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// TestVerifierOrganisationIsNineDigits: an organisation in a token's
// consumer or systemuser_org is "0192:" and nine digits; anything else must
// not become a caller's organisation.
func TestVerifierOrganisationIsNineDigits(t *testing.T) {
	t.Parallel()
	r := newVerifierRig(t)
	hdr := []byte(`{"alg":"ES256","kid":"` + fuzzKid + `"}`)
	for _, tc := range []struct{ name, consumer string }{
		{"Letters", "0192:abcdefghi"},
		{"Spaces", "0192:99182582 "},
		{"Sign", "0192:-99182582"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := `{"iss":"` + testIssuer + `","exp":1800000060,"iat":1800000000,"consumer":{"ID":"` + tc.consumer + `"},` +
				`"authorization_details":[{"type":"urn:altinn:systemuser","systemuser_id":["x"],"systemuser_org":{"ID":"` + tc.consumer + `"}}]}`
			claims, err := r.verifier.Verify(context.Background(), r.signES(t, hdr, []byte(payload)))
			if err == nil {
				t.Fatalf("accepted: consumer org %q, system user org %q", claims.ConsumerOrg, claims.SystemUserOrg)
			}
			if ae := (*auth.Error)(nil); !errors.As(err, &ae) {
				t.Fatalf("error %v is no *auth.Error", err)
			}
		})
	}
}
