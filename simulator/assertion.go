package simulator

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// assertionAlgs is the allow-list for client assertions. Only asymmetric
// algorithms: "none" and HS256-signed-with-the-public-key are rejected by
// construction at parse time.
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256}

// assertionClaims is what a client puts in its JWT-bearer grant.
type assertionClaims struct {
	jwt.Claims
	Scope                string            `json:"scope"`
	Resource             stringOrList      `json:"resource"`
	AuthorizationDetails []json.RawMessage `json:"authorization_details"`
}

// stringOrList accepts "a" as well as ["a","b"].
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = stringOrList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// systemUserDetail is the grant's system-user request. encoding/json matches
// keys case-insensitively, so "id" is accepted for "ID" (ALTINN-REFERENCE §7).
type systemUserDetail struct {
	Type          string `json:"type"`
	SystemUserOrg *OrgID `json:"systemuser_org"`
	ExternalRef   string `json:"externalRef"`
}

// verifiedGrant is a grant that passed every check except the lookup.
type verifiedGrant struct {
	client     Client
	scopes     []string
	audience   []string
	systemUser *systemUserDetail
	jti        string
	keyID      string
	clientAMR  string // ClientAMRPrivateKey or ClientAMRCertificate
}

type assertionVerifier struct {
	log         *slog.Logger
	issuer      string
	clients     ClientStore
	replay      ReplayStore
	roots       *x509.CertPool // CAs of enterprise certificates (x5c)
	leeway      time.Duration
	maxLifetime time.Duration
	now         func() time.Time
}

// verify checks a client assertion in the order Maskinporten does: parse,
// client, signature, claims, single use, scopes, authorization details.
func (v *assertionVerifier) verify(ctx context.Context, assertion string) (*verifiedGrant, *OAuthError) {
	tok, err := jwt.ParseSigned(assertion, assertionAlgs)
	if err != nil {
		if _, ok := errors.AsType[*jose.ErrUnexpectedSignatureAlgorithm](err); ok {
			return nil, ErrAlgNotAllowed
		}
		return nil, ErrMalformedAssertion
	}
	if len(tok.Headers) != 1 {
		return nil, ErrMalformedAssertion
	}
	hdr := tok.Headers[0]
	// Decoded before verification only to find the client; nothing in c is
	// trusted until the signature over these same bytes has been checked.
	var c assertionClaims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil || c.Issuer == "" {
		return nil, ErrMalformedAssertion
	}
	client, err := v.clients.Get(ctx, c.Issuer)
	if errors.Is(err, ErrClientNotFound) {
		return nil, ErrUnknownClient
	}
	if errors.Is(err, ErrStoreUnavailable) {
		v.log.WarnContext(ctx, "client store unavailable", "client_id", c.Issuer, "error", err)
		return nil, ErrUnavailable
	}
	if err != nil {
		v.log.ErrorContext(ctx, "client store failed", "client_id", c.Issuer, "error", err)
		return nil, ErrServer
	}
	// Either kid or x5c (Digdir); with both, the certificate decides, as it
	// carries its own key and the kid may name a key never registered here.
	var verifyKey any
	amr := ClientAMRPrivateKey
	if _, err := hdr.Certificates(x509.VerifyOptions{Roots: x509.NewCertPool()}); !errors.Is(err, jose.ErrMissingX5cHeader) {
		k, oerr := v.x5cKey(hdr, client, v.now())
		if oerr != nil {
			return nil, oerr
		}
		verifyKey, amr = k, ClientAMRCertificate
	} else {
		if hdr.KeyID == "" {
			return nil, ErrMissingKid
		}
		key, ok := client.Key(hdr.KeyID)
		if !ok {
			return nil, ErrUnknownKid
		}
		if key.Algorithm != "" && key.Algorithm != hdr.Algorithm {
			return nil, ErrBadSignature
		}
		verifyKey = key.Key
	}
	if err := tok.Claims(verifyKey); err != nil {
		return nil, ErrBadSignature
	}
	if c.Subject != "" && c.Subject != c.Issuer {
		return nil, ErrSubjectMismatch
	}
	if !c.Audience.Contains(v.issuer) {
		return nil, ErrWrongAudience
	}
	if c.Expiry == nil {
		return nil, ErrMissingExp
	}
	if c.IssuedAt == nil {
		return nil, ErrMissingIat
	}
	now := v.now()
	exp, iat := c.Expiry.Time(), c.IssuedAt.Time()
	if !now.Before(exp.Add(v.leeway)) {
		return nil, ErrExpired
	}
	// Maskinporten accepts iat only within its clock skew either way, so an
	// assertion is usable for about 2×leeway whatever its exp says.
	if iat.After(now.Add(v.leeway)) {
		return nil, ErrIssuedInFuture
	}
	if iat.Before(now.Add(-v.leeway)) {
		return nil, ErrIssuedTooLongAgo
	}
	if c.NotBefore != nil && c.NotBefore.Time().After(now.Add(v.leeway)) {
		return nil, ErrNotYetValid
	}
	if exp.Sub(iat) > v.maxLifetime {
		return nil, ErrLifetimeTooLong
	}
	scopes := strings.Fields(c.Scope)
	if len(scopes) == 0 {
		return nil, ErrMissingScope
	}
	for _, s := range scopes {
		if !client.HasScope(s) {
			return nil, ErrScopeNotAllowed
		}
	}
	su, oerr := parseAuthorizationDetails(c.AuthorizationDetails)
	if oerr != nil {
		return nil, oerr
	}
	// Last, so a rejected assertion does not burn its jti.
	switch err := v.replay.Use(ctx, grantReplayKey(client.ID, c.ID, assertion), exp.Add(v.leeway), now); {
	case err == nil:
	case errors.Is(err, ErrGrantUsed):
		return nil, ErrReplayed
	case errors.Is(err, ErrReplayStoreFull):
		return nil, ErrReplayCacheFull
	default:
		v.log.ErrorContext(ctx, "replay store failed", "client_id", client.ID, "jti", c.ID, "error", err)
		return nil, ErrServer
	}
	return &verifiedGrant{client: client, scopes: scopes, audience: c.Resource, systemUser: su, jti: c.ID, keyID: hdr.KeyID, clientAMR: amr}, nil
}

func parseAuthorizationDetails(raw []json.RawMessage) (*systemUserDetail, *OAuthError) {
	if raw == nil {
		return nil, nil
	}
	if len(raw) != 1 {
		return nil, ErrBadAuthzDetails
	}
	var d systemUserDetail
	if err := json.Unmarshal(raw[0], &d); err != nil {
		return nil, ErrBadAuthzDetails
	}
	if d.Type != SystemUserType || d.SystemUserOrg == nil || d.SystemUserOrg.OrgNumber() == "" {
		return nil, ErrBadAuthzDetails
	}
	if a := d.SystemUserOrg.Authority; a != "" && a != AuthorityISO6523 {
		return nil, ErrBadAuthzDetails
	}
	return &d, nil
}
