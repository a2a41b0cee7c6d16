// Package ui serves the pages people use in a browser: the confirm pages
// for requests and change requests, and the overview of an organisation's
// system users. A person logs in at the configured login page and keeps a
// session cookie; forms carry a CSRF token. Handlers only translate; the
// rules live in registry/.
package ui

import (
	"log/slog"
	"net/http"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/gateway/publicurl"
	"github.com/systemuser-gateway/systemuser/registry"
)

// Config configures the pages.
type Config struct {
	PublicURL string // how browsers reach the gateway, e.g. http://localhost:8080
	// LoginURL is the person login (the simulator's dev login page, e.g.
	// http://localhost:8090/login) the pages send people to.
	LoginURL string
}

// Deps are what the pages need.
type Deps struct {
	Registry *registry.Service
	Verifier *auth.Verifier // checks the person tokens sessions hold
	Logger   *slog.Logger
}

// Server serves the pages.
type Server struct {
	cfg      Config
	deps     Deps
	logger   *slog.Logger
	verifier *auth.Verifier
}

// New builds the pages' handler.
func New(cfg Config, deps Deps) http.Handler {
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, deps: deps, logger: logger, verifier: deps.Verifier}
	mux := http.NewServeMux()
	s.confirmRoutes(mux)
	s.overviewRoutes(mux)
	return mux
}

// publicBase is how browsers reach the gateway (publicurl.Base, as the REST
// API's links).
func (s *Server) publicBase(r *http.Request) string { return publicurl.Base(s.cfg.PublicURL, r) }
