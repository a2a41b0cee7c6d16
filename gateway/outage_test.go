package gateway_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// A gateway whose database cannot be reached answers what a client can act
// on: REST 503 with Retry-After, GraphQL UNAVAILABLE (retryable), and
// authorize 200 Indeterminate; never the database's error text.
func TestDatabaseUnavailable(t *testing.T) {
	t.Parallel()
	bdb := bun.NewDB(sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN("postgres://postgres@127.0.0.1:1/down?sslmode=disable"))), pgdialect.New())
	t.Cleanup(func() { bdb.Close() })
	keys := gatewaytest.TrustedKeySet(t)
	trusted := []auth.TrustedIssuer{{Issuer: gatewaytest.Issuer, JWKSURL: gatewaytest.PublishJWKS(t, keys)}}
	engine := pdp.New(bdb, pdp.Options{Verifier: auth.NewVerifier(trusted, nil, nil, nil)})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_ = engine.Close(ctx) // the log cannot be written: Close gives up at its deadline
	})
	verifier := auth.NewVerifier(trusted, nil, nil, nil)
	gw := gateway.New(gateway.Config{TrustedIssuers: trusted}, gateway.Deps{DB: db.Probe{DB: bdb}, PDP: engine, Verifier: verifier,
		Registry: registry.New(bdb, registry.Options{PublicURL: "http://gateway.test"})})
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	issuer := simulator.NewIssuer(keys, simulator.IssuerOptions{Issuer: gatewaytest.Issuer})
	tok, err := issuer.IssueMaskinporten(context.Background(), simulator.MaskinportenGrant{
		ClientID: "so", ConsumerOrg: "923609016", Scopes: []string{identity.ScopeAuthorize, identity.ScopeSystemRegisterWrite}})
	if err != nil {
		t.Fatal(err)
	}

	do := func(method, path, token, contentType, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	noDBText := func(what, body string) {
		t.Helper()
		for _, leak := range []string{"dial", "refused", "127.0.0.1", "pgdriver", "SQLSTATE"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s leaks %q: %s", what, leak, body)
			}
		}
	}

	t.Run("REST", func(t *testing.T) {
		resp, body := do("GET", "/authentication/api/v1/systemregister/vendor", tok.AccessToken, "", "")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("got %d Retry-After %q %s: %s, want 503 problem+json with Retry-After",
				resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"), body)
		}
		noDBText("REST", body)
	})
	t.Run("GraphQL", func(t *testing.T) {
		resp, body := do("POST", "/graphql", "", "application/json", `{"query":"{ resources(first: 1) { totalCount } }"}`)
		var out struct {
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Errors) == 0 {
			t.Fatalf("%d %s: want a GraphQL error", resp.StatusCode, body)
		}
		ext := out.Errors[0].Extensions
		if ext["code"] != "UNAVAILABLE" || ext["retryable"] != true {
			t.Errorf("extensions %v, want code UNAVAILABLE, retryable true", ext)
		}
		noDBText("GraphQL", body)
	})
	t.Run("Authorize", func(t *testing.T) {
		xacml := `{"Request":{"AccessSubject":[{"Attribute":[{"AttributeId":"urn:altinn:systemuser:uuid","Value":"` +
			"0195f7a2-7c4e-7b1e-9a55-1a2b3c4d5e6f" + `"}]}],"Action":[{"Attribute":[{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":"read"}]}],` +
			`"Resource":[{"Attribute":[{"AttributeId":"urn:altinn:resource","Value":"ske-krav"},{"AttributeId":"urn:altinn:organization:identifier-no","Value":"313775429"}]}]}}`
		resp, body := do("POST", "/authorization/api/v1/authorize", tok.AccessToken, "application/json", xacml)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Indeterminate") {
			t.Errorf("got %d %s, want 200 Indeterminate", resp.StatusCode, body)
		}
		if !strings.Contains(body, "PROCESSING_ERROR") && !strings.Contains(body, "could not be made") {
			t.Errorf("Indeterminate for another reason than the outage: %s", body)
		}
	})
}
