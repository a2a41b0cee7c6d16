package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/gateway/rest"
)

var errBadCharacters = apperr.New(apperr.Invalid, "INVALID_CHARACTERS",
	"the URL holds a NUL character or bytes that are not UTF-8")

// cleanURLs refuses, before any handler runs, a request whose path or
// query holds a NUL character or invalid UTF-8: no identifier has them, and
// the database refuses them in a query (as a syntax error, which would be
// a 500). REST and the pages get a problem, /graphql a GraphQL error.
func cleanURLs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if badText(r.URL.Path) || (r.URL.RawQuery != "" && badQuery(r.URL.RawQuery)) {
			if r.URL.Path == "/graphql" {
				writeGraphQLError(w, http.StatusBadRequest, errBadCharacters.Message, "BAD_USER_INPUT")
				return
			}
			rest.WriteProblem(w, r, errBadCharacters)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func badText(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }

func badQuery(raw string) bool {
	q, err := url.QueryUnescape(raw)
	return err == nil && badText(q)
}

// graphqlInput makes /graphql's own refusals JSON: gqlgen's transports
// write their errors ({"errors": [...]}) without a content type, which Go
// then sniffs as text/plain. It also refuses a POST body that is not UTF-8
// or escapes a NUL character, as REST does, before any resolver runs.
func graphqlInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			// The transports set it again on success; this stands for their errors.
			w.Header().Set("Content-Type", "application/json")
		}
		if r.Method == http.MethodPost && r.Body != nil {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				writeGraphQLError(w, http.StatusRequestEntityTooLarge, "the request body is too large", "BAD_USER_INPUT")
				return
			}
			if !utf8.Valid(body) || rest.HasNULEscape(body) {
				writeGraphQLError(w, http.StatusBadRequest, "the body is not valid UTF-8 or holds a NUL character (\\u0000)", "BAD_USER_INPUT")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

func writeGraphQLError(w http.ResponseWriter, status int, msg, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}
