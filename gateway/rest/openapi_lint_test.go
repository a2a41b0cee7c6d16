package rest

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

// TestOpenAPIValidates loads openapi.yaml with kin-openapi, a real OpenAPI
// 3.1 validator, and fails on any error it reports; then checks what the
// validator does not: a unique operationId on every operation, and scopes
// in every security requirement (declared ones, for the OAuth2 scheme).
func TestOpenAPIValidates(t *testing.T) {
	t.Parallel()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIYAML)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	declared := doc.Components.SecuritySchemes["maskinporten"].Value.Flows.ClientCredentials.Scopes
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", where)
			} else if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s and %s share operationId %s", where, other, op.OperationID)
			}
			ids[op.OperationID] = where
			if op.Security == nil {
				t.Errorf("%s states no security (use [] for a public route)", where)
				continue
			}
			for _, req := range *op.Security {
				for scheme, scopes := range req {
					if len(scopes) == 0 {
						t.Errorf("%s: security requirement %s names no scope", where, scheme)
					}
					for _, sc := range scopes {
						if _, ok := declared[sc]; scheme == "maskinporten" && !ok {
							t.Errorf("%s: scope %s is not declared in the maskinporten scheme", where, sc)
						}
					}
				}
			}
		}
	}
}

// TestOpenAPIHasNoStrayKeys catches a YAML mistake validators can miss: an
// unquoted comma in a flow mapping (`{description: a, b}`) makes "b" a key
// with a null value.
func TestOpenAPIHasNoStrayKeys(t *testing.T) {
	t.Parallel()
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if c == nil {
					t.Errorf("stray key %q at %s", k, strings.Join(path, "."))
				}
				walk(c, append(path, k))
			}
		case []any:
			for _, c := range x {
				walk(c, path)
			}
		}
	}
	walk(doc, nil)
}
