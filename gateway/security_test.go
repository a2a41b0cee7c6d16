package gateway_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// The security suite runs its cases one after another on one world so that
// the before/after fingerprints of the state tables belong to one request.

const (
	secSR  = "/authentication/api/v1/systemregister"
	secReq = "/authentication/api/v1/systemuser/request/vendor"
	secSU  = "/authentication/api/v1/systemuser"
	secCR  = "/authentication/api/v1/systemuser/changerequest/vendor"
	secPDP = "/authorization/api/v1/authorize"
)

type httpAnswer struct {
	status int
	header http.Header
	body   []byte
}

// send makes a real loopback HTTP request; token "" sends none, and a token
// beginning with "raw:" is sent as the whole Authorization value.
func send(t *testing.T, e *gatewaytest.Env, method, path, token string, body []byte) httpAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if raw, ok := strings.CutPrefix(token, "raw:"); ok {
		req.Header.Set("Authorization", raw)
	} else if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpAnswer{status: resp.StatusCode, header: resp.Header, body: b}
}

// restCase is one REST request and the exact problem it must get; code ""
// means a 2xx without a problem body is expected, policyFailure a bare 401
// or 403 (Altinn's policies answer with no body).
// policyFailure as a restCase code: the route's policy refused the caller.
const policyFailure = "(policy: no body)"

type restCase struct {
	name, method, path, token, body string
	status                          int
	code                            string
}

// runREST asserts status, problem code and that no state table changed.
func runREST(t *testing.T, e *gatewaytest.Env, cases []restCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			before := snapshot(t, e.DB)
			a := send(t, e, c.method, c.path, c.token, body)
			if changed := changedTables(before, snapshot(t, e.DB)); len(changed) > 0 {
				t.Errorf("state changed: %v", changed)
			}
			if logged := e.Errors.Take(); len(logged) > 0 {
				t.Errorf("errors logged: %q", logged)
			}
			if a.status != c.status {
				t.Fatalf("status %d, want %d: %s", a.status, c.status, a.body)
			}
			if c.code == "" {
				return
			}
			if c.code == policyFailure {
				if len(a.body) != 0 {
					t.Fatalf("policy failure with a body: %s", a.body)
				}
				if a.status == http.StatusUnauthorized && a.header.Get("WWW-Authenticate") == "" {
					t.Fatal("401 without WWW-Authenticate")
				}
				return
			}
			if why := problemOK(a.status, a.header, a.body); why != "" {
				t.Fatal(why)
			}
			var p problemBody
			_ = json.Unmarshal(a.body, &p)
			if p.Code != c.code {
				t.Fatalf("code %s, want %s: %s", p.Code, c.code, a.body)
			}
		})
	}
}

// secRoute is a REST route with concrete path and a body that would succeed
// for the right caller.
type secRoute struct{ method, path, body string }

func secRoutes(w secWorld) []secRoute {
	newSystem := strings.NewReplacer("991825827_my-system", "991825827_sec-new", "f2a6f9c4-1111-4c1e-9c5e-7d9c1c0a0001", "f2a6f9c4-3333-4c1e-9c5e-7d9c1c0a0009").Replace(requestSystem)
	return []secRoute{
		{"GET", secSR, ""},
		{"GET", secSR + "/vendor", ""},
		{"POST", secSR + "/vendor", newSystem},
		{"GET", secSR + "/" + w.SystemID, ""},
		{"GET", secSR + "/vendor/" + w.SystemID, ""},
		{"GET", secSR + "/" + w.SystemID + "/rights", ""},
		{"GET", secSR + "/" + w.SystemID + "/accesspackages", ""},
		{"PUT", secSR + "/vendor/" + w.SystemID, requestSystem},
		{"PUT", secSR + "/vendor/" + w.SystemID + "/rights", `[]`},
		{"PUT", secSR + "/vendor/" + w.SystemID + "/accesspackages", `[]`},
		{"DELETE", secSR + "/vendor/" + w.SystemID, ""},
		{"POST", secReq, strings.Replace(requestSample, "customer-313775429", "sec-ref", 1)},
		{"POST", secReq + "/agent", `{"systemId":"` + w.SystemID + `","partyOrgNo":"` + customerOrg + `","externalRef":"sec-agent","accessPackages":[{"urn":"urn:altinn:accesspackage:skattnaering"}]}`},
		{"GET", secReq + "/" + w.RequestID, ""},
		{"GET", secReq + "/agent/" + w.AgentRequestID, ""},
		{"GET", secReq + "/byexternalref/" + w.SystemID + "/" + customerOrg + "/customer-313775429", ""},
		{"GET", secReq + "/agent/byexternalref/" + w.SystemID + "/" + customerOrg + "/" + customerOrg, ""},
		{"GET", secReq + "/bysystem/" + w.SystemID, ""},
		{"GET", secReq + "/agent/bysystem/" + w.SystemID, ""},
		{"DELETE", secReq + "/" + w.RequestID, ""},
		{"GET", secSU + "/byExternalId?clientId=f2a6f9c4-1111-4c1e-9c5e-7d9c1c0a0001&systemProviderOrgNo=" + vendorOrg + "&systemUserOwnerOrgNo=" + customerOrg + "&externalRef=approved-ref", ""},
		{"GET", secSU + "/vendor/bysystem/" + w.SystemID, ""},
		{"GET", secSU + "/vendor/byquery?system-id=" + w.SystemID + "&orgno=" + customerOrg + "&external-ref=approved-ref", ""},
		{"POST", secCR + "?correlation-id=6d1c8d8e-0000-4c1e-9c5e-7d9c1c0a0005&system-user-id=" + w.SystemUserID, `{"requiredRights":[{"resource":[{"id":"urn:altinn:resource","value":"ske-krav-og-betalinger"}]}]}`},
		{"GET", secCR + "/" + w.ChangeRequestID, ""},
		{"POST", secPDP, `{"Request":{}}`},
	}
}

// forgedTokens are tokens the gateway must refuse, with the code it must
// refuse them with.
func forgedTokens(t *testing.T, e *gatewaytest.Env) []struct{ name, token, code string } {
	t.Helper()
	ctx := context.Background()
	valid := e.VendorToken(t, vendorOrg, append(srWrite, reqWrite...)...)
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+gatewaytest.Issuer+`","consumer":{"ID":"0192:`+otherVendor+`"},"scope":"altinn:authentication/systemregister.admin","exp":9999999999,"iat":1}`)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	jwks := e.Keys.PublicJWKS()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: jwks.Keys[0].Key.(*rsa.PublicKey).N.Bytes()},
		(&jose.SignerOptions{}).WithHeader("kid", jwks.Keys[0].KeyID))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	jws, _ := signer.Sign(payload)
	hs256, _ := jws.CompactSerialize()
	expired, err := simulator.NewIssuer(e.Keys, simulator.IssuerOptions{Issuer: gatewaytest.Issuer, Now: func() time.Time { return time.Now().Add(-time.Hour) }}).
		IssueMaskinporten(ctx, simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: vendorOrg, Scopes: append(srWrite, reqWrite...)})
	if err != nil {
		t.Fatal(err)
	}
	future, err := simulator.NewIssuer(e.Keys, simulator.IssuerOptions{Issuer: gatewaytest.Issuer, Now: func() time.Time { return time.Now().Add(time.Hour) }}).
		IssueMaskinporten(ctx, simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: vendorOrg, Scopes: append(srWrite, reqWrite...)})
	if err != nil {
		t.Fatal(err)
	}
	otherKeys, _ := simulator.NewKeySet(simulator.KeyOptions{})
	evil, err := simulator.NewIssuer(otherKeys, simulator.IssuerOptions{Issuer: "http://evil.test/"}).
		IssueMaskinporten(ctx, simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: vendorOrg, Scopes: append(srWrite, reqWrite...)})
	if err != nil {
		t.Fatal(err)
	}
	// Right issuer name, wrong key (kid unknown to the JWKS).
	impostor, err := simulator.NewIssuer(otherKeys, simulator.IssuerOptions{Issuer: gatewaytest.Issuer}).
		IssueMaskinporten(ctx, simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: vendorOrg, Scopes: append(srWrite, reqWrite...)})
	if err != nil {
		t.Fatal(err)
	}
	return []struct{ name, token, code string }{
		{"AlgNone", none, "INVALID_TOKEN"},
		{"HS256WithRSAPublicKey", hs256, "INVALID_TOKEN"},
		{"TamperedPayload", tampered, "INVALID_TOKEN"},
		{"Expired", expired.AccessToken, "TOKEN_EXPIRED"},
		{"NotYetValid", future.AccessToken, "TOKEN_EXPIRED"},
		{"WrongIssuer", evil.AccessToken, "UNTRUSTED_ISSUER"},
		{"TrustedIssuerNameWrongKey", impostor.AccessToken, "INVALID_TOKEN"},
		{"Garbage", "not-a-jwt", "INVALID_TOKEN"},
		{"BasicScheme", "raw:Basic dXNlcjpwYXNz", "INVALID_TOKEN"},
	}
}

// TestSecurityForgedTokensOnEveryRoute: every REST route and /graphql
// refuse every forged, expired or foreign token with 401 and its code.
func TestSecurityForgedTokensOnEveryRoute(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithPDP())
	w := seedSecWorld(t, e)
	routes := append(secRoutes(w), secRoute{"POST", "/graphql", `{"query":"{ viewer { kind } }"}`})
	var cases []restCase
	for _, tok := range forgedTokens(t, e) {
		for _, rt := range routes {
			cases = append(cases, restCase{name: tok.name + "/" + rt.method + " " + rt.path, method: rt.method, path: rt.path,
				token: tok.token, body: rt.body, status: http.StatusUnauthorized, code: tok.code})
		}
	}
	runREST(t, e, cases)
}

// TestSecurityRESTForeignVendor: another vendor, holding every vendor scope,
// can neither read nor change vendorOrg's systems, requests, change requests
// or system users through any route (IDOR).
func TestSecurityRESTForeignVendor(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithPDP())
	w := seedSecWorld(t, e)
	other := e.VendorToken(t, otherVendor, append(append(srWrite, reqWrite...), identity.ScopeSystemRegisterWrite)...)
	otherBody := strings.NewReplacer("customer-313775429", "idor-ref").Replace(requestSample)
	// Another vendor's system in the System Register is Altinn's Forbid():
	// 403 without body (code "").
	runREST(t, e, []restCase{
		{"ReadSystemAsVendor", "GET", secSR + "/vendor/" + w.SystemID, other, "", 403, ""},
		{"ReplaceSystem", "PUT", secSR + "/vendor/" + w.SystemID, other, requestSystem, 403, ""},
		{"ReplaceRights", "PUT", secSR + "/vendor/" + w.SystemID + "/rights", other, `[]`, 403, ""},
		{"ReplacePackages", "PUT", secSR + "/vendor/" + w.SystemID + "/accesspackages", other, `[]`, 403, ""},
		{"DeleteSystem", "DELETE", secSR + "/vendor/" + w.SystemID, other, "", 403, ""},
		{"RegisterInVendorsName", "POST", secSR + "/vendor", other,
			strings.NewReplacer("991825827_my-system", "991825827_hijack", "f2a6f9c4-1111-4c1e-9c5e-7d9c1c0a0001", "f2a6f9c4-4444-4c1e-9c5e-7d9c1c0a0009").Replace(requestSystem), 403, ""},
		{"StealClientID", "POST", secSR + "/vendor", other,
			strings.NewReplacer("991825827_my-system", otherVendor+"_thief", "0192:991825827", "0192:"+otherVendor).Replace(requestSystem), 400, "STD-00000"},
		{"CreateRequestForForeignSystem", "POST", secReq, other, otherBody, 404, "AUTH-00011"},
		{"CreateAgentRequestForForeignSystem", "POST", secReq + "/agent", other,
			`{"systemId":"` + w.SystemID + `","partyOrgNo":"` + customerOrg + `","externalRef":"idor-agent","accessPackages":[{"urn":"urn:altinn:accesspackage:skattnaering"}]}`, 404, "AUTH-00011"},
		{"ReadRequest", "GET", secReq + "/" + w.RequestID, other, "", 404, "AUTH-00010"},
		{"ReadAgentRequest", "GET", secReq + "/agent/" + w.AgentRequestID, other, "", 404, "AUTH-00010"},
		{"ReadRequestByRef", "GET", secReq + "/byexternalref/" + w.SystemID + "/" + customerOrg + "/customer-313775429", other, "", 404, "AUTH-00010"},
		{"ReadAgentRequestByRef", "GET", secReq + "/agent/byexternalref/" + w.SystemID + "/" + customerOrg + "/" + customerOrg, other, "", 404, "AUTH-00010"},
		{"ListRequests", "GET", secReq + "/bysystem/" + w.SystemID, other, "", 404, "AUTH-00011"},
		{"ListAgentRequests", "GET", secReq + "/agent/bysystem/" + w.SystemID, other, "", 404, "AUTH-00011"},
		{"DeleteRequest", "DELETE", secReq + "/" + w.RequestID, other, "", 404, "AUTH-00010"},
		{"ListSystemUsers", "GET", secSU + "/vendor/bysystem/" + w.SystemID, other, "", 404, "AUTH-00011"},
		{"SystemUserByQuery", "GET", secSU + "/vendor/byquery?system-id=" + w.SystemID + "&orgno=" + customerOrg + "&external-ref=approved-ref", other, "", 404, "AUTH-00015"},
		{"CreateChangeRequest", "POST", secCR + "?correlation-id=6d1c8d8e-0000-4c1e-9c5e-7d9c1c0a0006&system-user-id=" + w.SystemUserID, other,
			`{"requiredRights":[{"resource":[{"id":"urn:altinn:resource","value":"ske-krav-og-betalinger"}]}]}`, 404, "AUTH-00015"},
		{"ReadChangeRequest", "GET", secCR + "/" + w.ChangeRequestID, other, "", 404, "AUTH-00010"},
		{"LookupWithoutMaskinportenScope", "GET", secSU + "/byExternalId?clientId=f2a6f9c4-1111-4c1e-9c5e-7d9c1c0a0001&systemProviderOrgNo=" + vendorOrg + "&systemUserOwnerOrgNo=" + customerOrg + "&externalRef=approved-ref", other, "", 403, policyFailure},
	})
}

// TestSecurityRESTScopes: the right vendor without the route's scope gets
// a bare 403 on every vendor route; a person, and a system-user token
// carrying only a resource scope, are refused the same way (token
// confusion).
func TestSecurityRESTScopes(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithPDP())
	w := seedSecWorld(t, e)
	noScope := e.VendorToken(t, vendorOrg, "ske:krav")
	srOnly := e.VendorToken(t, vendorOrg, srWrite...)
	reqOnly := e.VendorToken(t, vendorOrg, reqWrite...)
	person := e.PersonToken(t, adminPID)
	suTok := e.SystemUserToken(t, vendorOrg, customerOrg, w.SystemUserID, w.SystemID, "ske:krav")
	var cases []restCase
	for _, rt := range secRoutes(w) {
		public := rt.method == "GET" && (rt.path == secSR || (strings.HasPrefix(rt.path, secSR+"/") && !strings.HasPrefix(rt.path, secSR+"/vendor")))
		if public {
			continue
		}
		// Altinn: vendor/bysystem of system users needs systemregister.write.
		wrong := reqOnly
		if strings.HasPrefix(rt.path, secReq) || strings.HasPrefix(rt.path, secCR) || rt.path == secPDP ||
			strings.HasPrefix(rt.path, secSU) && !strings.HasPrefix(rt.path, secSU+"/vendor/bysystem") {
			wrong = srOnly
		}
		for _, c := range []struct{ name, token string }{{"NoScope", noScope}, {"OtherScope", wrong}, {"Person", person}, {"SystemUserToken", suTok}} {
			cases = append(cases, restCase{name: c.name + "/" + rt.method + " " + rt.path, method: rt.method, path: rt.path,
				token: c.token, body: rt.body, status: http.StatusForbidden, code: policyFailure})
		}
		cases = append(cases, restCase{name: "Anonymous/" + rt.method + " " + rt.path, method: rt.method, path: rt.path,
			body: rt.body, status: http.StatusUnauthorized, code: policyFailure})
	}
	runREST(t, e, cases)
}

// TestSecurityBodies: oversized and deeply nested bodies are refused with a
// 4xx problem (413 or 400), never a 5xx, and change nothing.
func TestSecurityBodies(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithPDP())
	w := seedSecWorld(t, e)
	all := e.VendorToken(t, vendorOrg, append(append(srWrite, reqWrite...), identity.ScopeAuthorize)...)
	huge := `{"id":"` + strings.Repeat("x", 1<<20+10) + `"}`
	nested := strings.Repeat(`{"a":`, 100_000) + `1` + strings.Repeat(`}`, 100_000)
	arrays := strings.Repeat(`[`, 100_000) + strings.Repeat(`]`, 100_000)
	for _, rt := range []secRoute{
		{"POST", secSR + "/vendor", ""},
		{"PUT", secSR + "/vendor/" + w.SystemID, ""},
		{"PUT", secSR + "/vendor/" + w.SystemID + "/rights", ""},
		{"POST", secReq, ""},
		{"POST", secReq + "/agent", ""},
		{"POST", secCR + "?correlation-id=6d1c8d8e-0000-4c1e-9c5e-7d9c1c0a0007&system-user-id=" + w.SystemUserID, ""},
	} {
		runREST(t, e, []restCase{
			{"Oversized/" + rt.method + " " + rt.path, rt.method, rt.path, all, huge, 400, "STD-00000"},
			{"NestedObjects/" + rt.method + " " + rt.path, rt.method, rt.path, all, nested, 400, "STD-00000"},
			{"NestedArrays/" + rt.method + " " + rt.path, rt.method, rt.path, all, arrays, 400, "STD-00000"},
		})
	}
	// The PDP answers 200 Indeterminate to any body it can read (Altinn's
	// behaviour); a body it cannot read is a 400.
	runREST(t, e, []restCase{
		{"Oversized/authorize", "POST", secPDP, all, huge, 400, "BODY_TOO_LARGE"},
		{"NestedObjects/authorize", "POST", secPDP, all, nested, 200, ""},
		{"NestedArrays/authorize", "POST", secPDP, all, arrays, 200, ""},
	})
	for _, c := range []struct{ name, body string }{
		{"Oversized", `{"query":"{ viewer { kind } }","variables":{"x":"` + strings.Repeat("x", 1<<20) + `"}}`},
		{"NestedVariables", `{"query":"mutation($in: SystemInput!) { registerSystem(input: $in) { systemId } }","variables":{"in":` + nested + `}}`},
		{"NestedSelection", `{"query":"` + strings.Repeat(`{ viewer `, 5000) + strings.Repeat(`}`, 5000) + `"}`},
	} {
		t.Run("GraphQL"+c.name, func(t *testing.T) {
			before := snapshot(t, e.DB)
			a := send(t, e, "POST", "/graphql", all, []byte(c.body))
			if changed := changedTables(before, snapshot(t, e.DB)); len(changed) > 0 {
				t.Errorf("state changed: %v", changed)
			}
			if a.status < 400 && a.status != 200 || a.status >= 500 {
				t.Fatalf("status %d: %.300s", a.status, a.body)
			}
			if logged := e.Errors.Take(); len(logged) > 0 {
				t.Errorf("errors logged: %q", logged)
			}
			var out gatewaytest.GraphQLResponse
			if err := json.Unmarshal(a.body, &out); err != nil || len(out.Errors) == 0 {
				t.Fatalf("status %d, want GraphQL errors: %.300s", a.status, a.body)
			}
		})
	}
}

// TestSecurityXACMLCaller: only an organisation holding an authorize scope
// may call the PDP; persons, system-user tokens and vendors without the scope
// are refused before the body is read.
func TestSecurityXACMLCaller(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithPDP())
	w := seedSecWorld(t, e)
	body := `{"Request":{"AccessSubject":[{"Attribute":[{"AttributeId":"urn:altinn:systemuser:uuid","Value":"` + w.SystemUserID + `"}]}],` +
		`"Action":[{"Attribute":[{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":"read"}]}],` +
		`"Resource":[{"Attribute":[{"AttributeId":"urn:altinn:resource","Value":"ske-krav-og-betalinger"},{"AttributeId":"urn:altinn:organization:identifier-no","Value":"` + customerOrg + `"}]}]}}`
	runREST(t, e, []restCase{
		{"Anonymous", "POST", secPDP, "", body, 401, policyFailure},
		{"Person", "POST", secPDP, e.PersonToken(t, adminPID), body, 403, policyFailure},
		{"VendorWithoutScope", "POST", secPDP, e.VendorToken(t, vendorOrg, append(srWrite, reqWrite...)...), body, 403, policyFailure},
		{"SystemUserTokenWithoutScope", "POST", secPDP, e.SystemUserToken(t, vendorOrg, customerOrg, w.SystemUserID, w.SystemID, "ske:krav"), body, 403, policyFailure},
		{"ScopeAsPrefix", "POST", secPDP, e.VendorToken(t, otherVendor, identity.ScopeAuthorize+"x"), body, 403, policyFailure},
		{"ServiceOwner", "POST", secPDP, e.VendorToken(t, otherVendor, identity.ScopeAuthorize), body, 200, ""},
	})
}

// gqlSecCase is one GraphQL operation; code is the exact extensions.code of
// the first error, or "" when data must equal want.
type gqlSecCase struct {
	name, token, query string
	vars               map[string]any
	code               string
	want               string
}

func runGraphQLSec(t *testing.T, e *gatewaytest.Env, cases []gqlSecCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": c.query, "variables": c.vars})
			before := snapshot(t, e.DB)
			a := send(t, e, "POST", "/graphql", c.token, body)
			if changed := changedTables(before, snapshot(t, e.DB)); len(changed) > 0 {
				t.Errorf("state changed: %v", changed)
			}
			if logged := e.Errors.Take(); len(logged) > 0 {
				t.Errorf("errors logged: %q", logged)
			}
			if a.status != http.StatusOK {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			var out gatewaytest.GraphQLResponse
			if err := json.Unmarshal(a.body, &out); err != nil {
				t.Fatal(err)
			}
			if c.code != "" {
				if len(out.Errors) == 0 {
					t.Fatalf("want %s, got data %s", c.code, out.Data)
				}
				if got := out.Errors[0].Extensions["code"]; got != c.code {
					t.Fatalf("code %v, want %s (%s)", got, c.code, out.Errors[0].Message)
				}
				return
			}
			if len(out.Errors) > 0 {
				t.Fatalf("errors %+v", out.Errors)
			}
			var got, want any
			_ = json.Unmarshal(out.Data, &got)
			if err := json.Unmarshal([]byte(c.want), &want); err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if !bytes.Equal(g, wj) {
				t.Fatalf("data %s, want %s", g, wj)
			}
		})
	}
}

// TestSecurityGraphQL: IDOR and token confusion through GraphQL. A person
// who does not administer the customer, and a vendor that does not own the
// system, can neither see nor change the customer's system user, requests
// and change requests; each mutation refuses the wrong kind of caller.
func TestSecurityGraphQL(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithPDP())
	w := seedSecWorld(t, e)
	all := append(append(append([]string{}, srWrite...), reqWrite...), identity.ScopeAuthorize)
	other := e.VendorToken(t, otherVendor, all...)
	vendor := e.VendorToken(t, vendorOrg, all...)
	admin := e.PersonToken(t, adminPID)
	stranger := e.PersonToken(t, strangerPID)
	suTok := e.SystemUserToken(t, vendorOrg, customerOrg, w.SystemUserID, w.SystemID, "ske:krav")

	var ids struct {
		SystemUser struct{ ID string } `json:"systemUser"`
		Request    struct{ ID string } `json:"request"`
	}
	idBody, _ := json.Marshal(map[string]any{"query": `query($s: ID!, $r: ID!) { systemUser(id: $s) { id } request(id: $r) { id } }`,
		"variables": map[string]any{"s": w.SystemUserID, "r": w.RequestID}})
	var idResp gatewaytest.GraphQLResponse
	_ = json.Unmarshal(send(t, e, "POST", "/graphql", admin, idBody).body, &idResp)
	if err := json.Unmarshal(idResp.Data, &ids); err != nil || ids.SystemUser.ID == "" || ids.Request.ID == "" {
		t.Fatalf("global ids: %s %+v", idResp.Data, idResp.Errors)
	}
	su := map[string]any{"id": w.SystemUserID}
	req := map[string]any{"id": w.RequestID}
	cr := map[string]any{"id": w.ChangeRequestID}
	sys := map[string]any{"id": w.SystemID}
	client := map[string]any{"in": map[string]any{"systemUserId": w.SystemUserID, "clientOrgNumber": otherVendor}}
	const (
		approve      = `mutation($id: ID!) { approveSystemUserRequest(id: $id) { id } }`
		reject       = `mutation($id: ID!) { rejectSystemUserRequest(id: $id) { id } }`
		approveCR    = `mutation($id: ID!) { approveChangeRequest(id: $id) { status } }`
		rejectCR     = `mutation($id: ID!) { rejectChangeRequest(id: $id) { status } }`
		deleteSU     = `mutation($id: ID!) { deleteSystemUser(id: $id) }`
		addClient    = `mutation($in: ClientInput!) { addClient(input: $in) { createdAt } }`
		removeClient = `mutation($in: ClientInput!) { removeClient(input: $in) }`
		deleteReq    = `mutation($id: ID!) { deleteSystemUserRequest(id: $id) }`
		deleteSys    = `mutation($id: ID!) { deleteSystem(id: $id) }`
		readAll      = `query($su: ID!, $req: ID!, $cr: ID!, $n: ID!) { systemUser(id: $su) { id } request(id: $req) { id } changeRequest(id: $cr) { id } node(id: $n) { id } }`
	)
	createSU := func(org string) string {
		return `mutation { createSystemUser(input: {systemId: "` + w.SystemID + `", ownerOrgNumber: "` + org + `"}) { id } }`
	}
	update := `mutation($id: ID!, $in: SystemInput!) { updateSystem(id: $id, input: $in) { systemId } }`
	updateVars := map[string]any{"id": w.SystemID, "in": map[string]any{"systemId": w.SystemID,
		"name": map[string]any{"nb": "x", "nn": "x", "en": "x"}, "description": map[string]any{"nb": "x", "nn": "x", "en": "x"}}}
	register := `mutation($in: SystemInput!) { registerSystem(input: $in) { systemId } }`
	registerVars := map[string]any{"in": map[string]any{"systemId": vendorOrg + "_hijack", "vendorOrgNumber": vendorOrg,
		"name": map[string]any{"nb": "x", "nn": "x", "en": "x"}, "description": map[string]any{"nb": "x", "nn": "x", "en": "x"}}}
	createReq := `mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) { created } }`
	createReqVars := map[string]any{"in": map[string]any{"systemId": w.SystemID, "partyOrgNumber": customerOrg, "externalRef": "gql-idor",
		"rights": []any{map[string]any{"resource": "ske-krav-og-betalinger"}}}}
	createCR := `mutation($in: CreateChangeRequestInput!) { createChangeRequest(input: $in) { created } }`
	createCRVars := map[string]any{"in": map[string]any{"correlationId": "6d1c8d8e-0000-4c1e-9c5e-7d9c1c0a0008", "systemUserId": w.SystemUserID,
		"requiredRights": []any{map[string]any{"resource": "ske-krav-og-betalinger", "action": "write"}}}}
	authorize := `mutation($id: ID!) { authorize(input: {systemUserId: $id, action: "read", resourceId: "ske-krav-og-betalinger", partyOrgNumber: "` + customerOrg + `"}) { result } }`
	readVars := map[string]any{"su": w.SystemUserID, "req": w.RequestID, "cr": w.ChangeRequestID, "n": ids.SystemUser.ID}
	hidden := `{"systemUser":null,"request":null,"changeRequest":null,"node":null}`

	runGraphQLSec(t, e, []gqlSecCase{
		// A person who administers nothing.
		{"StrangerApprovesRequest", stranger, approve, req, "REQUEST_NOT_FOUND", ""},
		{"StrangerRejectsRequest", stranger, reject, req, "REQUEST_NOT_FOUND", ""},
		{"StrangerApprovesChangeRequest", stranger, approveCR, cr, "CHANGE_REQUEST_NOT_FOUND", ""},
		{"StrangerRejectsChangeRequest", stranger, rejectCR, cr, "CHANGE_REQUEST_NOT_FOUND", ""},
		{"StrangerDeletesSystemUser", stranger, deleteSU, su, "SYSTEM_USER_NOT_FOUND", ""},
		{"StrangerAddsClient", stranger, addClient, client, "SYSTEM_USER_NOT_FOUND", ""},
		{"StrangerRemovesClient", stranger, removeClient, client, "SYSTEM_USER_NOT_FOUND", ""},
		{"StrangerCreatesSystemUser", stranger, createSU(customerOrg), nil, "NOT_ADMINISTRATOR", ""},
		{"StrangerReads", stranger, readAll, readVars, "", hidden},
		{"StrangerListsSystemUsers", stranger, `{ systemUsers(filter: {ownerOrgNumber: "` + customerOrg + `"}) { totalCount } }`, nil, "", `{"systemUsers":{"totalCount":0}}`},
		// The customer's administrator acting for an organisation it does not administer.
		{"AdminCreatesForOtherOrg", admin, createSU(otherVendor), nil, "NOT_ADMINISTRATOR", ""},
		// Another vendor.
		{"ForeignVendorUpdatesSystem", other, update, updateVars, "SYSTEM_NOT_FOUND", ""},
		{"ForeignVendorDeletesSystem", other, deleteSys, sys, "SYSTEM_NOT_FOUND", ""},
		{"ForeignVendorRegistersInVendorsName", other, register, registerVars, "NOT_SYSTEM_VENDOR", ""},
		{"ForeignVendorCreatesRequest", other, createReq, createReqVars, "SYSTEM_NOT_FOUND", ""},
		{"ForeignVendorDeletesRequest", other, deleteReq, req, "REQUEST_NOT_FOUND", ""},
		{"ForeignVendorCreatesChangeRequest", other, createCR, createCRVars, "SYSTEM_USER_NOT_FOUND", ""},
		{"ForeignVendorReads", other, readAll, readVars, "", hidden},
		{"ForeignVendorSeesNoSecrets", other, `query($id: ID!) { system(id: $id) { clientIds redirectUrls } }`, sys, "", `{"system":{"clientIds":null,"redirectUrls":null}}`},
		// Token confusion: each mutation refuses the wrong kind of caller.
		{"VendorApprovesRequest", vendor, approve, req, "PERSON_REQUIRED", ""},
		{"VendorDeletesSystemUser", vendor, deleteSU, su, "PERSON_REQUIRED", ""},
		{"VendorApprovesChangeRequest", vendor, approveCR, cr, "PERSON_REQUIRED", ""},
		{"PersonRegistersSystem", admin, register, registerVars, "MISSING_SCOPE", ""},
		{"PersonCreatesRequest", admin, createReq, createReqVars, "MISSING_SCOPE", ""},
		{"PersonDeletesRequest", admin, deleteReq, req, "MISSING_SCOPE", ""},
		{"PersonAuthorizes", admin, authorize, su, "MISSING_SCOPE", ""},
		{"SystemUserTokenRegistersSystem", suTok, register, registerVars, "MISSING_SCOPE", ""},
		{"SystemUserTokenApproves", suTok, approve, req, "PERSON_REQUIRED", ""},
		{"SystemUserTokenDeletesSystemUser", suTok, deleteSU, su, "PERSON_REQUIRED", ""},
		{"SystemUserTokenAuthorizes", suTok, authorize, su, "MISSING_SCOPE", ""},
		{"AnonymousApproves", "", approve, req, "UNAUTHENTICATED", ""},
		{"AnonymousDeletesSystem", "", deleteSys, sys, "UNAUTHENTICATED", ""},
		{"AnonymousReads", "", readAll, readVars, "UNAUTHENTICATED", ""},
	})
}
