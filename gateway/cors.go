package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CORSOrigins is an allow-list of browser origins that may call the gateway
// from another origin: a Vite or Next dev server on another port calling
// /graphql or the REST API. An entry is an origin (scheme://host[:port]),
// with "*" as the port matching any port (http://localhost:*), or "*" alone
// for any origin. Bearer tokens travel in headers, not cookies, so
// credentials are never allowed.
type CORSOrigins struct {
	any     bool
	origins []corsOrigin
}

type corsOrigin struct {
	scheme, host, port string // port "*" matches any, "" only the default
}

// ParseCORSOrigins parses a comma-separated allow-list; empty allows none.
func ParseCORSOrigins(list string) (CORSOrigins, error) {
	var c CORSOrigins
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if raw == "*" {
			c.any = true
			continue
		}
		scheme, rest, ok := strings.Cut(raw, "://")
		if !ok || (scheme != "http" && scheme != "https") || rest == "" || strings.ContainsAny(rest, "/?#@") {
			return CORSOrigins{}, fmt.Errorf("CORS origin %q: want scheme://host[:port], port * for any", raw)
		}
		host, port := rest, ""
		if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "]") {
			host, port = rest[:i], rest[i+1:]
			if port == "" {
				return CORSOrigins{}, fmt.Errorf("CORS origin %q: empty port", raw)
			}
		}
		c.origins = append(c.origins, corsOrigin{scheme: scheme, host: strings.ToLower(host), port: port})
	}
	return c, nil
}

// Empty reports whether no origin is allowed.
func (c CORSOrigins) Empty() bool { return !c.any && len(c.origins) == 0 }

// Allowed reports whether the Origin header value may call the gateway.
func (c CORSOrigins) Allowed(origin string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" {
		return false
	}
	if c.any {
		return true
	}
	for _, o := range c.origins {
		if o.scheme == u.Scheme && o.host == strings.ToLower(u.Hostname()) &&
			(o.port == "*" || o.port == u.Port()) {
			return true
		}
	}
	return false
}

// websocketPatterns are the allow-list as the websocket library's origin
// patterns (host[:port] globs): a browser's websocket carries an Origin
// that must pass the same list.
func (c CORSOrigins) websocketPatterns() []string {
	if c.any {
		return []string{"*"}
	}
	var out []string
	for _, o := range c.origins {
		p := o.host
		if o.port != "" {
			p += ":" + o.port
		}
		out = append(out, p)
	}
	return out
}

var errCORSPreflight = errors.New("cors: origin not allowed")

// corsHeaders that a browser may send and read. Location and WWW-Authenticate
// carry meaning in REST answers.
const (
	corsAllowMethods  = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, Accept, X-Requested-With, Apollo-Require-Preflight"
	corsExposeHeaders = "Location, WWW-Authenticate, Retry-After"
)

// cors answers preflight requests from allowed origins and marks their
// responses readable. Requests from other origins pass through unchanged:
// the browser, seeing no Access-Control-Allow-Origin, withholds the answer.
func (c CORSOrigins) handler(next http.Handler) http.Handler {
	if c.Empty() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if !c.Allowed(origin) {
			if preflight {
				// No CORS headers: the browser refuses the real request.
				http.Error(w, errCORSPreflight.Error(), http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
				// Echo what was asked: tools add their own headers (apollo-*,
				// x-*), and the allow-list guards who may ask, not how.
				h.Set("Access-Control-Allow-Headers", req)
			} else {
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		next.ServeHTTP(w, r)
	})
}
