package pdp

import (
	"context"
	"slices"
	"time"
)

// TokenClaims is what the PDP needs from a verified system-user token.
type TokenClaims struct {
	SystemUserIDs []string // authorization_details[].systemuser_id
	Scopes        []string
	Expiry        time.Time
}

// TokenVerifier checks a system-user token's signature, issuer and validity
// (the gateway supplies it, with the trusted issuers' keys). Verifying RS256
// costs more than a cached decision, so implementations should cache
// verified tokens until their expiry.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*TokenClaims, error)
}

func (c *TokenClaims) hasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }
