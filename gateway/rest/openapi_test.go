package rest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type openAPIDoc struct {
	OpenAPI string                               `json:"openapi"`
	Paths   map[string]map[string]map[string]any `json:"paths"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	rec := httptest.NewRecorder()
	(&Server{}).handleOpenAPI(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc openAPIDoc
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	return doc
}

// TestOpenAPIDocumentsEveryRoute fails when a registered REST route has no
// documented path and method, or a documented operation is not registered
// (operations another package serves carry x-served-by).
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	registered := map[string]bool{}
	for _, rt := range restRouteTable() {
		key := strings.ToLower(rt.Method) + " " + rt.Path
		if registered[key] {
			t.Errorf("route %s registered twice", key)
		}
		registered[key] = true
		if _, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s %s is not documented in openapi.yaml", rt.Method, rt.Path)
		}
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if _, elsewhere := op["x-served-by"]; elsewhere {
				continue
			}
			if !registered[method+" "+path] {
				t.Errorf("openapi.yaml documents %s %s, which is not in the route table", strings.ToUpper(method), path)
			}
		}
	}
}

// TestOpenAPIOperationsAreComplete checks each operation names its path
// parameters, has responses, and that every $ref resolves.
func TestOpenAPIOperationsAreComplete(t *testing.T) {
	t.Parallel()
	var raw map[string]any
	if err := json.Unmarshal(openAPIJSON(), &raw); err != nil {
		t.Fatal(err)
	}
	doc := loadOpenAPI(t)
	param := regexp.MustCompile(`\{([^}]+)\}`)
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if _, ok := op["responses"].(map[string]any); !ok {
				t.Errorf("%s %s has no responses", method, path)
			}
			var declared []string
			ps, _ := op["parameters"].([]any)
			for _, p := range ps {
				if m, _ := p.(map[string]any); m["in"] == "path" {
					declared = append(declared, m["name"].(string))
				}
			}
			for _, m := range param.FindAllStringSubmatch(path, -1) {
				if !slices.Contains(declared, m[1]) {
					t.Errorf("%s %s does not declare path parameter %s", method, path, m[1])
				}
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				if !resolves(raw, ref) {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(raw)
}

func resolves(doc map[string]any, ref string) bool {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

func TestMatchPath(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pattern, path string
		ok            bool
		vals          map[string]string
	}{
		{"/a/vendor/{id}", "/a/vendor/x_1", true, map[string]string{"id": "x_1"}},
		{"/a/{id}/rights", "/a/x_1/rights", true, map[string]string{"id": "x_1"}},
		{"/a/{id}/rights", "/a/x_1/accesspackages", false, nil},
		{"/a/{id}/rights", "/a//rights", false, nil},
		{"/a/vendor/{id}", "/a/vendor/x/y", false, nil},
	} {
		vals, ok := matchPath(c.pattern, c.path)
		if ok != c.ok || (ok && !equalMaps(vals, c.vals)) {
			t.Errorf("matchPath(%q, %q) = %v, %v", c.pattern, c.path, vals, ok)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestOpenAPISecurityIsTheRoutePolicy: the served document's security is
// generated from each route's Auth, and openapi.yaml states the same, so a
// reader of the file sees the rule the router enforces.
func TestOpenAPISecurityIsTheRoutePolicy(t *testing.T) {
	t.Parallel()
	var file struct {
		Paths map[string]map[string]struct {
			Security []map[string][]string `yaml:"security"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPIYAML, &file); err != nil {
		t.Fatal(err)
	}
	served := loadOpenAPI(t)
	for _, rt := range restRouteTable() {
		name := rt.Method + " " + rt.Path
		if rt.Auth.Name == "" || len(rt.Auth.Admits) == 0 {
			t.Errorf("%s has no policy", name)
			continue
		}
		want, _ := json.Marshal(openAPISecurity(rt.Auth))
		got, _ := json.Marshal(served.Paths[rt.Path][strings.ToLower(rt.Method)]["security"])
		if string(got) != string(want) {
			t.Errorf("%s: served security %s, want %s", name, got, want)
		}
		inFile := file.Paths[rt.Path][strings.ToLower(rt.Method)].Security
		if inFile == nil {
			inFile = []map[string][]string{}
		}
		fileJSON, _ := json.Marshal(inFile)
		if string(fileJSON) != string(want) {
			t.Errorf("%s: openapi.yaml says security: %s; the route's policy %q is %s", name, fileJSON, rt.Auth.Name, want)
		}
	}
}
