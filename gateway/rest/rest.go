// Package rest is the Altinn-compatible REST API: the route table (each
// route's path, handler and documentation in openapi.yaml), the JSON shapes
// Altinn's clients send and expect, and problem details. Handlers only
// translate; the rules live in registry/ and pdp/. The caller's identity is
// already in the request context (the gateway's authentication middleware
// puts it there).
package rest

import (
	"log/slog"
	"net/http"

	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
)

// Config configures the REST API.
type Config struct {
	PublicURL string // how clients reach the gateway, for pagination links
}

// Deps are the services the REST API translates to.
type Deps struct {
	Registry *registry.Service
	PDP      *pdp.Engine // nil: POST /authorization/api/v1/authorize is not served
	Logger   *slog.Logger
}

// Server serves the REST API.
type Server struct {
	cfg    Config
	deps   Deps
	logger *slog.Logger
}

// New builds the REST API's handler.
func New(cfg Config, deps Deps) http.Handler {
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, deps: deps, logger: logger}
	mux := http.NewServeMux()
	s.restRoutes(mux)
	// Everything else under the API's prefixes: problem details, not the
	// mux's plain-text 404 and 405.
	notFound := NotFound(mux)
	mux.Handle("/authentication/", notFound)
	mux.Handle("/authorization/", notFound)
	return mux
}
