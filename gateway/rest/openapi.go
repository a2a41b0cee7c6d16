package rest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"go.yaml.in/yaml/v3"
)

// openapi.yaml is written by hand (YAML is the readable form); it is
// served as JSON, converted once at start.
//
//go:embed openapi.yaml
var openAPIYAML []byte

var openAPIJSON = mustOpenAPIJSON(openAPIYAML)

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
	return json.Marshal(doc)
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIJSON)
}
