package simulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	fuzzClientID = "fuzz-client"
	fuzzKid      = "fuzz-kid"
	fuzzSUID     = "0c5c58ad-4fc1-4ef9-9c72-4a3376a0c3d0"
)

// fuzzRig is a simulator whose fuzz-client signs with ES256 (microseconds
// per assertion, where RSA takes a millisecond) and may act as one system
// user of testCustomer.
type fuzzRig struct {
	srv      *Server
	clock    *clock
	key      *ecdsa.PrivateKey
	stranger *ecdsa.PrivateKey // not registered anywhere
	jwks     jose.JSONWebKeySet
}

func newFuzzRig(tb testing.TB) *fuzzRig {
	tb.Helper()
	r := &fuzzRig{clock: newClock()}
	lookup := &fakeLookup{users: map[SystemUserQuery]SystemUser{
		{ClientID: fuzzClientID, SystemProviderOrgNo: testVendor, SystemUserOwnerOrgNo: testCustomer, ExternalRef: testCustomer}: {ID: fuzzSUID, SystemID: testVendor + "_fuzz"},
	}}
	srv, err := NewServer(Config{Issuer: DefaultIssuer, Keys: serverKeySets(), Now: r.clock.Now, Lookup: lookup})
	if err != nil {
		tb.Fatal(err)
	}
	k, err := GenerateKey(jose.ES256, nil)
	if err != nil {
		tb.Fatal(err)
	}
	k.KeyID = fuzzKid
	s, err := GenerateKey(jose.ES256, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.clients.Create(context.Background(), Client{ID: fuzzClientID, OrgNumber: testVendor, Name: "Fuzz",
		Scopes: []string{testScope, "altinn:authentication/systemuser.request.read"}, Keys: []jose.JSONWebKey{k.Public()}}); err != nil {
		tb.Fatal(err)
	}
	r.srv, r.key, r.stranger, r.jwks = srv, k.Key.(*ecdsa.PrivateKey), s.Key.(*ecdsa.PrivateKey), serverKeySets().PublicJWKS()
	return r
}

func fb64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// sign makes a compact JWS over exactly these header and payload bytes.
func (r *fuzzRig) sign(tb testing.TB, key *ecdsa.PrivateKey, header, payload []byte) string {
	tb.Helper()
	input := fb64(header) + "." + fb64(payload)
	sum := sha256.Sum256([]byte(input))
	x, y, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	sig := make([]byte, 64)
	x.FillBytes(sig[:32])
	y.FillBytes(sig[32:])
	return input + "." + fb64(sig)
}

// post sends a raw form body to /token in-process.
func (r *fuzzRig) post(body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	r.srv.ServeHTTP(w, req)
	return w
}

// checkAnswer holds for every token endpoint answer: 200 with a Bearer token,
// or 400 with Maskinporten's JSON error; never a 5xx. It returns the issued
// token's verified claims on 200.
func (r *fuzzRig) checkAnswer(t *testing.T, w *httptest.ResponseRecorder) *MaskinportenClaims {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d, content type %q", w.Code, ct)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d without Cache-Control: no-store", w.Code)
	}
	switch w.Code {
	case http.StatusBadRequest:
		var e map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatalf("error body not JSON: %s", w.Body)
		}
		code, _ := e["error"].(string)
		desc, _ := e["error_description"].(string)
		if code == "" || desc == "" || len(e) != 2 {
			t.Fatalf("error body %s", w.Body)
		}
		return nil
	case http.StatusOK:
		var ok tokenResponse
		if err := json.Unmarshal(w.Body.Bytes(), &ok); err != nil || ok.TokenType != "Bearer" || ok.AccessToken == "" {
			t.Fatalf("token body %s", w.Body)
		}
		tok, err := jwt.ParseSigned(ok.AccessToken, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		keys := r.jwks.Key(tok.Headers[0].KeyID)
		var c MaskinportenClaims
		if len(keys) != 1 || tok.Claims(keys[0].Key, &c) != nil {
			t.Fatalf("issued token does not verify against the JWKS")
		}
		return &c
	default:
		t.Fatalf("status %d: %s", w.Code, w.Body)
		return nil
	}
}

// assertionSeeds are a valid grant and mutations of its header and claims.
func assertionSeeds() [][2]string {
	const hdr = `{"alg":"ES256","kid":"` + fuzzKid + `","typ":"JWT"}`
	base := func(extra string) string {
		return `{"iss":"` + fuzzClientID + `","aud":"` + DefaultIssuer + `","iat":1800000000,"exp":1800000060,"scope":"` + testScope + `"` + extra + `}`
	}
	jti := func(n string) string { return `,"jti":"seed-` + n + `"` }
	su := func(n, detail string) string { return base(jti(n) + `,"authorization_details":` + detail) }
	return [][2]string{
		{hdr, base(jti("ok"))},
		{hdr, su("su", `[{"type":"urn:altinn:systemuser","systemuser_org":{"authority":"iso6523-actorid-upis","ID":"0192:`+testCustomer+`"}}]`)},
		{hdr, su("su-lower", `[{"type":"urn:altinn:systemuser","systemuser_org":{"id":"0192:`+testCustomer+`"}}]`)},
		{hdr, su("su-ref", `[{"type":"urn:altinn:systemuser","systemuser_org":{"ID":"0192:`+testCustomer+`"},"externalRef":"other"}]`)},
		{hdr, su("su-bad-org", `[{"type":"urn:altinn:systemuser","systemuser_org":{"ID":"0192:31377542x"}}]`)},
		{hdr, su("su-authority", `[{"type":"urn:altinn:systemuser","systemuser_org":{"authority":"x","ID":"0192:`+testCustomer+`"}}]`)},
		{hdr, su("su-two", `[{"type":"urn:altinn:systemuser","systemuser_org":{"ID":"0192:`+testCustomer+`"}},{"type":"urn:altinn:systemuser","systemuser_org":{"ID":"0192:`+testVendor+`"}}]`)},
		{hdr, su("su-object", `{"type":"urn:altinn:systemuser"}`)},
		{hdr, su("su-null", `null`)},
		{hdr, su("su-nested", `[`+strings.Repeat(`[`, 3000)+strings.Repeat(`]`, 3000)+`]`)},
		{hdr, su("su-type", `[{"type":7,"systemuser_org":{"ID":"0192:`+testCustomer+`"}}]`)},
		{hdr, su("su-dupe", `[{"type":"urn:altinn:consent","type":"urn:altinn:systemuser","systemuser_org":{"ID":"0192:`+testCustomer+`"}}]`)},
		{`{"alg":"none","kid":"` + fuzzKid + `"}`, base(jti("none"))},
		{`{"alg":"HS256","kid":"` + fuzzKid + `"}`, base(jti("hs"))},
		{`{"alg":"RS256","kid":"` + fuzzKid + `"}`, base(jti("rs"))},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","alg":"none"}`, base(jti("dupalg"))},
		{`{"alg":"ES256"}`, base(jti("nokid"))},
		{`{"alg":"ES256","kid":"other"}`, base(jti("otherkid"))},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","crit":["exp"]}`, base(jti("crit"))},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","jku":"http://127.0.0.1:1/jwks","x5u":"http://127.0.0.1:1/x"}`, base(jti("jku"))},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}}`, base(jti("jwk"))},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","b64":false,"crit":["b64"]}`, base(jti("b64"))},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","zip":"DEF"}`, base(jti("zip"))},
		{`{"alg":"ES256","x5c":["AAAA"]}`, base(jti("x5c-garbage"))},
		{`{"alg":"ES256","x5c":"not-a-list"}`, base(jti("x5c-string"))},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","x5c":[]}`, base(jti("x5c-empty"))},
		{`{"alg":"ES256","kid":"` + fuzzKid + `","typ":7}`, base(jti("typ"))},
		{hdr, base(``)},
		{hdr, strings.Replace(base(jti("noexp")), `"exp":1800000060,`, ``, 1)},
		{hdr, strings.Replace(base(jti("noiat")), `"iat":1800000000,`, ``, 1)},
		{hdr, strings.Replace(base(jti("long")), `1800000060`, `1800000600`, 1)},
		{hdr, strings.Replace(base(jti("huge")), `1800000060`, `1e308`, 1)},
		{hdr, strings.Replace(base(jti("neg")), `1800000000`, `-9223372036854775808`, 1)},
		{hdr, strings.Replace(base(jti("strexp")), `1800000060`, `"1800000060"`, 1)},
		{hdr, strings.Replace(base(jti("frac")), `1800000060`, `1800000060.999999`, 1)},
		{hdr, base(jti("aud-list") + `,"aud":["x","` + DefaultIssuer + `"]`)},
		{hdr, base(jti("sub") + `,"sub":"someone-else"`)},
		{hdr, base(jti("scope-x") + `,"scope":"` + testScope + ` ` + AdminScope + `"`)},
		{hdr, base(jti("scope-arr") + `,"scope":["` + testScope + `"]`)},
		{hdr, base(jti("iss-dupe") + `,"iss":"` + testClientID + `"`)},
		{hdr, base(jti("resource") + `,"resource":["https://a.example/","https://b.example/"]`)},
		{hdr, base(jti("resource-obj") + `,"resource":{"a":1}`)},
		{hdr, base(`,"jti":7`)},
		{hdr, `null`},
		{hdr, `[]`},
		{hdr, `"` + fuzzClientID + `"`},
	}
}

// FuzzTokenAssertion signs arbitrary header and claims bytes: only a grant
// that is valid in every respect gets a token, and that token names the
// signing client, its organisation, scopes it holds and the system user the
// lookup knows; everything else is a 400 in Maskinporten's error shape.
func FuzzTokenAssertion(f *testing.F) {
	r := newFuzzRig(f)
	for _, s := range assertionSeeds() {
		for mode := range uint8(3) {
			f.Add([]byte(s[0]), []byte(s[1]), mode)
		}
	}
	f.Fuzz(func(t *testing.T, header, payload []byte, mode uint8) {
		var assertion string
		switch mode % 3 {
		case 0:
			assertion = r.sign(t, r.key, header, payload)
		case 1:
			assertion = r.sign(t, r.stranger, header, payload)
		default:
			assertion = fb64(header) + "." + fb64(payload) + "."
		}
		w := r.post(url.Values{"grant_type": {grantTypeJWTBearer}, "assertion": {assertion}}.Encode())
		c := r.checkAnswer(t, w)
		if c == nil {
			return
		}
		var h struct {
			Alg string `json:"alg"`
		}
		if mode%3 != 0 || json.Unmarshal(header, &h) != nil || h.Alg != "ES256" {
			t.Fatalf("token for an assertion not validly signed (mode %d, header %q)", mode%3, header)
		}
		if c.ClientID != fuzzClientID || c.Consumer.OrgNumber() != testVendor {
			t.Fatalf("token for client %q consumer %+v", c.ClientID, c.Consumer)
		}
		for _, s := range strings.Fields(c.Scope) {
			if s != testScope && s != "altinn:authentication/systemuser.request.read" {
				t.Fatalf("token scope %q the client does not hold", s)
			}
		}
		for _, d := range c.AuthorizationDetails {
			if d.SystemUserOrg.OrgNumber() != testCustomer || !slices.Equal(d.SystemUserID, []string{fuzzSUID}) {
				t.Fatalf("system user detail %+v", d)
			}
		}
	})
}

// FuzzTokenForm posts arbitrary form bodies: never a 5xx, always JSON.
func FuzzTokenForm(f *testing.F) {
	r := newFuzzRig(f)
	valid := r.sign(f, r.key, []byte(`{"alg":"ES256","kid":"`+fuzzKid+`"}`),
		[]byte(`{"iss":"`+fuzzClientID+`","aud":"`+DefaultIssuer+`","iat":1800000000,"exp":1800000060,"jti":"form-ok","scope":"`+testScope+`"}`))
	for _, s := range []string{
		url.Values{"grant_type": {grantTypeJWTBearer}, "assertion": {valid}}.Encode(),
		url.Values{"grant_type": {grantTypeJWTBearer}, "assertion": {valid}, "client_id": {testClientID}}.Encode(),
		"grant_type=" + url.QueryEscape(grantTypeJWTBearer) + "&assertion=" + valid + "&assertion=x",
		"grant_type=client_credentials&assertion=" + valid,
		"grant_type=" + url.QueryEscape(grantTypeJWTBearer),
		"grant_type=" + url.QueryEscape(grantTypeJWTBearer) + "&assertion=",
		"grant_type=" + url.QueryEscape(grantTypeJWTBearer) + "&assertion=%zz",
		"grant_type=" + url.QueryEscape(grantTypeJWTBearer) + "&assertion=a.b.c",
		"grant_type=" + url.QueryEscape(grantTypeJWTBearer) + "&assertion=" + strings.Repeat("A", 70<<10),
		"", "&&&", "=", "%", ";", "grant_type", "\x00", `{"grant_type":"x"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := r.post(body)
		if c := r.checkAnswer(t, w); c != nil && c.ClientID != fuzzClientID {
			t.Fatalf("token for %q", c.ClientID)
		}
	})
}
