package simulator

import (
	"encoding/json"
	"net/http"
	"strings"
)

// notFound answers, as OAuth errors in JSON, what mux would answer in plain
// text: 404 for an unknown path, 405 (with Allow) for a known one asked
// with another method. Registered as mux's catch-all "/".
func notFound(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			probe := *r
			probe.Method = m
			if _, pattern := mux.Handler(&probe); pattern != "" && pattern != r.Pattern {
				allow = append(allow, m)
			}
		}
		status, desc := http.StatusNotFound, "no such endpoint"
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			status, desc = http.StatusMethodNotAllowed, "this endpoint does not take "+r.Method
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}{"invalid_request", desc})
	})
}
