package gateway_test

import (
	"encoding/json"
	"testing"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
)

// TestVendorWithoutAltinnScopeSeesNoCustomers: a token the vendor's software
// sends to a service owner (no Altinn scope) must not list the vendor's
// system users (its customers) nor its systems' client ids and redirect
// URLs; the same vendor managing its systems sees them.
func TestVendorWithoutAltinnScopeSeesNoCustomers(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithPDP())
	w := seedSecWorld(t, e)
	const query = `query($id: ID!) { systemUsers { totalCount } system(id: $id) { clientIds redirectUrls systemUsers { totalCount } } }`
	type answer struct {
		SystemUsers struct{ TotalCount int }
		System      struct {
			ClientIDs    []string `json:"clientIds"`
			RedirectURLs []string `json:"redirectUrls"`
			SystemUsers  struct{ TotalCount int }
		}
	}
	ask := func(t *testing.T, token string) answer {
		t.Helper()
		resp := e.GraphQL(t, token, query, map[string]any{"id": w.SystemID})
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		var a answer
		if err := json.Unmarshal(resp.Data, &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	t.Run("OK/SystemRegisterWrite", func(t *testing.T) {
		a := ask(t, e.VendorToken(t, vendorOrg, identity.ScopeSystemRegisterWrite))
		if a.SystemUsers.TotalCount == 0 || a.System.SystemUsers.TotalCount == 0 || len(a.System.ClientIDs) == 0 || len(a.System.RedirectURLs) == 0 {
			t.Fatalf("the vendor managing its system sees %+v", a)
		}
	})
	t.Run("ErrNoAltinnScope", func(t *testing.T) {
		a := ask(t, e.VendorToken(t, vendorOrg, "skatteetaten:krav"))
		if a.SystemUsers.TotalCount != 0 || a.System.SystemUsers.TotalCount != 0 || a.System.ClientIDs != nil || a.System.RedirectURLs != nil {
			t.Fatalf("a token without Altinn scopes sees %+v", a)
		}
	})
	t.Run("ErrRequestScopeSeesNoSetup", func(t *testing.T) {
		a := ask(t, e.VendorToken(t, vendorOrg, identity.ScopeRequestWrite))
		if a.System.ClientIDs != nil || a.System.RedirectURLs != nil {
			t.Fatalf("a request-only token sees the system's setup: %+v", a)
		}
	})
}
