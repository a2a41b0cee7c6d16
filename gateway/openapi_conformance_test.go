package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/systemuser-gateway/systemuser/gateway/rest"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
)

// TestRESTAnswersAsItsOpenAPISays drives every REST route with each kind of
// caller (none, a garbage token, a person, a vendor with no scope, a vendor
// with every scope) and unknown ids, and checks each answer with
// kin-openapi's response validator against the document the gateway
// serves: its status is documented, and its body is what the document
// says for that status (none, a problem, a schema). A client generated from
// the document then never meets an answer it was not told about.
func TestRESTAnswersAsItsOpenAPISays(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithPDP())
	resp, err := e.Client.Get(e.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("load the served document: %v", err)
	}
	tokens := map[string]string{
		"none":              "",
		"garbage":           "garbage.token.here",
		"person":            e.PersonToken(t, "02056260016"),
		"vendor, no scope":  e.VendorToken(t, "991825827", "test:no-such-scope"),
		"vendor, every one": e.VendorToken(t, "991825827", allScopes...),
	}
	checked := 0
	for _, rt := range rest.Routes() {
		item := doc.Paths.Find(rt.Path)
		if item == nil {
			t.Errorf("%s %s is not in the document", rt.Method, rt.Path)
			continue
		}
		op := item.GetOperation(rt.Method)
		if op == nil {
			t.Errorf("%s %s is not in the document", rt.Method, rt.Path)
			continue
		}
		path, params := withParams(rt.Path)
		for caller, tok := range tokens {
			var body io.Reader
			if rt.Method != http.MethodGet && rt.Method != http.MethodDelete {
				body = strings.NewReader("{}")
			}
			req, _ := http.NewRequestWithContext(t.Context(), rt.Method, e.URL+path, body)
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := e.Client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", rt.Method, path, err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// OpenAPI cannot say a body is optional: a policy refusal without
			// one (Altinn's bare 401 and 403) is checked for its status and
			// headers, every other answer for its body too.
			refusal := resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden
			opts := &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: refusal && len(raw) == 0}
			if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s as %s: 401 without a Bearer challenge (RFC 6750)", rt.Method, path, caller)
			}
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{
					Request:    req,
					PathParams: params,
					Route:      &routers.Route{Spec: doc, Path: rt.Path, PathItem: item, Method: rt.Method, Operation: op},
				},
				Status:  resp.StatusCode,
				Header:  resp.Header,
				Body:    io.NopCloser(bytes.NewReader(raw)),
				Options: opts,
			}
			if err := openapi3filter.ValidateResponse(t.Context(), in); err != nil {
				t.Errorf("%s %s as %s: %d %q %.200s: %v", rt.Method, path, caller, resp.StatusCode, resp.Header.Get("Content-Type"), raw, err)
			}
			checked++
		}
	}
	t.Logf("%d answers over %d routes checked against the document", checked, len(rest.Routes()))
}

var allScopes = []string{identity.ScopeSystemRegisterWrite, identity.ScopeSystemRegisterAdmin, identity.ScopeRequestWrite,
	identity.ScopeRequestRead, identity.ScopeSystemUserLookup, identity.ScopeAuthorize, identity.ScopeAuthorizeAdmin,
	identity.ScopeResourceWrite}

// withParams fills a path template's parameters with ids nothing has.
func withParams(tmpl string) (string, map[string]string) {
	params := map[string]string{}
	path := pathParam.ReplaceAllStringFunc(tmpl, func(p string) string {
		name := strings.Trim(p, "{}")
		v := "991825827_nosuch"
		if strings.Contains(strings.ToLower(name), "id") && !strings.EqualFold(name, "systemId") {
			v = "0195f7a2-7c4e-7b1e-9a55-1a2b3c4d5e6f"
		}
		params[name] = v
		return v
	})
	return path, params
}
