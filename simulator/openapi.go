package simulator

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

//go:embed openapi.json
var openAPIDoc []byte

// servedOpenAPI is the document with only the operations this server
// registered: the control paths disappear without Config.Control, and so
// does anything else a configuration leaves unrouted.
func (s *Server) servedOpenAPI() ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		return nil, err
	}
	var paths map[string]map[string]json.RawMessage
	if err := json.Unmarshal(doc["paths"], &paths); err != nil {
		return nil, err
	}
	for path, ops := range paths {
		for method := range ops {
			if !slices.Contains(s.patterns, strings.ToUpper(method)+" "+path) {
				delete(ops, method)
			}
		}
		if len(ops) == 0 {
			delete(paths, path)
		}
	}
	b, err := json.Marshal(paths)
	if err != nil {
		return nil, err
	}
	doc["paths"] = b
	return json.MarshalIndent(doc, "", "  ")
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	doc, err := s.servedOpenAPI()
	if err != nil {
		s.log.ErrorContext(r.Context(), "openapi document", "error", err)
		writeJSON(w, http.StatusInternalServerError, apiError{"internal", "internal error"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(doc)
}
