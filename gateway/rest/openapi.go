package rest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/systemuser-gateway/systemuser/auth"
)

// openapi.yaml is written by hand (YAML is the readable form); it is
// served as JSON, converted once at start.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON is the served document, built on first use. It reads the
// route table, whose rows name the handler that serves it, so it is set in
// init (a variable initialiser would be an initialisation cycle).
var openAPIJSON func() []byte

func init() {
	openAPIJSON = sync.OnceValue(func() []byte { return mustOpenAPIJSON(openAPIYAML) })
}

func mustOpenAPIJSON(src []byte) []byte {
	out, err := openAPIToJSON(src)
	if err != nil {
		panic(fmt.Sprintf("gateway: embedded openapi.yaml: %v", err)) // a build defect, caught by tests
	}
	return out
}

func openAPIToJSON(src []byte) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	paths, _ := doc["paths"].(map[string]any)
	for _, rt := range restRouteTable() {
		ops, _ := paths[rt.Path].(map[string]any)
		if op, ok := ops[strings.ToLower(rt.Method)].(map[string]any); ok {
			op["security"] = openAPISecurity(rt.Auth)
		}
	}
	return json.Marshal(doc)
}

// openAPISecurity is an operation's security requirement, generated from
// its route's policy: one alternative per admitted (caller, scope), the
// scope named in the requirement (OpenAPI 3.1 lets http schemes list
// them). A route open to anonymous callers has none.
func openAPISecurity(req auth.Requirement) []any {
	out := []any{}
	if slices.ContainsFunc(req.Admits, func(a auth.Admit) bool { return a.Caller == auth.Anonymous }) {
		return out // no token needed
	}
	for _, a := range req.Admits {
		scopes := []any{}
		if a.Scope != "" {
			scopes = append(scopes, a.Scope)
		}
		switch a.Caller {
		case auth.Organization:
			out = append(out, map[string]any{"maskinporten": scopes})
		case auth.Person:
			out = append(out, map[string]any{"person": scopes})
		}
	}
	return out
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIJSON())
}
