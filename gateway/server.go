// Package gateway is the HTTP face of the System User gateway: GraphQL,
// Altinn-compatible REST, confirm pages, caller authentication and health.
// Handlers only translate; the rules live in registry/ and pdp/.
package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gateway/graphiql"
	"github.com/systemuser-gateway/systemuser/gateway/metrics"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
)

// Config configures the gateway's HTTP side.
type Config struct {
	PublicURL string // how clients reach the gateway, e.g. http://localhost:8080
	// LoginURL is the person login (the simulator's dev login page, e.g.
	// http://localhost:8090/login) the confirm pages send people to.
	LoginURL       string
	TrustedIssuers []TrustedIssuer
	GraphQL        GraphQLConfig
	Now            func() time.Time
	// DisableMetrics turns off GET /metrics and request instrumentation
	// (on by default, so the zero Config serves them).
	DisableMetrics bool
	// CORSOrigins may call the gateway from a browser on another origin
	// (SYSTEMUSER_CORS_ORIGINS); none by default.
	CORSOrigins CORSOrigins
	// WorldLoader, when set (by `systemuser dev` only), serves the
	// unauthenticated admin API POST /dev/world.
	WorldLoader WorldLoader
}

// Deps are the services the gateway translates to.
type Deps struct {
	DB       *bun.DB
	Registry *registry.Service
	PDP      *pdp.Engine
	// Events feeds GraphQL subscriptions and tells readiness whether the
	// change listener is connected; nil disables both.
	Events *db.Listener
	// Verifier checks bearer tokens; New makes one from Config.TrustedIssuers
	// when nil. Share one with the PDP so both use the verified-token cache.
	Verifier *Verifier
	Logger   *slog.Logger
}

// Server is the gateway's http.Handler.
type Server struct {
	cfg      Config
	deps     Deps
	logger   *slog.Logger
	verifier *Verifier
	handler  http.Handler
	draining atomic.Bool
	metrics  *metrics.Registry // nil when disabled
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
		s.verifier = NewVerifier(cfg.TrustedIssuers, nil, cfg.Now, logger)
	}
	s.handler = s.routes()
	return s
}

// Metrics is the registry /metrics serves, for other parts of the process
// to add to; nil when Config.DisableMetrics is set.
func (s *Server) Metrics() *metrics.Registry { return s.metrics }

// Verifier is the gateway's token verifier (the PDP uses it for tokens).
func (s *Server) Verifier() *Verifier { return s.verifier }

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
	gql := s.authenticate(s.graphqlHandler())
	mux.Handle("/graphql", gql)
	if s.cfg.GraphQL.Introspection {
		mux.Handle("GET /graphql/schema.graphql", handleSchemaSDL(schemaSDL()))
	}
	s.restRoutes(mux)
	if s.deps.PDP != nil {
		mux.Handle("POST /authorization/api/v1/authorize", s.authenticate(http.HandlerFunc(s.handleAuthorize)))
	}
	if s.cfg.WorldLoader != nil {
		mux.HandleFunc("POST /dev/world", s.handleDevWorld)
	}
	gi := graphiql.Handler("/graphql", "/graphql")
	mux.Handle("GET /{$}", gi)
	mux.Handle("GET "+graphiql.AssetPrefix, gi)
	h := s.cfg.CORSOrigins.handler(s.recoverer(bodyLimit(mux)))
	if s.cfg.DisableMetrics {
		return h
	}
	s.metrics = metrics.NewRegistry()
	s.registerDeps(s.metrics)
	mux.Handle("GET /metrics", s.metrics.Handler())
	return newHTTPMetrics(s.metrics).instrument(h)
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
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.ErrorContext(r.Context(), "http panic", "panic", p, "path", r.URL.Path)
				writeProblem(w, r, errInternalPanic)
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
	if err := db.Ping(ctx, s.deps.DB); err != nil {
		checks["database"], ready = err.Error(), false
	} else if m, err := db.NewMigrator(s.deps.DB); err != nil {
		checks["migrations"], ready = err.Error(), false
	} else if n, err := m.Pending(ctx); err != nil {
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
