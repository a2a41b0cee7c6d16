package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// errorRecorder is a slog handler that keeps the messages of ERROR records:
// an input problem that the gateway logs as an internal error is a finding
// even when the client saw a 4xx.
type errorRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *errorRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (r *errorRecorder) WithAttrs([]slog.Attr) slog.Handler           { return r }
func (r *errorRecorder) WithGroup(string) slog.Handler                { return r }
func (r *errorRecorder) Handle(_ context.Context, rec slog.Record) error {
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

// take returns and forgets the recorded messages.
func (r *errorRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.msgs
	r.msgs = nil
	return out
}

// secEnv is a gateway with the PDP on a fresh database, reachable in-process
// (Handler, for fuzz iterations) and over loopback HTTP (URL). Unlike
// newTestEnv it takes a testing.TB so fuzz functions can build one before
// f.Fuzz.
type secEnv struct {
	DB      *bun.DB
	Handler http.Handler
	URL     string
	Issuer  *simulator.Issuer
	Keys    *simulator.KeySet
	Errors  *errorRecorder
	Reg     *registry.Service
}

func newSecEnv(tb testing.TB) *secEnv {
	tb.Helper()
	bdb := dbtest.New(tb)
	keys, trusted := trustedKeySet(tb)
	rec := &errorRecorder{}
	logger := slog.New(rec)
	reg := registry.New(bdb, registry.Options{PublicURL: "http://gateway.test", Logger: logger})
	verifier := auth.NewVerifier(trusted, nil, nil, logger)
	engine := pdp.New(bdb, pdp.Options{Logger: logger, Verifier: verifier})
	gw := gateway.New(gateway.Config{GraphQL: gateway.GraphQLConfig{Introspection: true}},
		gateway.Deps{DB: db.Probe{DB: bdb}, Registry: reg, PDP: engine, Verifier: verifier, Logger: logger})
	srv := httptest.NewServer(gw)
	tb.Cleanup(func() {
		srv.Close()
		_ = engine.Close(context.Background())
	})
	return &secEnv{DB: bdb, Handler: gw, URL: srv.URL, Errors: rec, Keys: keys, Reg: reg,
		Issuer: simulator.NewIssuer(keys, simulator.IssuerOptions{Issuer: testIssuer})}
}

func (e *secEnv) vendorToken(tb testing.TB, org string, scopes ...string) string {
	tb.Helper()
	tok, err := e.Issuer.IssueMaskinporten(context.Background(), simulator.MaskinportenGrant{
		ClientID: "client-" + org, ConsumerOrg: org, Scopes: scopes,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return tok.AccessToken
}

func (e *secEnv) personToken(tb testing.TB, pid string) string {
	tb.Helper()
	tok, err := e.Issuer.IssuePerson(context.Background(), simulator.Person{PID: pid, Name: "Test Person"})
	if err != nil {
		tb.Fatal(err)
	}
	return tok.AccessToken
}

// systemUserToken is a token as the simulator issues it to a vendor's
// software acting as a customer's system user.
func (e *secEnv) systemUserToken(tb testing.TB, vendor, owner, systemUserID, systemID string, scopes ...string) string {
	tb.Helper()
	tok, err := e.Issuer.IssueMaskinporten(context.Background(), simulator.MaskinportenGrant{
		ClientID: "client-" + vendor, ConsumerOrg: vendor, Scopes: scopes,
		SystemUser: &simulator.SystemUserGrant{OwnerOrg: owner, SystemUserID: systemUserID, SystemID: systemID},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return tok.AccessToken
}

// serve runs one request in-process; a panic that escaped the gateway's own
// recoverer would fail the fuzz target directly.
func (e *secEnv) serve(method, path, authorization, contentType string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, body)
	if authorization != "" {
		req.Header["Authorization"] = []string{authorization}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	e.Handler.ServeHTTP(w, req)
	return w
}

// stateTables are the tables whose content a rejected request must leave
// alone. The decision log is left out: logging an answer is not a change.
var stateTables = []string{
	"organizations", "persons", "person_roles", "resources", "resource_actions",
	"access_packages", "access_package_resources", "client_relationships",
	"systems", "system_rights", "system_access_packages", "system_clients", "system_redirect_urls",
	"system_users", "system_user_rights", "system_user_access_packages", "client_delegations",
	"requests", "request_rights", "request_access_packages",
	"change_requests", "change_request_rights", "change_request_access_packages",
}

// snapshot fingerprints every state table's rows in one round trip.
func snapshot(tb testing.TB, bdb *bun.DB) map[string]string {
	tb.Helper()
	parts := make([]string, len(stateTables))
	for i, t := range stateTables {
		parts[i] = "SELECT '" + t + "', count(*)::text || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM " + t + " x"
	}
	rows, err := bdb.QueryContext(context.Background(), strings.Join(parts, " UNION ALL "))
	if err != nil {
		tb.Fatalf("snapshot: %v", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var table, fp string
		if err := rows.Scan(&table, &fp); err != nil {
			tb.Fatalf("snapshot: %v", err)
		}
		out[table] = fp
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("snapshot: %v", err)
	}
	return out
}

// changedTables names the tables whose fingerprint differs.
func changedTables(before, after map[string]string) []string {
	var out []string
	for _, t := range stateTables {
		if before[t] != after[t] {
			out = append(out, t)
		}
	}
	return out
}

// problemOK reports why a 4xx answer is not an Altinn problem document, or "".
func problemOK(status int, header http.Header, body []byte) string {
	if ct := header.Get("Content-Type"); ct != "application/problem+json" {
		return "content type " + ct
	}
	var p problemBody
	if err := json.Unmarshal(body, &p); err != nil {
		return "body is not JSON: " + err.Error()
	}
	if p.Status != status || p.Code == "" || p.Type != "urn:altinn:error:"+p.Code {
		return "problem " + string(body)
	}
	return ""
}

// A person with no role anywhere.
const strangerPID = "03036312345"

// secWorld is what the security suite and the fuzzers attack: vendorOrg's
// system with a new request, an approved request whose system user the
// customer owns, and a new change request on it; otherVendor's own system.
type secWorld struct {
	SystemID, OtherSystemID string
	RequestID               string // new, standard
	AgentRequestID          string // new, agent
	SystemUserID            string // = the approved request's id
	ChangeRequestID         string
}

func seedSecWorld(tb testing.TB, e *secEnv) secWorld {
	tb.Helper()
	ctx := context.Background()
	for _, q := range []string{
		"INSERT INTO organizations (org_number, name) VALUES ('" + vendorOrg + "', 'Vendor AS'), ('" + otherVendor + "', 'Other Vendor AS'), ('" + customerOrg + "', 'Customer AS')",
		"INSERT INTO resources (id, owner_org, title_nb, title_nn, title_en, delegable) VALUES " +
			"('ske-krav-og-betalinger', '" + otherVendor + "', 'Krav', 'Krav', 'Claims', true), ('ske-mva', '" + otherVendor + "', 'Mva', 'Mva', 'VAT', true)",
		"INSERT INTO resource_actions (resource_id, action) VALUES ('ske-krav-og-betalinger', 'read'), ('ske-krav-og-betalinger', 'write'), ('ske-mva', 'read')",
		"INSERT INTO access_packages (urn, name, assignable, delegable) VALUES ('urn:altinn:accesspackage:skattnaering', 'Skatt', true, true), " +
			"('urn:altinn:accesspackage:skattegrunnlag', 'Grunnlag', true, true)",
		"INSERT INTO access_package_resources (package_urn, resource_id) VALUES ('urn:altinn:accesspackage:skattnaering', 'ske-mva')",
		"INSERT INTO persons (pid, name) VALUES ('" + adminPID + "', 'Kari Nordmann'), ('" + strangerPID + "', 'Ola Fremmed')",
		"INSERT INTO person_roles (pid, org_number, role) VALUES ('" + adminPID + "', '" + customerOrg + "', 'DAGL')",
	} {
		if _, err := e.DB.ExecContext(ctx, q); err != nil {
			tb.Fatalf("seed: %v", err)
		}
	}
	w := secWorld{SystemID: "991825827_my-system", OtherSystemID: otherVendor + "_other"}
	vendor := e.vendorToken(tb, vendorOrg, append(srWrite, reqWrite...)...)
	other := e.vendorToken(tb, otherVendor, srWrite...)
	otherSystem := strings.NewReplacer("991825827_my-system", w.OtherSystemID, "0192:991825827", "0192:"+otherVendor,
		"f2a6f9c4-1111-4c1e-9c5e-7d9c1c0a0001", "f2a6f9c4-2222-4c1e-9c5e-7d9c1c0a0002").Replace(requestSystem)
	mustServe(tb, e, "POST", "/authentication/api/v1/systemregister/vendor", vendor, requestSystem, http.StatusOK, nil)
	mustServe(tb, e, "POST", "/authentication/api/v1/systemregister/vendor", other, otherSystem, http.StatusOK, nil)
	var req, approved, agent requestJSON
	const base = "/authentication/api/v1/systemuser/request/vendor"
	mustServe(tb, e, "POST", base, vendor, requestSample, http.StatusCreated, &req)
	mustServe(tb, e, "POST", base, vendor, strings.Replace(requestSample, "customer-313775429", "approved-ref", 1), http.StatusCreated, &approved)
	mustServe(tb, e, "POST", base+"/agent", vendor,
		`{"systemId":"991825827_my-system","partyOrgNo":"313775429","accessPackages":[{"urn":"urn:altinn:accesspackage:skattnaering"}]}`, http.StatusCreated, &agent)
	su, err := e.Reg.ApproveRequest(asPerson(adminPID), uuid.MustParse(approved.ID))
	if err != nil {
		tb.Fatalf("approve: %v", err)
	}
	var cr struct{ ID string }
	mustServe(tb, e, "POST", "/authentication/api/v1/systemuser/changerequest/vendor?correlation-id=6d1c8d8e-0000-4c1e-9c5e-7d9c1c0a0003&system-user-id="+su.ID.String(),
		vendor, `{"requiredRights":[{"resource":[{"id":"urn:altinn:resource","value":"ske-mva"}]}]}`, http.StatusCreated, &cr)
	w.RequestID, w.AgentRequestID, w.SystemUserID, w.ChangeRequestID = req.ID, agent.ID, su.ID.String(), cr.ID
	return w
}

// mustServe sends a request in-process and decodes a JSON answer into out.
func mustServe(tb testing.TB, e *secEnv, method, path, token, body string, want int, out any) {
	tb.Helper()
	auth := ""
	if token != "" {
		auth = "Bearer " + token
	}
	w := e.serve(method, path, auth, "application/json", strings.NewReader(body))
	if w.Code != want {
		tb.Fatalf("%s %s: status %d, want %d: %s", method, path, w.Code, want, w.Body)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			tb.Fatalf("%s %s: decode %s: %v", method, path, w.Body, err)
		}
	}
}
