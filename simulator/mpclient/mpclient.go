// Package mpclient is a small Maskinporten client for vendors and tests: it
// signs a JWT-bearer grant with the client's private key and exchanges it for
// an access token. It works against the simulator and the real Maskinporten
// alike and does not depend on the simulator's server code.
package mpclient

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Assertion describes a JWT-bearer grant.
type Assertion struct {
	ClientID string
	// Key is the client's private JWK; its kid goes in the header and its
	// alg (default RS256) selects the signature algorithm.
	Key jose.JSONWebKey
	// CertChain, when set, is the enterprise certificate chain (leaf first)
	// sent as the x5c header instead of a kid; Key is the leaf's private key.
	CertChain []*x509.Certificate
	// Audience is the authorization server's issuer, exactly
	// (e.g. "https://test.maskinporten.no/").
	Audience string
	Scopes   []string
	// SystemUserOrg, when set, asks for a system-user token for the system
	// user owned by this organisation (bare 9-digit number).
	SystemUserOrg string
	ExternalRef   string
	Resource      string
	Lifetime      time.Duration // default 120 s, Maskinporten's maximum
	Now           func() time.Time
}

type orgID struct {
	Authority string `json:"authority"`
	ID        string `json:"ID"`
}

type authorizationDetail struct {
	Type          string `json:"type"`
	SystemUserOrg orgID  `json:"systemuser_org"`
	ExternalRef   string `json:"externalRef,omitempty"`
}

type grantClaims struct {
	jwt.Claims
	Scope                string                `json:"scope"`
	Resource             string                `json:"resource,omitempty"`
	AuthorizationDetails []authorizationDetail `json:"authorization_details,omitempty"`
}

// Sign returns the compact-serialised, signed assertion.
func (a Assertion) Sign() (string, error) {
	if a.ClientID == "" || a.Audience == "" || len(a.Scopes) == 0 {
		return "", errors.New("mpclient: client id, audience and scopes are required")
	}
	if a.Key.IsPublic() || (a.Key.KeyID == "" && len(a.CertChain) == 0) {
		return "", errors.New("mpclient: a private key with a kid, or with a certificate chain, is required")
	}
	alg := jose.SignatureAlgorithm(a.Key.Algorithm)
	if alg == "" {
		alg = jose.RS256
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	var signKey any = a.Key
	if len(a.CertChain) > 0 {
		// The raw key, so no kid goes in the header: the certificate names it.
		signKey = a.Key.Key
		x5c := make([]string, len(a.CertChain))
		for i, c := range a.CertChain {
			x5c[i] = base64.StdEncoding.EncodeToString(c.Raw) // RFC 7515: base64, not base64url
		}
		opts = opts.WithHeader("x5c", x5c)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: signKey}, opts)
	if err != nil {
		return "", fmt.Errorf("mpclient: signer: %w", err)
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	life := a.Lifetime
	if life <= 0 {
		life = 120 * time.Second
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("mpclient: jti: %w", err)
	}
	t := now()
	c := grantClaims{
		Claims: jwt.Claims{
			Issuer:   a.ClientID,
			Audience: jwt.Audience{a.Audience},
			IssuedAt: jwt.NewNumericDate(t),
			Expiry:   jwt.NewNumericDate(t.Add(life)),
			ID:       base64.RawURLEncoding.EncodeToString(jti[:]),
		},
		Scope:    strings.Join(a.Scopes, " "),
		Resource: a.Resource,
	}
	if a.SystemUserOrg != "" {
		c.AuthorizationDetails = []authorizationDetail{{
			Type:          "urn:altinn:systemuser",
			SystemUserOrg: orgID{Authority: "iso6523-actorid-upis", ID: "0192:" + a.SystemUserOrg},
			ExternalRef:   a.ExternalRef,
		}}
	}
	s, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("mpclient: sign: %w", err)
	}
	return s, nil
}

// TokenResponse is a successful token endpoint answer.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// Error is a token endpoint rejection (OAuth 2 error response).
type Error struct {
	StatusCode  int
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("token endpoint: %d %s: %s", e.StatusCode, e.Code, e.Description)
}

// TokenEndpoint is the token URL for an issuer such as "https://test.maskinporten.no/".
func TokenEndpoint(issuer string) string { return strings.TrimSuffix(issuer, "/") + "/token" }

// Exchange posts a signed assertion to tokenURL. A rejection is an *Error.
func Exchange(ctx context.Context, hc *http.Client, tokenURL, assertion string) (*TokenResponse, error) {
	form := url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":  {assertion},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("mpclient: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(hc, req)
}

// RequestToken signs a and exchanges it at a.Audience's token endpoint.
func RequestToken(ctx context.Context, hc *http.Client, a Assertion) (*TokenResponse, error) {
	s, err := a.Sign()
	if err != nil {
		return nil, err
	}
	return Exchange(ctx, hc, TokenEndpoint(a.Audience), s)
}

// PersonToken asks the simulator's dev login for a person token. This is a
// simulator feature; real ID-porten has no such endpoint.
func PersonToken(ctx context.Context, hc *http.Client, simulatorURL, pid string) (*TokenResponse, error) {
	b, err := json.Marshal(map[string]string{"pid": pid})
	if err != nil {
		return nil, fmt.Errorf("mpclient: %w", err)
	}
	u := strings.TrimSuffix(simulatorURL, "/") + "/person-token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("mpclient: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	return do(hc, req)
}

func do(hc *http.Client, req *http.Request) (*TokenResponse, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mpclient: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("mpclient: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{StatusCode: resp.StatusCode}
		if json.Unmarshal(body, e) != nil || e.Code == "" {
			e.Code, e.Description = "unexpected_response", strings.TrimSpace(string(body))
		}
		return nil, e
	}
	var tr TokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return nil, fmt.Errorf("mpclient: decode token response: %w", err)
	}
	if tr.AccessToken == "" {
		return nil, errors.New("mpclient: token response without access_token")
	}
	return &tr, nil
}

// LoadKey reads a private key: a JWK (JSON) or a PEM private key (PKCS #8
// or #1, as a certificate's key usually comes).
func LoadKey(path string) (jose.JSONWebKey, error) {
	var k jose.JSONWebKey
	b, err := os.ReadFile(path)
	if err != nil {
		return k, fmt.Errorf("mpclient: %w", err)
	}
	if isPEM(b) {
		k, err := parsePEMKey(b)
		if err != nil {
			return k, fmt.Errorf("mpclient: key %s: %w", path, err)
		}
		return k, nil
	}
	if err := k.UnmarshalJSON(b); err != nil {
		return k, fmt.Errorf("mpclient: key %s: %w", path, err)
	}
	if k.IsPublic() {
		return k, fmt.Errorf("mpclient: key %s is a public key; the private JWK is needed to sign", path)
	}
	return k, nil
}
