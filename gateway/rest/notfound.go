package rest

import (
	"net/http"
	"strings"

	"github.com/systemuser-gateway/systemuser/apperr"
)

var (
	errNoRoute    = apperr.New(apperr.NotFound, "NO_SUCH_ROUTE", "no such route")
	errBadMethod  = apperr.New(apperr.Invalid, "METHOD_NOT_ALLOWED", "this route does not take this method")
	probedMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
)

// NotFound answers what mux would answer in plain text (404, or 405 with
// Allow) as problem details. Register it on mux as a catch-all ("/" or a
// prefix): it then sees every request no other pattern takes, and finds the
// methods the path does take by asking mux.
func NotFound(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range probedMethods {
			probe := *r
			probe.Method = m
			if _, pattern := mux.Handler(&probe); pattern != "" && pattern != r.Pattern {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			writeProblem(w, r, errNoRoute)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblemStatus(w, r, http.StatusMethodNotAllowed, errBadMethod)
	})
}
