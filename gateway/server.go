// Package gateway assembles the HTTP face of the System User gateway: it
// authenticates callers and mounts the GraphQL transport (here), the
// Altinn-compatible REST API (gateway/rest) and the confirm pages
// (gateway/ui), with health, metrics and the shared middleware. Handlers
// only translate; the rules live in registry/ and pdp/.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/gateway/graphiql"
	"github.com/systemuser-gateway/systemuser/gateway/requestid"
	"github.com/systemuser-gateway/systemuser/gateway/rest"
	"github.com/systemuser-gateway/systemuser/gateway/ui"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/resolvers"
	"github.com/systemuser-gateway/systemuser/telemetry"
)

// Config configures the gateway's HTTP side.
type Config struct {
	PublicURL string // how clients reach the gateway, e.g. http://localhost:8080
	// LoginURL is the person login (the simulator's dev login page, e.g.
	// http://localhost:8090/login) the confirm pages send people to.
	LoginURL       string
	TrustedIssuers []auth.TrustedIssuer
	// Audiences are accepted in tokens' "aud" besides auth.Unspecified,
	// auth.GatewayAudience and PublicURL; a token for any other audience is
	// refused (401).
	Audiences []string
	GraphQL   GraphQLConfig
	Now       func() time.Time
	// DisableMetrics turns off GET /metrics and request instrumentation
	// (on by default, so the zero Config serves them).
	DisableMetrics bool
	// Tracing, when enabled, adds GraphQL operation spans and names the
	// listener's HTTP spans after their routes (the listener itself is
	// wrapped by the caller). Nil or off adds nothing.
	Tracing *telemetry.Tracing
	// CORSOrigins may call the gateway from a browser on another origin
	// (SYSTEMUSER_CORS_ORIGINS); none by default.
	CORSOrigins CORSOrigins
	// WorldLoader, when set (by `systemuser dev` only), serves the
	// unauthenticated admin API POST /dev/world.
	WorldLoader WorldLoader
}

// Deps are the services the gateway translates to.
type Deps struct {
	// DB answers readiness probes; db.Probe implements it.
	DB       Database
	Registry *registry.Service
	PDP      *pdp.Engine
	// Events feeds GraphQL subscriptions and tells readiness whether the
	// change listener is connected; nil disables both. *db.Listener
	// implements it.
	Events Events
	// Verifier checks bearer tokens; New makes one from Config.TrustedIssuers
	// when nil. Share one with the PDP so both use the verified-token cache.
	Verifier *auth.Verifier
	Logger   *slog.Logger
}

// Database is what readiness asks of the database.
type Database interface {
	Ping(ctx context.Context) error
	PendingMigrations(ctx context.Context) (int, error)
}

// Events are the database's change announcements.
type Events interface {
	resolvers.EventSource
	Connected() bool
}

// Server is the gateway's http.Handler.
type Server struct {
	cfg      Config
	deps     Deps
	logger   *slog.Logger
	verifier *auth.Verifier
	handler  http.Handler
	draining atomic.Bool
	metrics  *prometheus.Registry // nil when disabled
	turns    *graphqlTurns
}

// New builds the gateway.
func New(cfg Config, deps Deps) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	logger := deps.Logger
	if logger == nil {
		logger = quietLogger()
	}
	s := &Server{cfg: cfg, deps: deps, logger: logger}
	s.verifier = deps.Verifier
	if s.verifier == nil {
		s.verifier = auth.NewVerifier(cfg.TrustedIssuers, nil, cfg.Now, logger)
	}
	s.verifier.AcceptAudiences(cfg.Audiences...)
	if cfg.PublicURL != "" {
		u := strings.TrimRight(cfg.PublicURL, "/")
		s.verifier.AcceptAudiences(u, u+"/")
	}
	s.handler = s.routes()
	return s
}

// Metrics is the registry /metrics serves, for other parts of the process
// to add to; nil when Config.DisableMetrics is set.
func (s *Server) Metrics() *prometheus.Registry { return s.metrics }

// Verifier is the gateway's token verifier (the PDP uses it for tokens).
func (s *Server) Verifier() *auth.Verifier { return s.verifier }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Drain makes /readyz fail so load balancers stop sending new work before
// shutdown.
func (s *Server) Drain() { s.draining.Store(true) }

// maxBody bounds request bodies; no legitimate request is larger.
const maxBody = 1 << 20

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	s.turns = newGraphQLTurns(s.cfg.GraphQL.MaxConcurrent, s.cfg.GraphQL.TurnWait)
	gql := graphqlInput(s.authenticate(s.turns.handler(s.graphqlHandler())))
	mux.Handle("/graphql", gql)
	if s.cfg.GraphQL.Introspection {
		mux.Handle("GET /graphql/schema.graphql", handleSchemaSDL(schemaSDL()))
	}
	// routed: the REST API and the confirm pages have their own muxes,
	// whose finer patterns label the metrics and the trace spans.
	api := s.authenticate(routed(rest.New(rest.Config{PublicURL: s.cfg.PublicURL},
		rest.Deps{Registry: s.deps.Registry, PDP: s.deps.PDP, Logger: s.logger})))
	mux.Handle("/authentication/", api)
	mux.Handle("/authorization/", api)
	mux.Handle("GET /openapi.json", api)
	mux.Handle("/accessmanagement/", routed(ui.New(ui.Config{PublicURL: s.cfg.PublicURL, LoginURL: s.cfg.LoginURL},
		ui.Deps{Registry: s.deps.Registry, Verifier: s.verifier, Logger: s.logger})))
	if s.cfg.WorldLoader != nil {
		mux.HandleFunc("POST /dev/world", s.handleDevWorld)
	}
	gi := graphiql.Handler("/graphql", "/graphql")
	mux.Handle("GET /{$}", gi)
	mux.Handle("GET "+graphiql.AssetPrefix, gi)
	mux.Handle("/", rest.NotFound(mux)) // problem details, not plain-text 404 and 405
	h := spanNamed(s.cfg.CORSOrigins.handler(s.recoverer(bodyLimit(cleanURLs(mux)))))
	if s.cfg.DisableMetrics {
		return requestid.Middleware(h)
	}
	return requestid.Middleware(s.instrument(mux, h))
}

func bodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into a 500 problem; no panic reaches a client.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(p)
				}
				s.logger.ErrorContext(r.Context(), "http panic", "panic", p, "path", r.URL.Path)
				rest.WriteProblem(w, r, errInternalPanic)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz is ready when the database answers, every migration is
// applied and the server is not draining.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "migrations": "ok", "draining": "no"}
	ready := true
	if s.deps.Events != nil {
		checks["listener"] = "connected"
		if !s.deps.Events.Connected() {
			checks["listener"], ready = "disconnected", false
		}
	}
	if err := s.deps.DB.Ping(ctx); err != nil {
		checks["database"], ready = err.Error(), false
	} else if n, err := s.deps.DB.PendingMigrations(ctx); err != nil {
		checks["migrations"], ready = err.Error(), false
	} else if n > 0 {
		checks["migrations"], ready = "pending", false
	}
	if s.draining.Load() {
		checks["draining"], ready = "yes", false
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"ready": ready, "checks": checks})
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
