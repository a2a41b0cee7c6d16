package e2e

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/systemuser-gateway/systemuser/simulator/mpclient"
)

type orgClaim struct {
	Authority string `json:"authority"`
	ID        string `json:"ID"`
}

// tokenClaims are the documented claims of a Maskinporten token
// (ALTINN-REFERENCE §5.3).
type tokenClaims struct {
	jwt.Claims
	Scope                string   `json:"scope"`
	ClientID             string   `json:"client_id"`
	ClientAMR            string   `json:"client_amr"`
	TokenType            string   `json:"token_type"`
	Consumer             orgClaim `json:"consumer"`
	AuthorizationDetails []struct {
		Type          string   `json:"type"`
		SystemUserOrg orgClaim `json:"systemuser_org"`
		SystemUserID  []string `json:"systemuser_id"`
		SystemID      string   `json:"system_id"`
	} `json:"authorization_details"`
}

// verifyToken checks raw's RS256 signature against the simulator's JWKS,
// fetched over HTTP as a service owner would, and returns its claims.
func verifyToken(t *testing.T, s *Stack, raw string) tokenClaims {
	t.Helper()
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if status, err := s.DoAt(t.Context(), s.SimulatorURL, http.MethodGet, "/.well-known/oauth-authorization-server", "", nil, &meta); err != nil || status != http.StatusOK {
		t.Fatalf("discovery: HTTP %d, %v", status, err)
	}
	if meta.Issuer != s.Issuer {
		t.Errorf("discovery issuer = %q, want %q", meta.Issuer, s.Issuer)
	}
	// jwks_uri names the simulator inside the Docker network; the host
	// reaches the same path on the mapped port.
	if !strings.HasPrefix(meta.JWKSURI, s.Issuer) {
		t.Errorf("jwks_uri %q is not under the issuer %q", meta.JWKSURI, s.Issuer)
	}
	var jwks jose.JSONWebKeySet
	if status, err := s.DoAt(t.Context(), s.SimulatorURL, http.MethodGet, "/"+strings.TrimPrefix(meta.JWKSURI, s.Issuer), "", nil, &jwks); err != nil || status != http.StatusOK {
		t.Fatalf("jwks: HTTP %d, %v", status, err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	keys := jwks.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS", tok.Headers[0].KeyID, len(keys))
	}
	var c tokenClaims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("verify token: %v", err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: s.Issuer, Time: time.Now()}, 5*time.Second); err != nil {
		t.Errorf("validate claims: %v", err)
	}
	return c
}

func TestToken(t *testing.T) {
	t.Parallel()
	s := stackT(t)

	t.Run("Vendor", func(t *testing.T) {
		t.Parallel()
		tr, err := s.Token(t.Context(), mpclient.Assertion{ClientID: s.Demo.ClientID, Scopes: VendorScopes})
		ok(t, err)
		if tr.TokenType != "Bearer" || tr.ExpiresIn <= 0 || tr.Scope != strings.Join(VendorScopes, " ") {
			t.Errorf("token response = %+v", tr)
		}
		c := verifyToken(t, s, tr.AccessToken)
		if c.ClientID != s.Demo.ClientID || c.ClientAMR != "private_key_jwt" || c.TokenType != "Bearer" {
			t.Errorf("client_id %q client_amr %q token_type %q", c.ClientID, c.ClientAMR, c.TokenType)
		}
		if c.Consumer != (orgClaim{"iso6523-actorid-upis", "0192:" + s.Demo.VendorOrgNumber}) {
			t.Errorf("consumer = %+v", c.Consumer)
		}
		if c.Scope != strings.Join(VendorScopes, " ") || c.ID == "" || c.IssuedAt == nil || c.Expiry == nil {
			t.Errorf("scope %q jti %q iat %v exp %v", c.Scope, c.ID, c.IssuedAt, c.Expiry)
		}
		if life := c.Expiry.Time().Sub(c.IssuedAt.Time()); life <= 0 || life > 120*time.Second {
			t.Errorf("exp - iat = %v", life)
		}
		if len(c.AuthorizationDetails) != 0 {
			t.Errorf("a plain token carries authorization_details %+v", c.AuthorizationDetails)
		}
	})

	t.Run("SystemUser", func(t *testing.T) {
		t.Parallel()
		ref := uniqueRef(t)
		id := arrangeSystemUser(t, s, bakeryOrg, kariPID, ref)
		raw, err := s.SystemUserToken(t.Context(), bakeryOrg, ref)
		ok(t, err)
		c := verifyToken(t, s, raw)
		if len(c.AuthorizationDetails) != 1 {
			t.Fatalf("authorization_details = %+v", c.AuthorizationDetails)
		}
		d := c.AuthorizationDetails[0]
		if d.Type != "urn:altinn:systemuser" || d.SystemID != s.Demo.SystemID ||
			d.SystemUserOrg != (orgClaim{"iso6523-actorid-upis", "0192:" + bakeryOrg}) ||
			!slices.Equal(d.SystemUserID, []string{id.String()}) {
			t.Errorf("authorization_details[0] = %+v, want system user %s of %s", d, id, s.Demo.SystemID)
		}
	})

	// MP-303: Maskinporten's answer when the lookup finds no system user.
	noSystemUser := []struct{ name, org, ref string }{
		{"ErrOrgWithoutSystemUser", serviceOwnerOrg, ""},
		{"ErrUnknownExternalRef", bakeryOrg, "no-such-ref"},
	}
	for _, tc := range noSystemUser {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := s.SystemUserToken(t.Context(), tc.org, tc.ref)
			var mpErr *mpclient.Error
			if !errors.As(err, &mpErr) {
				t.Fatalf("err = %v, want a token endpoint rejection", err)
			}
			if mpErr.StatusCode != http.StatusBadRequest || mpErr.Code != "invalid_altinn_customer_configuration" ||
				!strings.Contains(mpErr.Description, "MP-303") {
				t.Errorf("rejection = %+v, want 400 invalid_altinn_customer_configuration (MP-303)", mpErr)
			}
		})
	}

	t.Run("PersonToken", func(t *testing.T) {
		t.Parallel()
		raw, err := s.PersonToken(t.Context(), kariPID)
		ok(t, err)
		var c struct {
			PID string `json:"pid"`
		}
		tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
		ok(t, err)
		if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil || c.PID != kariPID {
			t.Errorf("pid = %q, %v", c.PID, err)
		}
		verifyToken(t, s, raw)
	})
}
