package pdp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/registry"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const (
	vendorOrg      = "991825827"
	ownerOrg       = "310000000"
	facilitatorOrg = "310000019"
	clientOrg      = "310000027"
	client2Org     = "310000035"
	otherOrg       = "310000043"
	callerOrg      = "310000051"
	systemID       = vendorOrg + "_ledger"
	deadSystemID   = vendorOrg + "_gone"
	pkgURN         = "urn:altinn:accesspackage:skattnaering"
	scope          = "ske:krav"
)

// fixture is one database with a standard and an agent system user and
// their grants, inserted directly (the registry is not under test).
type fixture struct {
	bdb                                    *bun.DB
	standard, agent, deleted, onDeadSystem uuid.UUID
}

func mustExec(tb testing.TB, bdb bun.IDB, q string, args ...any) {
	tb.Helper()
	if _, err := bdb.ExecContext(context.Background(), q, args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	return seed(tb, dbtest.New(tb))
}

func seed(tb testing.TB, bdb *bun.DB) *fixture {
	tb.Helper()
	f := &fixture{bdb: bdb}
	for _, org := range []string{vendorOrg, ownerOrg, facilitatorOrg, clientOrg, client2Org, otherOrg, callerOrg} {
		mustExec(tb, bdb, "INSERT INTO organizations (org_number, name) VALUES (?, ?)", org, "org "+org)
	}
	for _, r := range []struct{ id, scope string }{{"ske-krav", ""}, {"scoped-res", scope}, {"pkg-res", ""}} {
		mustExec(tb, bdb, `INSERT INTO resources (id, owner_org, title_nb, title_nn, title_en, required_scope)
			VALUES (?, ?, 't', 't', 't', NULLIF(?, ''))`, r.id, callerOrg, r.scope)
		mustExec(tb, bdb, "INSERT INTO resource_actions VALUES (?, 'read'), (?, 'write')", r.id, r.id)
	}
	mustExec(tb, bdb, "INSERT INTO access_packages (urn, name) VALUES (?, 'Skatt')", pkgURN)
	mustExec(tb, bdb, "INSERT INTO access_package_resources VALUES (?, 'pkg-res')", pkgURN)
	for _, s := range []string{systemID, deadSystemID} {
		mustExec(tb, bdb, `INSERT INTO systems (id, vendor_org, name_nb, name_nn, name_en) VALUES (?, ?, 'S', 'S', 'S')`, s, vendorOrg)
	}
	f.standard = f.newSystemUser(tb, systemID, ownerOrg, registry.TypeStandard)
	mustExec(tb, bdb, "INSERT INTO system_user_rights VALUES (?, 'ske-krav', 'read'), (?, 'scoped-res', NULL)", f.standard, f.standard)
	mustExec(tb, bdb, "INSERT INTO system_user_access_packages VALUES (?, ?)", f.standard, pkgURN)

	f.agent = f.newSystemUser(tb, systemID, facilitatorOrg, registry.TypeAgent)
	mustExec(tb, bdb, "INSERT INTO system_user_access_packages VALUES (?, ?)", f.agent, pkgURN)
	mustExec(tb, bdb, "INSERT INTO client_relationships (client_org, facilitator_org, role, package_urn) VALUES (?, ?, 'REGN', ?)",
		clientOrg, facilitatorOrg, pkgURN)
	// client2 is delegated but gives the facilitator no package.
	mustExec(tb, bdb, "INSERT INTO client_delegations (system_user_id, client_org) VALUES (?, ?), (?, ?)",
		f.agent, clientOrg, f.agent, client2Org)

	f.deleted = f.newSystemUser(tb, systemID, otherOrg, registry.TypeStandard)
	mustExec(tb, bdb, "UPDATE system_users SET deleted_at = now() WHERE id = ?", f.deleted)
	f.onDeadSystem = f.newSystemUser(tb, deadSystemID, ownerOrg, registry.TypeStandard)
	mustExec(tb, bdb, "INSERT INTO system_user_rights VALUES (?, 'ske-krav', 'read')", f.onDeadSystem)
	mustExec(tb, bdb, "UPDATE systems SET is_deleted = true WHERE id = ?", deadSystemID)
	return f
}

func (f *fixture) newSystemUser(tb testing.TB, system, owner, typ string) uuid.UUID {
	tb.Helper()
	id := uuid.New()
	mustExec(tb, f.bdb, `INSERT INTO system_users (id, integration_title, system_id, owner_org, external_ref, user_type)
		VALUES (?, 'title', ?, ?, ?, ?)`, id, system, owner, id.String(), typ)
	return id
}

// startEngine runs an engine with a listener on bdb until the test ends
// and waits until its cache is live.
func startEngine(tb testing.TB, bdb *bun.DB, opts Options) *Engine {
	tb.Helper()
	ln := db.NewListenerWithOptions(bdb, slog.New(slog.DiscardHandler), db.ListenerOptions{PingInterval: 500 * time.Millisecond})
	opts.Listener = ln
	e := New(bdb, opts)
	ctx, cancel := context.WithCancel(context.Background())
	lnDone, eDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(lnDone); _ = ln.Run(ctx) }()
	go func() { defer close(eDone); _ = e.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		<-eDone
		<-lnDone
		if err := e.Close(context.Background()); err != nil {
			tb.Errorf("close engine: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !e.cache.isLive() {
		if time.Now().After(deadline) {
			tb.Fatal("engine cache not live within 10s")
		}
		time.Sleep(time.Millisecond) // polling with a deadline: nothing to wait on
	}
	return e
}

func newEngine(tb testing.TB, bdb *bun.DB, opts Options) *Engine {
	tb.Helper()
	e := New(bdb, opts)
	tb.Cleanup(func() {
		if err := e.Close(context.Background()); err != nil {
			tb.Errorf("close engine: %v", err)
		}
	})
	return e
}

// queryCounter counts the SQL statements a DB runs, except those of the
// engine's own goroutines: decision-log inserts and the listener's pings.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}
func (q *queryCounter) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	if !strings.HasPrefix(ev.Query, `INSERT INTO "decisions"`) && !dbtest.IsListenerPing(ev.Query) {
		q.n.Add(1)
	}
}

// tokens signs real RS256 system-user tokens and verifies them as the
// gateway's verifier would.
type tokens struct {
	key *rsa.PrivateKey
	now func() time.Time
}

func newTokens(tb testing.TB) *tokens {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return &tokens{key: key, now: time.Now}
}

// testKid names the signing key in tokens and the JWKS alike.
const testKid = "pdp-test"

type authzDetail struct {
	Type         string   `json:"type"`
	SystemUserID []string `json:"systemuser_id"`
}

type tokenClaims struct {
	jwt.Claims
	Scope                string        `json:"scope,omitempty"`
	AuthorizationDetails []authzDetail `json:"authorization_details,omitempty"`
}

func (tk *tokens) sign(tb testing.TB, key *rsa.PrivateKey, systemUser uuid.UUID, scopes string, ttl time.Duration) string {
	tb.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: testKid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatal(err)
	}
	now := tk.now()
	c := tokenClaims{
		Claims:               jwt.Claims{Issuer: "https://sim.test/", Audience: jwt.Audience{"unspecified"}, IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ttl))},
		Scope:                scopes,
		AuthorizationDetails: []authzDetail{{Type: "urn:altinn:systemuser", SystemUserID: []string{systemUser.String()}}},
	}
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// verifier is the gateway's verifier trusting tk's key, published by an
// httptest JWKS server.
func (tk *tokens) verifier(tb testing.TB) *auth.Verifier {
	tb.Helper()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &tk.key.PublicKey, KeyID: testKid, Algorithm: string(jose.RS256), Use: "sig"}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(set)
	}))
	tb.Cleanup(srv.Close)
	return auth.NewVerifier([]auth.TrustedIssuer{{Issuer: "https://sim.test/", JWKSURL: srv.URL}}, nil, tk.now, nil)
}

// currentCatalog is the catalog the cache holds, nil when it holds none; a
// new pointer means the cache was dropped and the catalog read again.
func (c *cache) currentCatalog() *catalog {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.catalog
}
