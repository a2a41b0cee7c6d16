// Package gatewaytest builds a whole gateway for tests: a fresh database,
// the registry, optionally the PDP and the change listener, a verifier that
// trusts a simulator key set published by a real JWKS server, and the
// gateway behind a real HTTP server. One builder, New, with options, so every
// test of the HTTP faces starts from the same parts.
//
// The calling test package must run dbtest.Main from its TestMain. It stands
// beside e2e (the containerised harness) rather than under gateway/, because
// it wires the database: no package of gateway/ imports db.
package gatewaytest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// Issuer is the "iss" of the tokens Env.Issuer signs.
const Issuer = "http://simulator.test/"

// DefaultPublicURL is the registry's public URL (confirm URLs start with it)
// unless WithLoopbackURL is given.
const DefaultPublicURL = "http://gateway.test"

// Env is a running gateway and its parts.
type Env struct {
	DB       *bun.DB
	Counter  *dbtest.QueryCounter // counts the SQL statements run on DB
	Registry *registry.Service
	PDP      *pdp.Engine  // nil unless WithPDP or WithEvents
	Listener *db.Listener // nil unless WithEvents
	Verifier *auth.Verifier
	Gateway  *gateway.Server
	URL      string // the gateway's base URL
	// Client talks to URL over connections of its own. http.DefaultClient
	// would share http.DefaultTransport, whose idle connections every
	// other test's httptest.Server.Close closes: a parallel test's POST
	// then fails with "CloseIdleConnections called".
	Client *http.Client
	Issuer *simulator.Issuer
	Keys   *simulator.KeySet
	Clock  *Clock         // the registry's clock when WithClock, else nil
	Errors *ErrorRecorder // ERROR records logged by registry, pdp and gateway

	forger jose.JSONWebKey // a key the trusted JWKS also publishes, for Sign
}

type options struct {
	pdp, events, loopback bool
	catalog               bool
	clock                 *Clock
	config                []func(*gateway.Config)
	trust                 []auth.TrustedIssuer
	issuer                simulator.IssuerOptions
}

// Option changes what New builds.
type Option func(*options)

// WithPDP adds the PDP (uncached: no listener), sharing the gateway's verifier.
func WithPDP() Option { return func(o *options) { o.pdp = true } }

// WithEvents adds the change listener and the PDP with its cache, both
// running; New returns once the listener is connected.
func WithEvents() Option { return func(o *options) { o.pdp, o.events = true, true } }

// WithCatalogCache adds what WithEvents adds and serves the registry's
// catalog from memory (registry.RunCatalogCache), as the app does.
func WithCatalogCache() Option {
	return func(o *options) { o.pdp, o.events, o.catalog = true, true, true }
}

// WithClock gives the registry a settable clock (Env.Clock), starting now.
func WithClock() Option { return func(o *options) { o.clock = &Clock{t: time.Now()} } }

// WithConfig edits the gateway's Config before it is built.
func WithConfig(f func(*gateway.Config)) Option {
	return func(o *options) { o.config = append(o.config, f) }
}

// WithLoopbackURL makes the gateway's real URL its public URL (registry and
// gateway), for tests that follow confirm URLs and redirects.
func WithLoopbackURL() Option { return func(o *options) { o.loopback = true } }

// WithTrustedIssuers trusts these issuers besides the test key set.
func WithTrustedIssuers(is ...auth.TrustedIssuer) Option {
	return func(o *options) { o.trust = append(o.trust, is...) }
}

// WithLoaderWait widens the dataloaders' batch window, for tests that count
// SQL statements: a loaded machine must not split a batch.
func WithLoaderWait(d time.Duration) Option {
	return WithConfig(func(c *gateway.Config) { c.GraphQL.LoaderWait = d })
}

// WithTokenLifetime sets the lifetime of the tokens Env.Issuer signs.
func WithTokenLifetime(d time.Duration) Option {
	return func(o *options) { o.issuer.TokenLifetime = d }
}

// New starts a gateway on a fresh database. By default: registry only, real
// clock, introspection on.
func New(tb testing.TB, opts ...Option) *Env {
	tb.Helper()
	var o options
	for _, f := range opts {
		f(&o)
	}
	e := &Env{Counter: &dbtest.QueryCounter{}, Errors: &ErrorRecorder{}, Clock: o.clock}
	e.DB = dbtest.New(tb).WithQueryHook(e.Counter)
	logger := slog.New(e.Errors)
	e.Keys = TrustedKeySet(tb)
	forger, err := simulator.GenerateKey(jose.ES256, nil)
	if err != nil {
		tb.Fatal(err)
	}
	forger.KeyID = "gatewaytest-forger"
	e.forger = forger
	trusted := append([]auth.TrustedIssuer{{Issuer: Issuer, JWKSURL: PublishJWKS(tb, e.Keys, forger.Public())}}, o.trust...)
	o.issuer.Issuer = Issuer
	e.Issuer = simulator.NewIssuer(e.Keys, o.issuer)
	e.Verifier = auth.NewVerifier(trusted, nil, nil, logger)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	e.URL = "http://" + ln.Addr().String()
	publicURL := DefaultPublicURL
	cfg := gateway.Config{TrustedIssuers: trusted,
		GraphQL: gateway.GraphQLConfig{Introspection: true}}
	if o.loopback {
		publicURL, cfg.PublicURL = e.URL, e.URL
	}
	for _, f := range o.config {
		f(&cfg)
	}
	regOpts := registry.Options{PublicURL: publicURL, Logger: logger}
	if o.clock != nil {
		regOpts.Now = o.clock.Now
	}
	e.Registry = registry.New(e.DB, regOpts)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	deps := gateway.Deps{DB: db.Probe{DB: e.DB}, Registry: e.Registry, Verifier: e.Verifier, Logger: logger}
	if o.events {
		e.Listener = db.NewListener(e.DB, nil)
		deps.Events = e.Listener
	}
	if o.pdp {
		e.PDP = pdp.New(e.DB, pdp.Options{Logger: logger, Listener: e.Listener, Verifier: e.Verifier})
		deps.PDP = e.PDP
	}
	if o.events {
		wg.Add(2)
		go func() { defer wg.Done(); _ = e.Listener.Run(ctx) }()
		go func() { defer wg.Done(); _ = e.PDP.Run(ctx) }()
	}
	if o.catalog {
		wg.Add(1)
		go func() { defer wg.Done(); _ = e.Registry.RunCatalogCache(ctx, e.Listener) }()
	}
	e.Gateway = gateway.New(cfg, deps)
	srv := httptest.NewUnstartedServer(e.Gateway)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	e.Client = srv.Client()
	tb.Cleanup(func() {
		srv.Close()
		cancel()
		wg.Wait()
		if e.PDP != nil {
			if err := e.PDP.Close(context.Background()); err != nil {
				tb.Errorf("close pdp: %v", err)
			}
		}
	})
	if o.events {
		// The listener says when it is connected only through its state; a
		// subscription made before would miss the first events.
		deadline := time.Now().Add(10 * time.Second)
		for !e.Listener.Connected() {
			if time.Now().After(deadline) {
				tb.Fatal("listener did not connect")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return e
}

// TrustedKeySet is a fresh simulator key set.
func TrustedKeySet(tb testing.TB) *simulator.KeySet {
	tb.Helper()
	keys, err := simulator.NewKeySet(simulator.KeyOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return keys
}

// PublishJWKS serves keys' public JWKS, and extra keys, over HTTP until the
// test ends and returns its URL.
func PublishJWKS(tb testing.TB, keys *simulator.KeySet, extra ...jose.JSONWebKey) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		set := keys.PublicJWKS()
		set.Keys = append(set.Keys, extra...)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// VendorToken is a real signed Maskinporten token for org with scopes.
func (e *Env) VendorToken(tb testing.TB, org string, scopes ...string) string {
	tb.Helper()
	return e.MaskinportenToken(tb, simulator.MaskinportenGrant{ClientID: "client-" + org, ConsumerOrg: org, Scopes: scopes})
}

// MaskinportenToken signs a token for an arbitrary grant.
func (e *Env) MaskinportenToken(tb testing.TB, g simulator.MaskinportenGrant) string {
	tb.Helper()
	tok, err := e.Issuer.IssueMaskinporten(context.Background(), g)
	if err != nil {
		tb.Fatal(err)
	}
	return tok.AccessToken
}

// PersonToken is a real signed person token for pid.
func (e *Env) PersonToken(tb testing.TB, pid string) string {
	tb.Helper()
	tok, err := e.Issuer.IssuePerson(context.Background(), simulator.Person{PID: pid, Name: "Test Person"})
	if err != nil {
		tb.Fatal(err)
	}
	return tok.AccessToken
}

// SystemUserToken is a token as the simulator issues it to a vendor's
// software acting as a customer's system user.
func (e *Env) SystemUserToken(tb testing.TB, vendor, owner, systemUserID, systemID string, scopes ...string) string {
	tb.Helper()
	return e.MaskinportenToken(tb, simulator.MaskinportenGrant{
		ClientID: "client-" + vendor, ConsumerOrg: vendor, Scopes: scopes,
		SystemUser: &simulator.SystemUserGrant{OwnerOrg: owner, SystemUserID: systemUserID, SystemID: systemID},
	})
}

// Sign signs arbitrary claims with a key the gateway trusts for Issuer, for
// tokens the simulator would not issue (expired, a person's without the
// portal scope). Set "iss" to Issuer for the gateway to accept it.
func (e *Env) Sign(tb testing.TB, claims any) string {
	tb.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: e.forger}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// Serve runs one request in-process (no network), so a panic that escaped
// the gateway's own recoverer fails the test directly.
func (e *Env) Serve(method, path, authorization, contentType string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, body)
	if authorization != "" {
		req.Header["Authorization"] = []string{authorization}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	e.Gateway.ServeHTTP(w, req)
	return w
}

// GraphQLResponse is a decoded GraphQL answer.
type GraphQLResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// GraphQL posts a query over HTTP and decodes the answer; it fails the test
// on a non-200 status.
func (e *Env) GraphQL(tb testing.TB, token, query string, vars map[string]any) GraphQLResponse {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out GraphQLResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatalf("decode (status %d): %v", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("status %d: %+v", resp.StatusCode, out.Errors)
	}
	return out
}

// Clock is a settable clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// ErrorRecorder is a slog handler that keeps the messages of ERROR records:
// an input problem that the gateway logs as an internal error is a finding
// even when the client saw a 4xx.
type ErrorRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *ErrorRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (r *ErrorRecorder) WithAttrs([]slog.Attr) slog.Handler           { return r }
func (r *ErrorRecorder) WithGroup(string) slog.Handler                { return r }
func (r *ErrorRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	r.mu.Lock()
	r.msgs = append(r.msgs, b.String())
	r.mu.Unlock()
	return nil
}

// Take returns and forgets the recorded messages.
func (r *ErrorRecorder) Take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.msgs
	r.msgs = nil
	return out
}
