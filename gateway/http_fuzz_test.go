package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
)

// FuzzAuthorizationHeader: any Authorization value is either anonymous (no
// value), a verified caller, or a 401 problem with WWW-Authenticate; never
// a 5xx.
func FuzzAuthorizationHeader(f *testing.F) {
	e := gatewaytest.New(f, gatewaytest.WithPDP())
	vendor := e.VendorToken(f, vendorOrg, "a:b")
	person := e.PersonToken(f, adminPID)
	for _, s := range []string{
		"", "Bearer " + vendor, "bearer " + person, "BEARER   " + vendor + "  ", "Bearer", "Bearer ", "Bearer  ",
		"Basic dXNlcjpwYXNz", "Bearer a b", "Bearer " + vendor + ", Bearer " + person, "Bearer " + vendor + " " + person,
		"Bearer " + vendor[:len(vendor)-3], "Bearer\t" + vendor, "Token " + vendor, vendor, "Bearer \x00", "Bearer \xff\xfe",
		"Bearer " + strings.Repeat("eyJ", 20000), "Bearer e30.e30.", "Bearer eyJhbGciOiJub25lIn0.e30.",
		"Negotiate " + vendor, " ", "\t",
	} {
		f.Add(s)
	}
	const query = `{"query":"{ viewer { kind } }"}`
	f.Fuzz(func(t *testing.T, authz string) {
		w := e.Serve("POST", "/graphql", authz, "application/json", strings.NewReader(query))
		switch w.Code {
		case http.StatusOK:
			var out struct {
				Data struct{ Viewer struct{ Kind string } }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("decode %s: %v", w.Body, err)
			}
			if (authz == "") != (out.Data.Viewer.Kind == "ANONYMOUS") {
				t.Fatalf("header %q gave viewer %q", authz, out.Data.Viewer.Kind)
			}
		case http.StatusUnauthorized:
			if why := problemOK(w.Code, w.Header(), w.Body.Bytes()); why != "" {
				t.Fatal(why)
			}
			if w.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		default:
			t.Fatalf("status %d for %q: %s", w.Code, authz, w.Body)
		}
		if logged := e.Errors.Take(); len(logged) > 0 {
			t.Fatalf("errors logged: %q", logged)
		}
	})
}

// graphqlSeeds are real operations of the schema plus known-nasty documents.
func graphqlSeeds(w secWorld) [][2]string {
	sysIn := `{"in":{"systemId":"991825827_fuzz","name":{"nb":"a","nn":"a","en":"a"},"description":{"nb":"a","nn":"a","en":"a"},"rights":[{"resource":"ske-mva","action":"read"}],"redirectUrls":["https://x.example/cb"]}}`
	return [][2]string{
		{`{ viewer { kind scopes organization { orgNumber } person { pid } administers { orgNumber } } }`, ``},
		{`{ systems(first: 5) { totalCount edges { cursor node { id systemId clientIds redirectUrls rights { resource { resourceId } action } } } pageInfo { hasNextPage endCursor } } }`, ``},
		{`query($id: ID!) { system(id: $id) { id systemId systemUsers(first: 3) { totalCount edges { node { id } } } } }`, `{"id":"` + w.SystemID + `"}`},
		{`query($id: ID!) { systemUser(id: $id) { id integrationTitle owner { orgNumber } system { systemId } rights { action } clients(first: 2) { totalCount } } }`, `{"id":"` + w.SystemUserID + `"}`},
		{`query($id: ID!) { request(id: $id) { id status confirmUrl rights { action } party { name } } }`, `{"id":"` + w.RequestID + `"}`},
		{`query($id: ID!) { changeRequest(id: $id) { id status systemUser { id } } }`, `{"id":"` + w.ChangeRequestID + `"}`},
		{`{ systemUsers(first: 10, filter: {ownerOrgNumber: "` + customerOrg + `"}) { totalCount edges { node { id } } } }`, ``},
		{`{ requestByExternalRef(systemId: "` + w.SystemID + `", orgNumber: "` + customerOrg + `", externalRef: "customer-313775429") { id } }`, ``},
		{`{ node(id: "U3lzdGVtOjE=") { id } nodes(ids: ["", "x", "U3lzdGVtVXNlcjp4"]) { id } }`, ``},
		{`{ organization(orgNumber: "` + customerOrg + `") { name systems(first: 2) { totalCount } systemUsers(first: 2) { totalCount } } }`, ``},
		{`{ resources(first: 2) { totalCount } accessPackages(first: -1, after: "garbage") { totalCount } }`, ``},
		{`{ decisions(first: 3) { edges { node { id result } } } }`, ``},
		{`mutation($in: SystemInput!) { registerSystem(input: $in) { systemId } }`, sysIn},
		{`mutation($id: ID!, $in: SystemInput!) { updateSystem(id: $id, input: $in) { systemId } }`, `{"id":"` + w.SystemID + `","in":{"systemId":"` + w.SystemID + `","name":{"nb":"a","nn":"a","en":"a"},"description":{"nb":"a","nn":"a","en":"a"}}}`},
		{`mutation($id: ID!) { deleteSystem(id: $id) }`, `{"id":"` + w.OtherSystemID + `"}`},
		{`mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) { created request { id } } }`, `{"in":{"systemId":"` + w.SystemID + `","partyOrgNumber":"` + customerOrg + `","externalRef":"f1","rights":[{"resource":"ske-krav-og-betalinger"}],"redirectUrl":"https://vendor.example/systemuser/receipt"}}`},
		{`mutation($in: CreateAgentSystemUserRequestInput!) { createAgentSystemUserRequest(input: $in) { created } }`, `{"in":{"systemId":"` + w.SystemID + `","partyOrgNumber":"` + customerOrg + `","accessPackages":["urn:altinn:accesspackage:skattnaering"]}}`},
		{`mutation($id: ID!) { approveSystemUserRequest(id: $id) { id } }`, `{"id":"` + w.RequestID + `"}`},
		{`mutation($id: ID!) { rejectSystemUserRequest(id: $id) { id } }`, `{"id":"` + w.AgentRequestID + `"}`},
		{`mutation($id: ID!) { deleteSystemUserRequest(id: $id) }`, `{"id":"` + w.RequestID + `"}`},
		{`mutation($id: ID!) { deleteSystemUser(id: $id) }`, `{"id":"` + w.SystemUserID + `"}`},
		{`mutation($id: ID!) { approveChangeRequest(id: $id) { status } }`, `{"id":"` + w.ChangeRequestID + `"}`},
		{`mutation($in: CreateChangeRequestInput!) { createChangeRequest(input: $in) { created } }`, `{"in":{"correlationId":"6d1c8d8e-0000-4c1e-9c5e-7d9c1c0a0009","systemUserId":"` + w.SystemUserID + `","requiredRights":[{"resource":"ske-krav-og-betalinger","action":"write"}]}}`},
		{`mutation { createSystemUser(input: {systemId: "` + w.SystemID + `", ownerOrgNumber: "` + customerOrg + `"}) { id } }`, ``},
		{`mutation($in: ClientInput!) { addClient(input: $in) { createdAt } removeClient(input: $in) }`, `{"in":{"systemUserId":"` + w.SystemUserID + `","clientOrgNumber":"` + otherVendor + `"}}`},
		{`mutation { authorize(input: {systemUserId: "` + w.SystemUserID + `", action: "read", resourceId: "ske-krav-og-betalinger", partyOrgNumber: "` + customerOrg + `"}) { result reasonCode } }`, ``},
		{`mutation { authorizeBatch(inputs: [{token: "x.y.z", action: "read", resourceId: "r", partyOrgNumber: "1"}]) { result } }`, ``},
		// Nasty: syntax, types, limits, introspection, aliases, fragments.
		{``, ``},
		{`{`, ``},
		{`{ viewer { kind } } { viewer { kind } }`, ``},
		{`query A { viewer { kind } } query A { viewer { kind } }`, ``},
		{`fragment F on Query { ...F } { ...F }`, ``},
		{`{ systems(first: 2147483647) { totalCount } }`, ``},
		{`{ systems(first: 99999999999999999999) { totalCount } }`, ``},
		{`{ systems(first: 1, after: "\u0000\uffff") { totalCount } }`, ``},
		{`{ a: viewer { kind } b: viewer { kind } c: viewer { kind } d: viewer { kind } }`, ``},
		{`{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }`, ``},
		{`{ systems(first: 50) { edges { node { systemUsers(first: 50) { edges { node { system { systemUsers(first: 50) { totalCount } } } } } } } } }`, ``},
		{`query($id: ID!) { system(id: $id) { id } }`, `{"id": 7}`},
		{`query($id: ID!) { system(id: $id) { id } }`, `{"id": null}`},
		{`query($id: ID!) { system(id: $id) { id } }`, `[1,2]`},
		{`query($id: ID!) { systemUser(id: $id) { id } }`, `{"id":"not-a-uuid"}`},
		{`mutation($in: SystemInput!) { registerSystem(input: $in) { systemId } }`, `{"in":{"systemId":"` + strings.Repeat("x", 5000) + `"}}`},
		{`mutation($in: SystemInput!) { registerSystem(input: $in) { systemId } }`, `{"in":` + strings.Repeat(`{"a":`, 3000) + `1` + strings.Repeat(`}`, 3000) + `}`},
		{`subscription { systemUserChanged(orgNumber: "` + customerOrg + `") { kind } }`, ``},
		{`{ viewer { kind @skip(if: true) @include(if: "x") } }`, ``},
		{`{ viewer { ... on Query { viewer { kind } } } }`, ``},
		{strings.Repeat(`{ viewer `, 200) + strings.Repeat(`}`, 200), ``},
	}
}

// gqlFuzzCallers are the identities the GraphQL and REST fuzzers act as.
func gqlFuzzCallers(tb testing.TB, e *gatewaytest.Env, w secWorld) []string {
	all := append(append(append([]string{}, srWrite...), reqWrite...), identity.ScopeAuthorize)
	return []string{
		"",
		e.VendorToken(tb, vendorOrg, all...),
		e.VendorToken(tb, otherVendor, all...),
		e.PersonToken(tb, adminPID),
		e.PersonToken(tb, strangerPID),
		e.SystemUserToken(tb, vendorOrg, customerOrg, w.SystemUserID, w.SystemID, "a:b"),
	}
}

// FuzzGraphQL posts mutated documents and variables as each kind of caller:
// never a 5xx, never an internal error for input problems, no panic, and a
// document rejected as a whole (errors without a path: parse, validation,
// variables, limits) or sent anonymously changes nothing.
func FuzzGraphQL(f *testing.F) {
	e := gatewaytest.New(f, gatewaytest.WithPDP())
	w := seedSecWorld(f, e)
	callers := gqlFuzzCallers(f, e, w)
	for i, s := range graphqlSeeds(w) {
		// Every seed as the vendor and, rotating, as one other caller.
		f.Add(s[0], s[1], uint8(1))
		f.Add(s[0], s[1], uint8(i%len(callers)))
	}
	f.Fuzz(func(t *testing.T, query, variables string, who uint8) {
		caller := callers[int(who)%len(callers)]
		body := map[string]any{"query": query}
		if json.Valid([]byte(variables)) {
			body["variables"] = json.RawMessage(variables)
		}
		raw, err := json.Marshal(body)
		if err != nil {
			t.Skip("not encodable")
		}
		auth := ""
		if caller != "" {
			auth = "Bearer " + caller
		}
		before := snapshot(t, e.DB)
		resp := e.Serve("POST", "/graphql", auth, "application/json", bytes.NewReader(raw))
		after := snapshot(t, e.DB)
		if resp.Code >= 500 {
			t.Fatalf("status %d: %s", resp.Code, resp.Body)
		}
		if logged := e.Errors.Take(); len(logged) > 0 {
			t.Fatalf("errors logged: %q", logged)
		}
		var out struct {
			Errors []struct {
				Message    string         `json:"message"`
				Path       []any          `json:"path"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(resp.Body.Bytes(), &out); err != nil {
			t.Fatalf("status %d, body not JSON: %s", resp.Code, resp.Body)
		}
		wholeRejected := len(out.Errors) > 0
		for _, ge := range out.Errors {
			if ge.Message == "internal error" || ge.Extensions["code"] == "INTERNAL_SERVER_ERROR" {
				t.Fatalf("internal error: %+v", ge)
			}
			if ge.Extensions["code"] == nil {
				t.Fatalf("error without extensions.code: %+v", ge)
			}
			wholeRejected = wholeRejected && len(ge.Path) == 0
		}
		if changed := changedTables(before, after); len(changed) > 0 && (caller == "" || wholeRejected) {
			t.Fatalf("rejected document changed %v: %s", changed, resp.Body)
		}
	})
}

// restFuzzRoutes are the REST routes that take a JSON body.
func restFuzzRoutes(w secWorld) [][2]string {
	return [][2]string{
		{"POST", "/authentication/api/v1/systemregister/vendor"},
		{"PUT", "/authentication/api/v1/systemregister/vendor/" + w.SystemID},
		{"PUT", "/authentication/api/v1/systemregister/vendor/" + w.SystemID + "/rights"},
		{"PUT", "/authentication/api/v1/systemregister/vendor/" + w.SystemID + "/accesspackages"},
		{"POST", "/authentication/api/v1/systemuser/request/vendor"},
		{"POST", "/authentication/api/v1/systemuser/request/vendor/agent"},
		{"POST", "/authentication/api/v1/systemuser/changerequest/vendor?correlation-id=6d1c8d8e-0000-4c1e-9c5e-7d9c1c0a0004&system-user-id=" + w.SystemUserID},
		{"POST", "/authorization/api/v1/authorize"},
	}
}

// FuzzRESTBody posts arbitrary bodies to every REST route that reads one, as
// the vendor with every scope: a 2xx, or a 4xx Altinn problem; never a 5xx
// and never an error in the log.
func FuzzRESTBody(f *testing.F) {
	e := gatewaytest.New(f, gatewaytest.WithPDP())
	w := seedSecWorld(f, e)
	routes := restFuzzRoutes(w)
	all := append(append(append([]string{}, srWrite...), reqWrite...), identity.ScopeAuthorize)
	token := "Bearer " + e.VendorToken(f, vendorOrg, all...)
	xacml := `{"Request":{"AccessSubject":[{"Attribute":[{"AttributeId":"urn:altinn:systemuser:uuid","Value":"` + w.SystemUserID + `"}]}],` +
		`"Action":[{"Attribute":[{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":"read"}]}],` +
		`"Resource":[{"Attribute":[{"AttributeId":"urn:altinn:resource","Value":"ske-krav-og-betalinger"},{"AttributeId":"urn:altinn:organization:identifier-no","Value":"` + customerOrg + `"}]}]}}`
	bodies := []string{
		requestSystem,
		`{"id":"991825827_my-system","vendor":{"ID":"0192:991825827"},"name":{"nb":"a","nn":"a","en":"a"},"description":{"nb":"a","nn":"a","en":"a"}}`,
		`[{"resource":[{"id":"urn:altinn:resource","value":"ske-mva"}]}]`,
		`[{"urn":"urn:altinn:accesspackage:skattnaering"}]`,
		strings.Replace(requestSample, "customer-313775429", "fuzz-ref", 1),
		`{"systemId":"991825827_my-system","partyOrgNo":"313775429","externalRef":"fuzz-agent","accessPackages":[{"urn":"urn:altinn:accesspackage:skattnaering"}]}`,
		`{"requiredRights":[{"resource":[{"id":"urn:altinn:resource","value":"ske-krav-og-betalinger"}]}],"unwantedAccessPackages":[{"urn":"x"}]}`,
		xacml,
		``, `null`, `[]`, `{}`, `"x"`, `1e999`, `{"id":null}`, `{"systemId":{"$ne":1}}`,
		`{"systemId":"991825827_my-system","systemId":"312605031_other","partyOrgNo":"313775429"}`,
		`{"partyOrgNo":313775429}`, `{"partyOrgNo":"31377542９"}`, `{"rights":[{"resource":[{}]}]}`, `[null]`, `[[[]]]`,
		strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000),
		strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000),
		`{"Request":{"MultiRequests":{"RequestReference":[{"ReferenceId":["nope"]}]}}}`,
		"\xef\xbb\xbf{}", "{\"a\":\"\xff\"}",
	}
	for i := range routes {
		for _, b := range bodies {
			f.Add(uint8(i), []byte(b))
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := routes[int(route)%len(routes)]
		resp := e.Serve(rt[0], rt[1], token, "application/json", bytes.NewReader(body))
		switch {
		case resp.Code >= 500:
			t.Fatalf("%s %s: status %d: %s", rt[0], rt[1], resp.Code, resp.Body)
		case resp.Code >= 400:
			if why := problemOK(resp.Code, resp.Header(), resp.Body.Bytes()); why != "" {
				t.Fatalf("%s %s: %s", rt[0], rt[1], why)
			}
		case resp.Code < 200 || resp.Code > 299:
			t.Fatalf("%s %s: status %d", rt[0], rt[1], resp.Code)
		}
		if logged := e.Errors.Take(); len(logged) > 0 {
			t.Fatalf("%s %s: errors logged: %q", rt[0], rt[1], logged)
		}
	})
}
