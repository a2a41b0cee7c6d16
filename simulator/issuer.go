package simulator

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Wire constants shared with Maskinporten and Altinn.
const (
	AuthorityISO6523    = "iso6523-actorid-upis"
	OrgPrefix           = "0192:"
	SystemUserType      = "urn:altinn:systemuser"
	DefaultIssuer       = "http://localhost:8090/"
	DefaultUnspecified  = "unspecified"
	PersonScope         = "altinn:portal/enduser"
	PersonACR           = "idporten-loa-high"
	LookupScope         = "altinn:maskinporten/systemuser.read"
	AdminScope          = "altinn:authentication/systemregister.admin"
	ClientAMRPrivateKey = "private_key_jwt"
)

// OrgID is the ISO 6523 organisation identifier used in token claims. ID is
// "0192:<orgno>"; input is matched case-insensitively, so "id" is accepted.
type OrgID struct {
	Authority string `json:"authority"`
	ID        string `json:"ID"`
}

// NewOrgID wraps a bare 9-digit organisation number.
func NewOrgID(orgNo string) OrgID { return OrgID{Authority: AuthorityISO6523, ID: OrgPrefix + orgNo} }

// OrgNumber is the bare organisation number, or "" when ID is not 0192:<9 digits>.
func (o OrgID) OrgNumber() string {
	n, ok := strings.CutPrefix(o.ID, OrgPrefix)
	if !ok || !isOrgNumber(n) {
		return ""
	}
	return n
}

// AuthorizationDetail is the system-user element of authorization_details in
// an issued token (ALTINN-REFERENCE §5.3).
type AuthorizationDetail struct {
	Type          string   `json:"type"`
	SystemUserOrg OrgID    `json:"systemuser_org"`
	SystemUserID  []string `json:"systemuser_id"`
	SystemID      string   `json:"system_id"`
}

// MaskinportenClaims is the payload of a Maskinporten access token.
type MaskinportenClaims struct {
	AuthorizationDetails []AuthorizationDetail `json:"authorization_details,omitempty"`
	Scope                string                `json:"scope"`
	Issuer               string                `json:"iss"`
	ClientAMR            string                `json:"client_amr"`
	TokenType            string                `json:"token_type"`
	Audience             jwt.Audience          `json:"aud"`
	Expiry               *jwt.NumericDate      `json:"exp"`
	IssuedAt             *jwt.NumericDate      `json:"iat"`
	ClientID             string                `json:"client_id"`
	JTI                  string                `json:"jti"`
	Consumer             OrgID                 `json:"consumer"`
}

// PersonClaims is the payload of a dev-login (ID-porten-like) person token.
type PersonClaims struct {
	PID       string           `json:"pid"`
	Name      string           `json:"name"`
	Issuer    string           `json:"iss"`
	Audience  jwt.Audience     `json:"aud"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	Expiry    *jwt.NumericDate `json:"exp"`
	JTI       string           `json:"jti"`
	ACR       string           `json:"acr"`
	Scope     string           `json:"scope"`
	TokenType string           `json:"token_type"`
	// Nonce is the nonce of the interactive login that minted the token
	// (OpenID Connect puts it in the ID token; here the token is both).
	Nonce string `json:"nonce,omitempty"`
}

// SystemUserGrant names the system user a token is for.
type SystemUserGrant struct {
	OwnerOrg     string // bare org number of the system user's owner
	SystemUserID string
	SystemID     string
}

// MaskinportenGrant is what a Maskinporten token is issued for.
type MaskinportenGrant struct {
	ClientID    string
	ConsumerOrg string   // bare org number of the client's owner
	Scopes      []string // at least one
	Audience    []string // empty means "unspecified"
	SystemUser  *SystemUserGrant
	ClientAMR   string // how the client authenticated; default ClientAMRPrivateKey
	// Lifetime replaces the issuer's token lifetime when positive.
	Lifetime time.Duration
	// ExtraClaims are merged into the token's claims and may replace
	// standard ones (the control API's per-client claims and overrides).
	ExtraClaims map[string]any
}

// Token is an issued access token with the values the token endpoint returns.
type Token struct {
	AccessToken string
	ExpiresIn   int // seconds
	Scope       string
	Expiry      time.Time
}

// IssuerOptions configures an Issuer.
type IssuerOptions struct {
	Issuer              string        // default DefaultIssuer
	TokenLifetime       time.Duration // Maskinporten tokens; default 120 s
	PersonTokenLifetime time.Duration // default 1 h
	PersonAudience      string        // default "systemuser-gateway"
	Now                 func() time.Time
	Rand                io.Reader
}

// Issuer mints tokens signed with a KeySet. The token endpoint uses it, and
// other packages' tests use it directly to get real signed tokens without HTTP.
type Issuer struct {
	keys *KeySet
	opts IssuerOptions
}

func NewIssuer(keys *KeySet, opts IssuerOptions) *Issuer {
	if opts.Issuer == "" {
		opts.Issuer = DefaultIssuer
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = 120 * time.Second
	}
	if opts.PersonTokenLifetime <= 0 {
		opts.PersonTokenLifetime = time.Hour
	}
	if opts.PersonAudience == "" {
		opts.PersonAudience = "systemuser-gateway"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	return &Issuer{keys: keys, opts: opts}
}

// URL is the issuer identifier (the iss claim).
func (i *Issuer) URL() string { return i.opts.Issuer }

// Keys is the key set the issuer signs with (its JWKS verifies its tokens).
func (i *Issuer) Keys() *KeySet { return i.keys }

// IssueMaskinporten signs a Maskinporten access token.
func (i *Issuer) IssueMaskinporten(_ context.Context, g MaskinportenGrant) (Token, error) {
	if g.ClientID == "" || len(g.Scopes) == 0 || !isOrgNumber(g.ConsumerOrg) {
		return Token{}, errors.New("simulator: grant needs a client id, scopes and a 9-digit consumer org")
	}
	jti, err := i.jti()
	if err != nil {
		return Token{}, err
	}
	now := i.opts.Now().Truncate(time.Second)
	exp := now.Add(cmp.Or(max(g.Lifetime, 0), i.opts.TokenLifetime))
	aud := jwt.Audience(g.Audience)
	if len(aud) == 0 {
		aud = jwt.Audience{DefaultUnspecified}
	}
	if g.ClientAMR == "" {
		g.ClientAMR = ClientAMRPrivateKey
	}
	scope := strings.Join(g.Scopes, " ")
	c := MaskinportenClaims{
		Scope:     scope,
		Issuer:    i.opts.Issuer,
		ClientAMR: g.ClientAMR,
		TokenType: "Bearer",
		Audience:  aud,
		Expiry:    jwt.NewNumericDate(exp),
		IssuedAt:  jwt.NewNumericDate(now),
		ClientID:  g.ClientID,
		JTI:       jti,
		Consumer:  NewOrgID(g.ConsumerOrg),
	}
	if su := g.SystemUser; su != nil {
		c.AuthorizationDetails = []AuthorizationDetail{{
			Type:          SystemUserType,
			SystemUserOrg: NewOrgID(su.OwnerOrg),
			SystemUserID:  []string{su.SystemUserID},
			SystemID:      su.SystemID,
		}}
	}
	if len(g.ExtraClaims) > 0 {
		merged, mexp, err := mergeClaims(c, g.ExtraClaims)
		if err != nil {
			return Token{}, err
		}
		if !mexp.IsZero() {
			exp = mexp
		}
		return i.sign(merged, scope, exp, now)
	}
	return i.sign(c, scope, exp, now)
}

// IssuePerson signs a dev-login person token.
func (i *Issuer) IssuePerson(ctx context.Context, p Person) (Token, error) {
	return i.IssuePersonLogin(ctx, p, "")
}

// IssuePersonLogin is IssuePerson for an interactive login: the token
// carries the login's nonce, which the login's initiator checks.
func (i *Issuer) IssuePersonLogin(_ context.Context, p Person, nonce string) (Token, error) {
	if p.PID == "" {
		return Token{}, errors.New("simulator: person needs a pid")
	}
	jti, err := i.jti()
	if err != nil {
		return Token{}, err
	}
	now := i.opts.Now().Truncate(time.Second)
	exp := now.Add(i.opts.PersonTokenLifetime)
	c := PersonClaims{
		PID:       p.PID,
		Name:      p.Name,
		Issuer:    i.opts.Issuer,
		Audience:  jwt.Audience{i.opts.PersonAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(exp),
		JTI:       jti,
		ACR:       PersonACR,
		Scope:     PersonScope,
		TokenType: "Bearer",
		Nonce:     nonce,
	}
	return i.sign(c, PersonScope, exp, now)
}

func (i *Issuer) sign(claims any, scope string, exp, now time.Time) (Token, error) {
	s, err := jwt.Signed(i.keys.signer()).Claims(claims).Serialize()
	if err != nil {
		return Token{}, fmt.Errorf("simulator: sign token: %w", err)
	}
	return Token{AccessToken: s, ExpiresIn: int(exp.Sub(now) / time.Second), Scope: scope, Expiry: exp}, nil
}

func (i *Issuer) jti() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(i.opts.Rand, b[:]); err != nil {
		return "", fmt.Errorf("simulator: jti: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// ErrInvalidToken is returned by VerifyMaskinporten for any token this issuer
// did not issue or that is no longer valid.
var ErrInvalidToken = errors.New("simulator: invalid token")

// VerifyMaskinporten checks a Maskinporten token issued by this issuer
// (signature against the published key set, iss, exp). The simulator uses it
// to protect its admin API; it is not a general-purpose verifier.
func (i *Issuer) VerifyMaskinporten(token string) (MaskinportenClaims, error) {
	var c MaskinportenClaims
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{i.keys.Algorithm()})
	if err != nil || len(tok.Headers) != 1 {
		return c, ErrInvalidToken
	}
	now := i.opts.Now()
	jwks := i.keys.PublicJWKSAt(now) // the issuer's clock, which the control API may move
	keys := jwks.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		return c, ErrInvalidToken
	}
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		return c, ErrInvalidToken
	}
	if c.Issuer != i.opts.Issuer || c.Expiry == nil || !now.Before(c.Expiry.Time()) {
		return c, ErrInvalidToken
	}
	return c, nil
}
