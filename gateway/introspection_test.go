package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/graph"
	"github.com/systemuser-gateway/systemuser/registry"
)

// introspectionDocuments are the literal documents real tools send, captured
// from graphql-js by e2e/node/capture-introspection.mjs.
func introspectionDocuments(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("testdata/introspection/*.graphql")
	if err != nil || len(files) < 3 {
		t.Fatalf("captured documents: %v, %v", files, err)
	}
	docs := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(f)] = string(b)
	}
	return docs
}

// TestStandardIntrospectionDocuments: graphql-js's getIntrospectionQuery
// (all options, and defaults) and GraphiQL's get the complete schema.
func TestStandardIntrospectionDocuments(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for name, doc := range introspectionDocuments(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body, status := postRaw(t, e.URL, map[string]any{"query": doc, "operationName": "IntrospectionQuery"})
			var out struct {
				Data struct {
					Schema struct {
						QueryType struct{ Name string }
						Types     []struct {
							Name   string
							Fields []struct {
								Name string
								Type struct {
									Kind   string
									OfType *struct{ Kind string }
								}
							}
						}
						Directives []struct{ Name string }
					} `json:"__schema"`
				}
				Errors []json.RawMessage
			}
			if err := json.Unmarshal([]byte(body), &out); err != nil || status != http.StatusOK || len(out.Errors) > 0 {
				t.Fatalf("status %d, %v: %.600s", status, err, body)
			}
			got := map[string]int{}
			for _, ty := range out.Data.Schema.Types {
				got[ty.Name] = len(ty.Fields)
			}
			for tname, def := range schema.Types {
				n, ok := got[tname]
				if !ok {
					t.Errorf("type %s missing", tname)
					continue
				}
				if (def.Kind == ast.Object || def.Kind == ast.Interface) && n != len(def.Fields)-countIntrospectionFields(def) {
					t.Errorf("type %s: %d fields, want %d", tname, n, len(def.Fields)-countIntrospectionFields(def))
				}
			}
			for dname := range schema.Directives {
				if !slices.ContainsFunc(out.Data.Schema.Directives, func(d struct{ Name string }) bool { return d.Name == dname }) {
					t.Errorf("directive %s missing", dname)
				}
			}
			if out.Data.Schema.QueryType.Name != "Query" {
				t.Errorf("queryType = %q", out.Data.Schema.QueryType.Name)
			}
		})
	}
}

// countIntrospectionFields: __schema and __type are on the query type in the
// parsed schema but not listed by introspection.
func countIntrospectionFields(def *ast.Definition) int {
	n := 0
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") {
			n++
		}
	}
	return n
}

// TestIntrospectionBound: introspection has its own bound. Ordinary fields
// keep the depth limit, and documents asking for far more than the schema
// (lists of types nested in lists of types, many complete introspections)
// are refused before anything runs.
func TestIntrospectionBound(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	full := introspectionDocuments(t)["graphql-js-16.15.0-all-options.graphql"]
	fragments := full[strings.Index(full, "fragment FullType"):]
	var aliases strings.Builder
	aliases.WriteString("query Many {")
	for i := range 5 {
		aliases.WriteString(" s" + string(rune('a'+i)) + ": __schema { types { ...FullType } }")
	}
	aliases.WriteString(" }\n" + fragments)
	tests := []struct {
		name, query, code string
	}{
		// gqlparser's validation refuses these first (graphql-js 17's rule: three nested lists).
		{"ErrNestedTypeLists", "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }", "Maximum introspection depth exceeded"},
		{"ErrManyCompleteIntrospections", aliases.String(), "INTROSPECTION_LIMIT_EXCEEDED"},
		{"ErrOrdinaryDepthStillLimited", "{ __typename systems(first: 1) { edges { node { vendor { systems(first: 1) { edges { node { vendor { systems(first: 1) { edges { node { vendor { name } } } } } } } } } } } } }", "DEPTH_LIMIT_EXCEEDED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, _ := postRaw(t, e.URL, map[string]any{"query": tt.query})
			if !strings.Contains(body, tt.code) || strings.Contains(body, `"__schema":{`) {
				t.Fatalf("body %.400s: want %s and no data", body, tt.code)
			}
		})
	}
	t.Run("OKTypeByName", func(t *testing.T) {
		t.Parallel()
		body, _ := postRaw(t, e.URL, map[string]any{"query": `{ __type(name: "System") { name fields { name args { name type { name ofType { name ofType { name ofType { name ofType { name } } } } } } } } }`})
		if !strings.Contains(body, `"name":"System"`) || strings.Contains(body, `"errors"`) {
			t.Fatalf("body %.400s", body)
		}
	})
}

// TestSchemaSDL: /graphql/schema.graphql is the schema in SDL, the same
// types as introspection, and served only with introspection on.
func TestSchemaSDL(t *testing.T) {
	t.Parallel()
	bdb := dbtest.New(t)
	for _, enabled := range []bool{true, false} {
		gw := gateway.New(gateway.Config{GraphQL: gateway.GraphQLConfig{Introspection: enabled}},
			gateway.Deps{DB: db.Probe{DB: bdb}, Registry: registry.New(bdb, registry.Options{})})
		srv := httptest.NewServer(gw)
		resp, err := srv.Client().Get(srv.URL + "/graphql/schema.graphql")
		if err != nil {
			t.Fatal(err)
		}
		sdl, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if !enabled {
			if resp.StatusCode == http.StatusOK {
				t.Fatalf("introspection off: SDL served")
			}
			continue
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		parsed, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(sdl)})
		if gerr != nil {
			t.Fatalf("SDL does not parse: %v\n%.500s", gerr, sdl)
		}
		want := graph.NewExecutableSchema(graph.Config{}).Schema()
		for name, def := range want.Types {
			got := parsed.Types[name]
			if got == nil || len(got.Fields) != len(def.Fields) || len(got.EnumValues) != len(def.EnumValues) {
				t.Errorf("type %s differs in the SDL", name)
			}
		}
	}
}
