package gateway_test

import (
	"net/http"
	"testing"

	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// TestForeignAudienceIsRefused: a vendor token minted for another API
// (Maskinporten's resource parameter puts it in aud) gets 401 on REST and
// GraphQL alike; the same vendor's token for this gateway, or without a
// resource, is accepted.
func TestForeignAudienceIsRefused(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithConfig(func(c *gateway.Config) {
		c.Audiences = []string{"https://gateway.example.com/"}
	}))
	token := func(aud ...string) string {
		return e.MaskinportenToken(t, simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: vendorOrg,
			Scopes: []string{identity.ScopeSystemRegisterWrite}, Audience: aud})
	}
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"OK/Unspecified", token(), http.StatusOK},
		{"OK/Configured", token("https://gateway.example.com/"), http.StatusOK},
		{"ErrForeignAudience", token("https://other-api.example.com/"), http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/authentication/api/v1/systemregister/vendor", "/graphql?query=%7Bviewer%7Bkind%7D%7D"} {
				w := e.Serve(http.MethodGet, path, "Bearer "+tc.token, "", nil)
				if w.Code != tc.want {
					t.Errorf("GET %s: status %d, want %d: %s", path, w.Code, tc.want, w.Body)
				}
			}
		})
	}
}
