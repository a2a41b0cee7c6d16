package e2e

import (
	"context"
	"fmt"
	"net/http"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/simulator/mpclient"
)

// Default scopes of the token helpers: what the demo world's clients hold.
var (
	VendorScopes = []string{
		"altinn:authentication/systemregister.write",
		"altinn:authentication/systemuser.request.write",
		"altinn:authentication/systemuser.request.read",
	}
	SystemUserScopes   = []string{"skatteetaten:krav"}
	ServiceOwnerScopes = []string{"altinn:authorization/authorize", "altinn:resourceregistry/resource.write"}
)

// AdminScope is the platform admin's scope (systems of any vendor, the
// simulator's client admin API).
const AdminScope = "altinn:authentication/systemregister.admin"

// Token signs a as the seeded client a.ClientID (Key and Audience are filled
// in when empty) and exchanges it at the simulator over HTTP. A rejection is
// an *mpclient.Error carrying Maskinporten's error code.
func (s *Stack) Token(ctx context.Context, a mpclient.Assertion) (*mpclient.TokenResponse, error) {
	assertion, err := s.SignAssertion(a)
	if err != nil {
		return nil, err
	}
	return mpclient.Exchange(ctx, s.HTTP, s.TokenURL(), assertion)
}

// SignAssertion signs a as Token does (the seeded or created client's key
// and the simulator's issuer as aud, when a leaves them empty), for a test
// that exchanges it with its own HTTP client. Each call makes a new jti.
func (s *Stack) SignAssertion(a mpclient.Assertion) (string, error) {
	if a.Key.Key == nil {
		s.keysMu.RLock()
		k, ok := s.keys[a.ClientID]
		s.keysMu.RUnlock()
		if !ok {
			return "", fmt.Errorf("e2e: no seeded key for client %q", a.ClientID)
		}
		a.Key = k
	}
	if a.Audience == "" {
		// The simulator checks aud against its configured issuer, not the
		// URL it was reached on.
		a.Audience = s.Issuer
	}
	return a.Sign()
}

// TokenURL is the simulator's token endpoint as the host reaches it.
func (s *Stack) TokenURL() string { return s.SimulatorURL + "/token" }

func (s *Stack) accessToken(ctx context.Context, a mpclient.Assertion) (string, error) {
	tr, err := s.Token(ctx, a)
	if err != nil {
		return "", err
	}
	return tr.AccessToken, nil
}

// VendorToken is a Maskinporten token of the demo vendor's client (default
// scopes VendorScopes).
func (s *Stack) VendorToken(ctx context.Context, scopes ...string) (string, error) {
	return s.accessToken(ctx, mpclient.Assertion{ClientID: s.Demo.ClientID, Scopes: orDefault(scopes, VendorScopes)})
}

// SystemUserToken is a system-user token of the demo vendor's client for
// the system user owned by org with externalRef ("" = the default, org).
// Without such a system user it fails with *mpclient.Error code
// invalid_altinn_customer_configuration (MP-303).
func (s *Stack) SystemUserToken(ctx context.Context, org, externalRef string, scopes ...string) (string, error) {
	return s.accessToken(ctx, mpclient.Assertion{ClientID: s.Demo.ClientID, Scopes: orDefault(scopes, SystemUserScopes),
		SystemUserOrg: org, ExternalRef: externalRef})
}

// ServiceOwnerToken is a Maskinporten token of the demo service owner's
// client (default scopes ServiceOwnerScopes).
func (s *Stack) ServiceOwnerToken(ctx context.Context, scopes ...string) (string, error) {
	return s.accessToken(ctx, mpclient.Assertion{ClientID: s.Demo.ServiceOwnerClientID, Scopes: orDefault(scopes, ServiceOwnerScopes)})
}

// PersonToken is a dev-login token of the seeded person pid.
func (s *Stack) PersonToken(ctx context.Context, pid string) (string, error) {
	tr, err := mpclient.PersonToken(ctx, s.HTTP, s.SimulatorURL, pid)
	if err != nil {
		return "", err
	}
	return tr.AccessToken, nil
}

func orDefault(scopes, def []string) []string {
	if len(scopes) > 0 {
		return scopes
	}
	return def
}

// CreateClient registers a Maskinporten client of org at the simulator, with
// a generated key the helpers then sign with, through the simulator's admin
// API as the seeded platform admin. Creating a client that the Stack
// already holds a key for does nothing.
func (s *Stack) CreateClient(ctx context.Context, clientID, org string, scopes ...string) error {
	s.keysMu.RLock()
	_, exists := s.keys[clientID]
	s.keysMu.RUnlock()
	if exists {
		return nil
	}
	admin, err := s.accessToken(ctx, mpclient.Assertion{ClientID: "platform-admin", Scopes: []string{AdminScope}})
	if err != nil {
		return fmt.Errorf("e2e: admin token: %w", err)
	}
	var out struct {
		PrivateJWK *jose.JSONWebKey `json:"privateJwk"`
		Error      string           `json:"error"`
		Message    string           `json:"message"`
	}
	body := map[string]any{"clientId": clientID, "orgNumber": org, "name": clientID, "scopes": scopes, "generateKey": true}
	status, err := s.DoAt(ctx, s.SimulatorURL, http.MethodPost, "/admin/clients", admin, body, &out)
	if err != nil {
		return err
	}
	if status != http.StatusCreated || out.PrivateJWK == nil {
		return fmt.Errorf("e2e: create client %s: HTTP %d %s %s", clientID, status, out.Error, out.Message)
	}
	s.keysMu.Lock()
	s.keys[clientID] = *out.PrivateJWK
	s.keysMu.Unlock()
	return nil
}
