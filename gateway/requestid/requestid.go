// Package requestid gives each gateway request an id (X-Request-Id, in and
// out) that internal errors show the caller and log beside their cause.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

type key struct{}

// Header carries a request's id, in and out: a caller's own id is
// kept when it is short and plain, so one id follows a request through
// proxies; otherwise the gateway makes one.
const Header = "X-Request-Id"

// From is the id of the request ctx belongs to ("" outside one).
// Internal errors show it to the caller and log it beside the cause, so a
// report can be matched to the log without the cause reaching the caller.
func From(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// Middleware gives every request an id; put it outermost.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Header)
		if !plainID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header()[Header] = []string{id}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, id)))
	})
}

// plainID accepts 1–64 characters of [A-Za-z0-9._-], so an id echoed into
// headers, JSON and logs can carry nothing else.
func plainID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// NewContext returns ctx carrying id, for tests and non-HTTP callers.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}
