package simulator

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func TestTokenPlainOK(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant()
	g["resource"] = "https://api.example.no/"
	// client_id beside the assertion must be ignored, even when it disagrees.
	r := e.postToken(t, url.Values{
		"grant_type": {grantTypeJWTBearer},
		"assertion":  {mustSign(t, e.key, jose.RS256, e.key.KeyID, g)},
		"client_id":  {"someone-else"},
	})
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %v", r.status, r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.header)
	}
	if r.body["token_type"] != "Bearer" || r.body["scope"] != testScope || r.body["expires_in"] != float64(120) {
		t.Errorf("body %v", r.body)
	}
	var c map[string]any
	claimsOf(t, e, r.body["access_token"].(string), &c)
	want := map[string]any{
		"iss": DefaultIssuer, "aud": "https://api.example.no/", "client_id": testClientID, "scope": testScope,
		"token_type": "Bearer", "client_amr": "private_key_jwt",
		"iat": float64(e.clock.Now().Unix()), "exp": float64(e.clock.Now().Unix() + 120),
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
	consumer, _ := c["consumer"].(map[string]any)
	if consumer["ID"] != "0192:"+testVendor || consumer["authority"] != AuthorityISO6523 {
		t.Errorf("consumer %v", c["consumer"])
	}
	if _, ok := c["authorization_details"]; ok {
		t.Error("plain token must not carry authorization_details")
	}
	if c["jti"] == "" {
		t.Error("jti missing")
	}
}

func TestTokenAudienceUnspecified(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, e.grant()))
	var c map[string]any
	claimsOf(t, e, r.body["access_token"].(string), &c)
	if c["aud"] != "unspecified" {
		t.Errorf("aud = %v", c["aud"])
	}
}

func TestTokenSystemUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		orgKey  string
		extRef  any
		wantRef string
	}{
		{"OK", "ID", nil, testCustomer},
		{"LowercaseID", "id", nil, testCustomer},
		{"ExternalRef", "ID", "customer-42", "customer-42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			q := SystemUserQuery{ClientID: testClientID, SystemProviderOrgNo: testVendor, SystemUserOwnerOrgNo: testCustomer, ExternalRef: tt.wantRef}
			e.lookup.users[q] = SystemUser{ID: "ebe4a681-0a8c-429e-a36f-8f9ca942b59f", SystemID: testVendor + "_smartcloud"}
			detail := map[string]any{"type": SystemUserType, "systemuser_org": map[string]any{"authority": AuthorityISO6523, tt.orgKey: "0192:" + testCustomer}}
			if tt.extRef != nil {
				detail["externalRef"] = tt.extRef
			}
			g := e.grant()
			g["authorization_details"] = []any{detail}
			r := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, g))
			if r.status != http.StatusOK {
				t.Fatalf("status %d, body %v", r.status, r.body)
			}
			var c MaskinportenClaims
			claimsOf(t, e, r.body["access_token"].(string), &c)
			want := []AuthorizationDetail{{Type: SystemUserType, SystemUserOrg: NewOrgID(testCustomer), SystemUserID: []string{"ebe4a681-0a8c-429e-a36f-8f9ca942b59f"}, SystemID: testVendor + "_smartcloud"}}
			got, _ := json.Marshal(c.AuthorizationDetails)
			wantJSON, _ := json.Marshal(want)
			if string(got) != string(wantJSON) {
				t.Errorf("authorization_details = %s, want %s", got, wantJSON)
			}
		})
	}
}

func TestTokenNoSystemUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant()
	g["authorization_details"] = []any{map[string]any{"type": SystemUserType, "systemuser_org": map[string]any{"authority": AuthorityISO6523, "ID": "0192:" + testCustomer}}}
	r := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, g))
	if r.status != http.StatusBadRequest || r.body["error"] != "invalid_altinn_customer_configuration" {
		t.Fatalf("status %d, body %v", r.status, r.body)
	}
	if d, _ := r.body["error_description"].(string); len(d) < 8 || d[len(d)-8:] != "(MP-303)" {
		t.Errorf("description %q does not end with (MP-303)", d)
	}
}

func TestTokenRejections(t *testing.T) {
	t.Parallel()
	other := testKeys()[1]
	publicDER := func(k jose.JSONWebKey) []byte {
		b, err := x509.MarshalPKIXPublicKey(k.Public().Key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b64 := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	type build func(e *env, g map[string]any) string
	sign := func(edit func(g map[string]any)) build {
		return func(e *env, g map[string]any) string {
			edit(g)
			return mustSign(t, e.key, jose.RS256, e.key.KeyID, g)
		}
	}
	tests := []struct {
		name      string
		assertion build
		form      url.Values // replaces the default form when set
		want      *OAuthError
	}{
		{"ErrBadSignature", func(e *env, g map[string]any) string { return mustSign(t, other, jose.RS256, e.key.KeyID, g) }, nil, ErrBadSignature},
		{"ErrUnknownKid", func(e *env, g map[string]any) string { return mustSign(t, e.key, jose.RS256, "nope", g) }, nil, ErrUnknownKid},
		{"ErrMissingKid", func(e *env, g map[string]any) string { return mustSign(t, e.key, jose.RS256, "", g) }, nil, ErrMissingKid},
		{"ErrAlgNone", func(e *env, g map[string]any) string {
			return b64(map[string]string{"alg": "none", "kid": e.key.KeyID}) + "." + b64(g) + "."
		}, nil, ErrAlgNotAllowed},
		{"ErrHS256WithPublicKey", func(e *env, g map[string]any) string {
			s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: publicDER(e.key)}, (&jose.SignerOptions{}).WithHeader("kid", e.key.KeyID))
			if err != nil {
				t.Fatal(err)
			}
			out, err := jwt.Signed(s).Claims(g).Serialize()
			if err != nil {
				t.Fatal(err)
			}
			return out
		}, nil, ErrAlgNotAllowed},
		{"ErrWrongAudience", sign(func(g map[string]any) { g["aud"] = "http://localhost:8090" }), nil, ErrWrongAudience},
		{"ErrExpired", sign(func(g map[string]any) { g["iat"] = g["iat"].(int64) - 100; g["exp"] = g["iat"].(int64) + 80 }), nil, ErrExpired},
		{"ErrLifetimeTooLong", sign(func(g map[string]any) { g["exp"] = g["iat"].(int64) + 121 }), nil, ErrLifetimeTooLong},
		{"ErrIssuedInFuture", sign(func(g map[string]any) { g["iat"] = g["iat"].(int64) + 30; g["exp"] = g["iat"].(int64) + 60 }), nil, ErrIssuedInFuture},
		{"ErrNotYetValid", sign(func(g map[string]any) { g["nbf"] = g["iat"].(int64) + 30 }), nil, ErrNotYetValid},
		{"ErrScopeNotAllowed", sign(func(g map[string]any) { g["scope"] = testScope + " altinn:other" }), nil, ErrScopeNotAllowed},
		{"ErrMissingScope", sign(func(g map[string]any) { delete(g, "scope") }), nil, ErrMissingScope},
		{"ErrUnknownClient", sign(func(g map[string]any) { g["iss"] = "unknown" }), nil, ErrUnknownClient},
		{"ErrSubjectMismatch", sign(func(g map[string]any) { g["sub"] = "someone" }), nil, ErrSubjectMismatch},
		{"ErrMissingExp", sign(func(g map[string]any) { delete(g, "exp") }), nil, ErrMissingExp},
		{"ErrMissingIat", sign(func(g map[string]any) { delete(g, "iat") }), nil, ErrMissingIat},
		{"ErrIssuedTooLongAgo", sign(func(g map[string]any) { g["iat"] = g["iat"].(int64) - 11; g["exp"] = g["iat"].(int64) + 120 }), nil, ErrIssuedTooLongAgo},
		{"ErrMalformedAssertion", func(*env, map[string]any) string { return "not-a-jwt" }, nil, ErrMalformedAssertion},
		{"ErrMalformedClaims", sign(func(g map[string]any) { g["scope"] = 42 }), nil, ErrMalformedAssertion},
		{"ErrTwoParties", sign(func(g map[string]any) {
			d := map[string]any{"type": SystemUserType, "systemuser_org": map[string]any{"ID": "0192:" + testCustomer}}
			g["authorization_details"] = []any{d, d}
		}), nil, ErrBadAuthzDetails},
		{"ErrBadOrgID", sign(func(g map[string]any) {
			g["authorization_details"] = []any{map[string]any{"type": SystemUserType, "systemuser_org": map[string]any{"ID": "9908:" + testCustomer}}}
		}), nil, ErrBadAuthzDetails},
		{"ErrUnsupportedGrantType", nil, url.Values{"grant_type": {"client_credentials"}}, ErrUnsupportedGrantType},
		{"ErrNoAssertion", nil, url.Values{"grant_type": {grantTypeJWTBearer}}, ErrMalformedRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			form := tt.form
			if form == nil {
				form = url.Values{"grant_type": {grantTypeJWTBearer}, "assertion": {tt.assertion(e, e.grant())}}
			}
			r := e.postToken(t, form)
			if r.status != tt.want.Status || r.body["error"] != tt.want.Code || r.body["error_description"] != tt.want.Description {
				t.Errorf("got %d %v, want %d %s %q", r.status, r.body, tt.want.Status, tt.want.Code, tt.want.Description)
			}
			if got := r.header.Get(ReasonHeader); got != tt.want.ID {
				t.Errorf("reason %q, want %q", got, tt.want.ID)
			}
			if r.header.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", r.header.Get("Content-Type"))
			}
		})
	}
}

func TestTokenReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := mustSign(t, e.key, jose.RS256, e.key.KeyID, e.grant())
	if r := e.exchange(t, a); r.status != http.StatusOK {
		t.Fatalf("first use: %d %v", r.status, r.body)
	}
	r := e.exchange(t, a)
	if r.status != http.StatusBadRequest || r.body["error_description"] != descReplayed {
		t.Fatalf("second use: %d %v", r.status, r.body)
	}
}

// A rejected assertion must not burn its jti: the same jti in a corrected
// assertion is still accepted.
func TestTokenRejectedDoesNotBurnJti(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.grant()
	g["scope"] = "not-allowed"
	if r := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, g)); r.status != http.StatusBadRequest {
		t.Fatalf("bad scope accepted: %v", r.body)
	}
	g["scope"] = testScope
	if r := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, g)); r.status != http.StatusOK {
		t.Fatalf("status %d %v", r.status, r.body)
	}
}

func TestTokenLeewayAndES256Client(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ec, err := GenerateKey(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.clients.ReplaceKeys(t.Context(), testClientID, []jose.JSONWebKey{ec}); err != nil {
		t.Fatal(err)
	}
	g := e.grant()
	// 5 s in the future is inside the 10 s leeway.
	g["iat"] = e.clock.Now().Add(5 * time.Second).Unix()
	if r := e.exchange(t, mustSign(t, ec, jose.ES256, ec.KeyID, g)); r.status != http.StatusOK {
		t.Fatalf("status %d %v", r.status, r.body)
	}
}
