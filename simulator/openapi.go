package simulator

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/systemuser-gateway/systemuser/simulator/simctl"
)

//go:embed openapi.json
var openAPIDoc []byte

// handleOpenAPI serves the simulator's OpenAPI document; without the
// control API its paths are left out, as they are not served.
func (s *Server) handleOpenAPI(w http.ResponseWriter, _ *http.Request) {
	doc := openAPIDoc
	if !s.cfg.Control {
		var m map[string]json.RawMessage
		var paths map[string]json.RawMessage
		if json.Unmarshal(doc, &m) == nil && json.Unmarshal(m["paths"], &paths) == nil {
			for p := range paths {
				if strings.HasPrefix(p, simctl.Prefix+"/") {
					delete(paths, p)
				}
			}
			m["paths"], _ = json.Marshal(paths)
			doc, _ = json.Marshal(m)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(doc)
}
