// Package publicurl says how clients reach the gateway, for the links and
// redirects the REST API and the pages build.
package publicurl

import (
	"net/http"
	"strings"
)

// Base is the configured public URL without a trailing slash, or, when none
// is configured (tests, local runs), the scheme and host r came in on.
func Base(configured string, r *http.Request) string {
	if configured != "" {
		return strings.TrimRight(configured, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
