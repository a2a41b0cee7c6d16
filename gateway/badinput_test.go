package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/gateway/rest"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
)

// badRequest is one request of the walk; its answer must be a JSON error
// or success, never a 5xx.
type badRequest struct {
	method, path, contentType, token string
	body                             []byte
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// Every REST route, walked with bad parameters, bodies, content types and
// tokens: no answer is a 5xx, and every answer is JSON with a JSON content
// type (problem+json for errors).
func TestBadInputNeverFailsTheServer(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithPDP())
	vendor := e.VendorToken(t, "991825827", identity.ScopeSystemRegisterWrite, identity.ScopeRequestWrite,
		identity.ScopeRequestRead, identity.ScopeSystemUserLookup, identity.ScopeAuthorize, identity.ScopeSystemRegisterAdmin)
	person := e.PersonToken(t, "02056260016")
	tokens := []string{"", "garbage.token.here", vendor, person}
	params := []string{
		"991825827_sys", "0195f7a2-7c4e-7b1e-9a55-1a2b3c4d5e6f",
		"%00", "a%00b", "%ff%fe", "%c3%28", "..%2f..%2fetc", strings.Repeat("x", 2000), "%27%3B--", "null",
	}
	queries := []string{"", "?x=%00", "?correlation-id=%00&system-user-id=%ff", "?system-user-id=not-a-uuid&clientId=%00",
		"?externalRef=%ff&orgNo=1&systemId=%00", "?first=-1&after=%00", "?party=abc&facilitator=%ff"}
	bodies := [][]byte{
		nil, []byte("null"), []byte("[]"), []byte(`"x"`), []byte("{"), []byte("{}"), []byte(`{"id":"a\u0000b"}`),
		[]byte("{\"id\":\"\xff\xfe\"}"), []byte(`{"id":1e999}`), []byte(`{"rights":[{"resource":null}]}`),
		[]byte(`{"systemId":"991825827_sys","partyOrgNo":"\u0000","externalRef":"\u0000","rights":[]}`),
	}
	contentTypes := []string{"application/json", "text/plain", "", "application/x-www-form-urlencoded"}

	var reqs []badRequest
	for _, rt := range rest.Routes() {
		for i, p := range params {
			path := pathParam.ReplaceAllString(rt.Path, p) + queries[i%len(queries)]
			for _, tok := range tokens {
				reqs = append(reqs, badRequest{method: rt.Method, path: path, token: tok})
			}
		}
		if rt.Method == http.MethodGet {
			continue
		}
		path := pathParam.ReplaceAllString(rt.Path, params[0])
		for _, b := range bodies {
			for _, ct := range contentTypes {
				reqs = append(reqs, badRequest{method: rt.Method, path: path, contentType: ct, token: vendor, body: b})
			}
			reqs = append(reqs, badRequest{method: rt.Method, path: path, contentType: "application/json", token: person, body: b})
		}
	}
	// The mux's own answers, and GraphQL's transport.
	reqs = append(reqs, []badRequest{
		{method: "GET", path: "/no/such/route"}, {method: "DELETE", path: "/healthz"}, {method: "PATCH", path: "/authentication/api/v1/systemregister"},
		{method: "GET", path: "/authentication/api/v1/nope"}, {method: "PUT", path: "/graphql", body: []byte("{}"), contentType: "application/json"},
		{method: "POST", path: "/graphql", body: []byte("x"), contentType: "text/plain"},
		{method: "POST", path: "/graphql", body: []byte(`{"query":"{ organization(orgNumber: \"\u0000\") { name } }"}`), contentType: "application/json"},
		{method: "POST", path: "/graphql", body: []byte("{\"query\":\"\xff\"}"), contentType: "application/json"},
		{method: "GET", path: "/graphql?query=%00"},
		{method: "GET", path: "/accessmanagement/ui/systemuser/request?id=%00"},
	}...)

	statuses := map[int]int{}
	for _, br := range reqs {
		req, err := http.NewRequest(br.method, e.URL+br.path, strings.NewReader(string(br.body)))
		if err != nil {
			t.Fatalf("%s %s: %v", br.method, br.path, err)
		}
		if br.contentType != "" {
			req.Header.Set("Content-Type", br.contentType)
		}
		if br.token != "" {
			req.Header.Set("Authorization", "Bearer "+br.token)
		}
		resp, err := e.Client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", br.method, br.path, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		statuses[resp.StatusCode]++
		what := fmt.Sprintf("%s %.120s (content type %q, body %.60q, token %v)", br.method, br.path, br.contentType, br.body, br.token != "")
		if resp.StatusCode >= 500 {
			t.Errorf("%s: %d %s", what, resp.StatusCode, raw)
		}
		ct := resp.Header.Get("Content-Type")
		if (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) && len(raw) == 0 {
			// The route table's policy refuses the caller as Altinn does:
			// a bare 401 (with a Bearer challenge) or 403, no body.
			continue
		}
		if !strings.Contains(ct, "json") || !json.Valid(raw) {
			t.Errorf("%s: %d with content type %q, body %.200q; want JSON", what, resp.StatusCode, ct, raw)
		}
		if resp.StatusCode >= 400 && strings.HasPrefix(br.path, "/authentication/") && ct != "application/problem+json" {
			t.Errorf("%s: %d error as %q, want application/problem+json", what, resp.StatusCode, ct)
		}
	}
	t.Logf("%d requests over %d routes; statuses %v", len(reqs), len(rest.Routes()), statuses)
}
