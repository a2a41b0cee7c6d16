package simulator

import (
	"cmp"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/systemuser-gateway/systemuser/metrics"
)

// Config configures a Server. Zero values get the defaults noted.
type Config struct {
	// Issuer is the iss of every token and the aud assertions must carry,
	// exactly. It is configured, never derived from the Host header, so a
	// token fetched through a mapped port carries the iss the gateway expects.
	// Default DefaultIssuer. Must end with "/" like Maskinporten's.
	Issuer string
	// GatewayURL is where system users are looked up (used when Lookup is nil).
	GatewayURL string
	// OrgNumber is the simulator's own organisation: the consumer of the token
	// it uses for lookups. Default 991825827 (Digdir).
	OrgNumber string
	// TokenLifetime of Maskinporten tokens, default 120 s.
	TokenLifetime time.Duration
	// PersonTokenLifetime of dev-login tokens, default 1 h.
	PersonTokenLifetime time.Duration
	// PersonAudience is the aud of dev-login tokens, default "systemuser-gateway".
	PersonAudience string
	// Leeway for assertion iat/exp/nbf, default 10 s.
	Leeway time.Duration
	// MaxAssertionLifetime bounds exp - iat, default 120 s.
	MaxAssertionLifetime time.Duration
	// ReplayCacheSize bounds the in-memory replay store (used when Replay is
	// nil), default 100 000 live grants.
	ReplayCacheSize int
	// DevEndpoints serves the client admin API (/admin/clients) and
	// /person-token; without it they are 404 (devendpoints.go).
	DevEndpoints bool
	// AdminOpen serves /admin without a token. Only for a local dev stack:
	// bootstrapping needs a client before anyone can hold an admin token.
	AdminOpen bool
	// AllowPrivilegedScopes lets the admin API create, rotate and delete
	// clients holding privileged scopes (privilegedScope).
	AllowPrivilegedScopes bool
	// TrustedCAs are the roots of enterprise certificates (x5c grants);
	// nil refuses every x5c grant (x5c.go).
	TrustedCAs *x509.CertPool
	// LoginRedirectHosts are the hosts (host or host:port) the dev login may
	// send a person token to, besides loopback hosts which are always allowed.
	LoginRedirectHosts []string
	// DisableMetrics turns off GET /metrics and the request and token
	// instrumentation (on by default).
	DisableMetrics bool
	// Control serves the control API and the debugger page under
	// simctl.Prefix (faults, request log, clock, keys, clients, claims).
	// Off, those paths answer 404. Only for test and dev stacks.
	Control bool
	// ClientKeyDir holds private keys (<client id>.jwk) the debugger page may
	// sign with, e.g. the demo seed's key directory. Optional.
	ClientKeyDir string

	Keys       *KeySet          // required
	Clients    ClientStore      // default: empty in-memory store
	Persons    PersonStore      // default: empty in-memory store
	Lookup     SystemUserLookup // default: HTTP lookup against GatewayURL
	Replay     ReplayStore      // default: in memory, ReplayCacheSize entries
	HTTPClient *http.Client     // for the default lookup
	Logger     *slog.Logger
	Now        func() time.Time
	Rand       io.Reader
}

// Server is the Maskinporten simulator's http.Handler.
type Server struct {
	cfg      Config
	log      *slog.Logger
	issuer   *Issuer
	clients  ClientStore
	persons  PersonStore
	lookup   SystemUserLookup
	verifier *assertionVerifier
	replay   ReplayStore
	mux      *http.ServeMux
	handler  http.Handler
	metadata []byte
	registry *prometheus.Registry // nil when metrics are off
	tokens   *tokenMetrics        // nil when metrics are off
	ctl      *control
	baseNow  func() time.Time // the configured clock, without the control offset
	patterns []string         // every route served, for the OpenAPI test
}

func NewServer(cfg Config) (*Server, error) {
	if cfg.Keys == nil {
		return nil, errors.New("simulator: Config.Keys is required")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if !strings.HasSuffix(cfg.Issuer, "/") || !(strings.HasPrefix(cfg.Issuer, "http://") || strings.HasPrefix(cfg.Issuer, "https://")) {
		return nil, errors.New("simulator: Issuer must be an http(s) URL ending with /")
	}
	if cfg.OrgNumber == "" {
		cfg.OrgNumber = "991825827"
	}
	if !isOrgNumber(cfg.OrgNumber) {
		return nil, errors.New("simulator: OrgNumber must be 9 digits")
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = 10 * time.Second
	}
	if cfg.MaxAssertionLifetime <= 0 {
		cfg.MaxAssertionLifetime = 120 * time.Second
	}
	if cfg.ReplayCacheSize <= 0 {
		cfg.ReplayCacheSize = 100_000
	}
	if cfg.Clients == nil {
		cfg.Clients = NewMemoryClientStore()
	}
	if cfg.Persons == nil {
		cfg.Persons = NewMemoryPersonStore()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, clients: cfg.Clients, persons: cfg.Persons}
	s.ctl, s.baseNow = newControl(cmp.Or(cfg.TokenLifetime, 120*time.Second)), cfg.Now
	cfg.Now = s.ctl.clock(cfg.Now) // every expiry check and token sees the offset
	s.cfg.Now = cfg.Now
	s.issuer = NewIssuer(cfg.Keys, IssuerOptions{
		Issuer:              cfg.Issuer,
		TokenLifetime:       cfg.TokenLifetime,
		PersonTokenLifetime: cfg.PersonTokenLifetime,
		PersonAudience:      cfg.PersonAudience,
		Now:                 cfg.Now,
		Rand:                cfg.Rand,
	})
	s.lookup = cfg.Lookup
	if s.lookup == nil {
		self := &selfToken{issuer: s.issuer, now: cfg.Now, grant: MaskinportenGrant{
			ClientID: "systemuser-simulator", ConsumerOrg: cfg.OrgNumber, Scopes: []string{LookupScope},
		}}
		s.lookup = &HTTPSystemUserLookup{BaseURL: cfg.GatewayURL, Client: cfg.HTTPClient, Token: self.get}
	}
	s.replay = cfg.Replay
	if s.replay == nil {
		s.replay = NewMemoryReplayStore(cfg.ReplayCacheSize)
	}
	s.verifier = &assertionVerifier{
		log: s.log, issuer: cfg.Issuer, clients: cfg.Clients, replay: s.replay, roots: cfg.TrustedCAs,
		leeway: cfg.Leeway, maxLifetime: cfg.MaxAssertionLifetime, now: cfg.Now,
	}
	md, err := json.Marshal(s.discovery())
	if err != nil {
		return nil, err
	}
	s.metadata = md
	s.routes()
	return s, nil
}

// Issuer mints and verifies this server's tokens.
func (s *Server) Issuer() *Issuer { return s.issuer }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes() {
	m := &routeRecorder{ServeMux: http.NewServeMux()}
	if !s.cfg.DisableMetrics {
		s.registry = metrics.NewRegistry()
		s.tokens = newTokenMetrics(s.registry)
		// On the mux itself, not the recorder: /metrics is operations, not
		// part of the API the OpenAPI document describes.
		m.ServeMux.Handle("GET /metrics", metrics.Handler(s.registry))
	}
	m.HandleFunc("GET /.well-known/oauth-authorization-server", s.handleMetadata)
	m.HandleFunc("GET /jwk", s.handleJWKS)
	m.Handle("POST /token", s.tokens.wrap(kindMaskinporten, s.tokenHandler()))
	m.HandleFunc("GET /openapi.json", s.handleOpenAPI)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	m.HandleFunc("GET /login", s.handleLoginPage)
	m.HandleFunc("POST /login", s.handleLoginSubmit)
	if s.cfg.DevEndpoints {
		s.devRoutes(m)
	}
	if s.cfg.Control {
		s.controlRoutes(m)
	}
	// Not a route of its own (not recorded for the OpenAPI check): it
	// answers the mux's 404 and 405 as JSON.
	m.ServeMux.Handle("/", notFound(m.ServeMux))
	s.mux, s.patterns = m.ServeMux, m.patterns
	s.handler = s.mux
	if s.registry != nil {
		s.handler = metrics.NewHTTP(s.registry, "systemuser_simulator").Handler(s.mux)
	}
}

// discovery has exactly the members of test Maskinporten's document
// (ALTINN-REFERENCE §5.1b), with our URLs.
func (s *Server) discovery() any {
	return struct {
		Issuer                        string   `json:"issuer"`
		TokenEndpoint                 string   `json:"token_endpoint"`
		JWKSURI                       string   `json:"jwks_uri"`
		GrantTypes                    []string `json:"grant_types_supported"`
		AuthMethods                   []string `json:"token_endpoint_auth_methods_supported"`
		AuthSigningAlgs               []string `json:"token_endpoint_auth_signing_alg_values_supported"`
		AuthorizationDetailsSupported []string `json:"authorization_details_types_supported"`
	}{
		Issuer:                        s.cfg.Issuer,
		TokenEndpoint:                 s.cfg.Issuer + "token",
		JWKSURI:                       s.cfg.Issuer + "jwk",
		GrantTypes:                    []string{grantTypeJWTBearer},
		AuthMethods:                   []string{"private_key_jwt"},
		AuthSigningAlgs:               []string{"RS256", "RS384", "RS512"},
		AuthorizationDetailsSupported: []string{SystemUserType, "urn:altinn:consent"},
	}
}

func (s *Server) handleMetadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(s.metadata)
}

func (s *Server) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	// Short: verifiers must pick up a rotated key quickly.
	w.Header().Set("Cache-Control", "public, max-age=60")
	_ = json.NewEncoder(w).Encode(s.cfg.Keys.PublicJWKSAt(s.cfg.Now()))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ReplayCacheLen is the number of grants the in-memory replay store
// remembers (for tests and metrics); 0 with another store.
func (s *Server) ReplayCacheLen() int {
	if m, ok := s.replay.(*MemoryReplayStore); ok {
		return m.Len()
	}
	return 0
}
