package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/simulator"
)

const testIssuer = "http://simulator.test/"

// testEnv is a gateway on a fresh database, trusting a real simulator key
// set published by an httptest JWKS server.
type testEnv struct {
	DB      *bun.DB
	Counter *dbtest.QueryCounter
	URL     string
	Issuer  *simulator.Issuer
	Keys    *simulator.KeySet
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	bdb := dbtest.New(t)
	counter := &dbtest.QueryCounter{}
	bdb = bdb.WithQueryHook(counter)
	keys, trusted := trustedKeySet(t)
	reg := registry.New(bdb, registry.Options{PublicURL: "http://gateway.test"})
	gw := gateway.New(gateway.Config{
		TrustedIssuers: trusted,
		GraphQL:        gateway.GraphQLConfig{Introspection: true, LoaderWait: 50 * time.Millisecond},
	}, gateway.Deps{DB: db.Probe{DB: bdb}, Registry: reg})
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return &testEnv{DB: bdb, Counter: counter, URL: srv.URL, Keys: keys,
		Issuer: simulator.NewIssuer(keys, simulator.IssuerOptions{Issuer: testIssuer})}
}

// trustedKeySet is a fresh simulator key set published by an httptest JWKS
// server, and the trusted-issuer list a gateway needs to accept its tokens.
func trustedKeySet(tb testing.TB) (*simulator.KeySet, []auth.TrustedIssuer) {
	tb.Helper()
	keys, err := simulator.NewKeySet(simulator.KeyOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(keys.PublicJWKS())
	}))
	tb.Cleanup(jwks.Close)
	return keys, []auth.TrustedIssuer{{Issuer: testIssuer, JWKSURL: jwks.URL}}
}

// vendorToken is a real signed Maskinporten token for org with scopes.
func (e *testEnv) vendorToken(t *testing.T, org string, scopes ...string) string {
	t.Helper()
	tok, err := e.Issuer.IssueMaskinporten(context.Background(), simulator.MaskinportenGrant{
		ClientID: "client-" + org, ConsumerOrg: org, Scopes: scopes,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func (e *testEnv) personToken(t *testing.T, pid string) string {
	t.Helper()
	tok, err := e.Issuer.IssuePerson(context.Background(), simulator.Person{PID: pid, Name: "Test Person"})
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// graphql posts a query and decodes the response; it fails the test on a
// non-200 status.
func (e *testEnv) graphql(t *testing.T, token, query string, vars map[string]any) gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode (status %d): %v", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %+v", resp.StatusCode, out.Errors)
	}
	return out
}

func mustExec(t *testing.T, bdb *bun.DB, models ...any) {
	t.Helper()
	for _, m := range models {
		if _, err := bdb.NewInsert().Model(m).Exec(context.Background()); err != nil {
			t.Fatalf("insert %T: %v", m, err)
		}
	}
}

// validOrgNumbers returns n valid (mod-11) organisation numbers.
func validOrgNumbers(n int) []string {
	var out []string
	weights := []int{3, 2, 7, 6, 5, 4, 3, 2}
	for base := 31000000; len(out) < n; base++ {
		digits := fmt.Sprintf("%08d", base)
		sum := 0
		for i, w := range weights {
			sum += int(digits[i]-'0') * w
		}
		r := sum % 11
		if r == 1 {
			continue
		}
		check := 0
		if r != 0 {
			check = 11 - r
		}
		out = append(out, fmt.Sprintf("%s%d", digits, check))
	}
	return out
}

// world inserts a service owner with two resources (read/write) in one
// package, and n vendors each with one visible system asking for both
// resources and the package, and one system user owned by owner.
func world(t *testing.T, bdb *bun.DB, n int, owner string) (systems []string) {
	t.Helper()
	orgs := validOrgNumbers(n + 2)
	so := orgs[n]
	if owner == "" {
		owner = orgs[n+1]
	}
	mustExec(t, bdb, &db.Organization{OrgNumber: so, Name: "Service Owner"})
	if owner == orgs[n+1] {
		mustExec(t, bdb, &db.Organization{OrgNumber: owner, Name: "Owner AS"})
	}
	for _, r := range []string{"res-a", "res-b"} {
		mustExec(t, bdb, &db.Resource{ID: r, OwnerOrg: so, TitleNB: r, TitleNN: r, TitleEN: r, Delegable: true},
			&db.ResourceAction{ResourceID: r, Action: "read"}, &db.ResourceAction{ResourceID: r, Action: "write"})
	}
	pkg := "urn:altinn:accesspackage:test-pakke"
	mustExec(t, bdb, &db.AccessPackage{URN: pkg, Name: "Test", Assignable: true, Delegable: true},
		&db.AccessPackageResource{PackageURN: pkg, ResourceID: "res-a"})
	for i := 0; i < n; i++ {
		vendor := orgs[i]
		id := vendor + "_sys"
		mustExec(t, bdb, &db.Organization{OrgNumber: vendor, Name: fmt.Sprintf("Vendor %d", i)},
			&db.System{ID: id, VendorOrg: vendor, NameNB: "S", NameNN: "S", NameEN: "S", IsVisible: true},
			&db.SystemRight{SystemID: id, ResourceID: "res-a", Action: "read"},
			&db.SystemRight{SystemID: id, ResourceID: "res-b"},
			&db.SystemAccessPackage{SystemID: id, PackageURN: pkg},
		)
		su := &db.SystemUser{IntegrationTitle: "su", SystemID: id, OwnerOrg: owner, ExternalRef: owner, UserType: "standard"}
		if _, err := bdb.NewInsert().Model(su).Returning("id").Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		mustExec(t, bdb, &db.SystemUserRight{SystemUserID: su.ID, ResourceID: "res-a", Action: "read"},
			&db.SystemUserAccessPackage{SystemUserID: su.ID, PackageURN: pkg})
		systems = append(systems, id)
	}
	return systems
}
