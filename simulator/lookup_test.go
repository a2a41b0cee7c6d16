package simulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// A stand-in for the gateway's byExternalId endpoint; it checks what the
// simulator sends and answers with Altinn's External DTO or 404.
func TestHTTPSystemUserLookup(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var srv *Server
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/authentication/api/v1/systemuser/byExternalId" {
			http.NotFound(w, r)
			return
		}
		c, err := srv.Issuer().VerifyMaskinporten(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil || !slices.Contains(strings.Fields(c.Scope), LookupScope) || c.Consumer.ID != "0192:"+testVendor {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		q := r.URL.Query()
		if q.Get("clientId") != testClientID || q.Get("systemProviderOrgNo") != testVendor || q.Get("externalRef") != q.Get("systemUserOwnerOrgNo") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if q.Get("systemUserOwnerOrgNo") != testCustomer {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "704013ee-e82a-433e-83c5-a40e6e00d746", "integrationTitle": "SmartCloud",
			"systemId": testVendor + "_smartcloud", "productName": testVendor + "_smartcloud", "reporteeOrgNo": testCustomer,
			"created": "2024-11-15T09:36:50.451886Z", "isDeleted": false, "supplierName": "",
			"supplierOrgno": testVendor, "externalRef": testCustomer, "userType": "standard",
		})
	}))
	t.Cleanup(gw.Close)
	e := newEnv(t, func(c *Config) { c.Lookup = nil; c.GatewayURL = gw.URL; c.OrgNumber = testVendor })
	srv = e.srv
	for _, tt := range []struct {
		name, org string
		status    int
	}{
		{"OK", testCustomer, http.StatusOK},
		{"OKTokenReused", testCustomer, http.StatusOK},
		{"ErrNoSystemUser", "999999999", http.StatusBadRequest},
	} {
		g := e.grant()
		g["authorization_details"] = []any{map[string]any{"type": SystemUserType, "systemuser_org": map[string]any{"authority": AuthorityISO6523, "ID": "0192:" + tt.org}}}
		r := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, g))
		if r.status != tt.status {
			t.Fatalf("%s: status %d %v", tt.name, r.status, r.body)
		}
		if tt.status == http.StatusOK {
			var c MaskinportenClaims
			claimsOf(t, e, r.body["access_token"].(string), &c)
			if c.AuthorizationDetails[0].SystemUserID[0] != "704013ee-e82a-433e-83c5-a40e6e00d746" || c.AuthorizationDetails[0].SystemID != testVendor+"_smartcloud" {
				t.Errorf("%s: authorization_details %+v", tt.name, c.AuthorizationDetails)
			}
		} else if r.body["error"] != "invalid_altinn_customer_configuration" {
			t.Errorf("%s: body %v", tt.name, r.body)
		}
	}
	if calls.Load() != 3 {
		t.Errorf("gateway calls = %d, want 3", calls.Load())
	}
}

func TestHTTPSystemUserLookupGatewayDown(t *testing.T) {
	t.Parallel()
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	t.Cleanup(gw.Close)
	e := newEnv(t, func(c *Config) { c.Lookup = nil; c.GatewayURL = gw.URL })
	g := e.grant()
	g["authorization_details"] = []any{map[string]any{"type": SystemUserType, "systemuser_org": map[string]any{"ID": "0192:" + testCustomer}}}
	r := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, g))
	if r.status != http.StatusServiceUnavailable || r.header.Get(ReasonHeader) != ErrLookupFailed.ID {
		t.Fatalf("status %d %v", r.status, r.body)
	}
}
