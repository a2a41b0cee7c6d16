package simulator

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// openAPI31 is the part of an OpenAPI 3.1 document these tests check.
type openAPI31 struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

type openAPIOperation struct {
	OperationID string                      `json:"operationId"`
	Parameters  []struct{ Name, In string } `json:"parameters"`
	Responses   map[string]json.RawMessage  `json:"responses"`
}

func getOpenAPI(t *testing.T, e *env) (openAPI31, []byte) {
	t.Helper()
	resp, err := e.ts.Client().Get(e.ts.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	var doc openAPI31
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc, raw
}

var (
	httpMethods  = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	pathParam    = regexp.MustCompile(`\{([^}]+)\}`)
	responseCode = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)
	schemaRef    = regexp.MustCompile(`"\$ref":\s*"#/components/schemas/([^"]+)"`)
)

// TestOpenAPIValid checks the document is well-formed OpenAPI 3.1: version,
// info, unique operation ids, declared path parameters, response codes,
// and every schema $ref resolving.
func TestOpenAPIValid(t *testing.T) {
	t.Parallel()
	e, _ := newControlEnv(t)
	doc, raw := getOpenAPI(t, e)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") || doc.Info.Title == "" || doc.Info.Version == "" {
		t.Fatalf("openapi %q, info %+v", doc.OpenAPI, doc.Info)
	}
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, "/") {
			t.Errorf("path %q does not start with /", path)
		}
		for method, op := range ops {
			if !slices.Contains(httpMethods, method) {
				t.Errorf("%s: %q is not an HTTP method", path, method)
			}
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
			if len(op.Responses) == 0 {
				t.Errorf("%s %s: no responses", method, path)
			}
			for code := range op.Responses {
				if !responseCode.MatchString(code) {
					t.Errorf("%s %s: response code %q", method, path, code)
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				if !slices.ContainsFunc(op.Parameters, func(p struct{ Name, In string }) bool { return p.Name == m[1] && p.In == "path" }) {
					t.Errorf("%s %s: path parameter %s not declared", method, path, m[1])
				}
			}
		}
	}
	for _, m := range schemaRef.FindAllStringSubmatch(string(raw), -1) {
		if _, ok := doc.Components.Schemas[m[1]]; !ok {
			t.Errorf("$ref to missing schema %s", m[1])
		}
	}
}

// TestOpenAPIListsExactlyTheRoutesServed holds the served document against
// the patterns the server registered, both ways, with the control API on
// and off; and the embedded document against the routes of a server with
// everything on, so no documented operation is served by none.
func TestOpenAPIListsExactlyTheRoutesServed(t *testing.T) {
	t.Parallel()
	operations := func(doc openAPI31) map[string]bool {
		out := map[string]bool{}
		for path, ops := range doc.Paths {
			for method := range ops {
				out[strings.ToUpper(method)+" "+path] = true
			}
		}
		return out
	}
	for _, tc := range []struct{ control, dev bool }{{true, true}, {false, true}, {true, false}, {false, false}} {
		control := tc.control
		e := newEnv(t, func(c *Config) { c.Control, c.DevEndpoints = tc.control, tc.dev })
		doc, _ := getOpenAPI(t, e)
		documented := operations(doc)
		served := map[string]bool{}
		for _, p := range e.srv.patterns {
			served[p] = true
			if !documented[p] {
				t.Errorf("control=%v: route %s is served but not in openapi.json", control, p)
			}
		}
		for op := range documented {
			if !served[op] {
				t.Errorf("control=%v: /openapi.json documents %s, which is not served", control, op)
			}
		}
		if documented["POST /control/faults"] != control || documented["GET /control/requests"] != control || documented["GET /admin/clients"] != tc.dev {
			t.Errorf("%+v: fault route documented %v, request log %v, admin %v", tc, documented["POST /control/faults"], documented["GET /control/requests"], documented["GET /admin/clients"])
		}
	}
	// Everything on: every operation of the embedded document is served.
	all := newEnv(t, func(c *Config) { c.Control, c.DevEndpoints = true, true })
	var raw openAPI31
	if err := json.Unmarshal(openAPIDoc, &raw); err != nil {
		t.Fatal(err)
	}
	for op := range operations(raw) {
		if !slices.Contains(all.srv.patterns, op) {
			t.Errorf("openapi.json documents %s, which no configuration serves", op)
		}
	}
}
