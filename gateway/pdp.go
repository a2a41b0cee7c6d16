package gateway

import (
	"context"
	"io"
	"net/http"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/pdp"
)

// PDPVerifier lets the PDP check system-user tokens with the gateway's
// verifier, which caches verified tokens until they expire.
type PDPVerifier struct{ V *Verifier }

// Verify implements pdp.TokenVerifier.
func (p PDPVerifier) Verify(ctx context.Context, token string) (*pdp.TokenClaims, error) {
	c, err := p.V.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	return &pdp.TokenClaims{SystemUserIDs: c.SystemUserIDs, Scopes: c.Scopes, Expiry: c.Expiry}, nil
}

var errNotAuthorizer = apperr.New(apperr.Forbidden, "MISSING_SCOPE", "authorize needs the scope altinn:authorization/authorize")

// handleAuthorize is Altinn's PDP endpoint: XACML 3.0 JSON profile in and
// out. Whatever the body, the answer is 200 with a decision (malformed input
// is Indeterminate), as Altinn answers; only the caller's auth can fail it.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	id := identity.FromContext(r.Context())
	if id.Kind == identity.Anonymous {
		s.unauthorized(w, r, errNeedsAuth)
		return
	}
	if id.Kind != identity.Organization || !id.HasAnyScope(identity.ScopeAuthorize, identity.ScopeAuthorizeAdmin) {
		writeProblem(w, r, errNotAuthorizer)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeProblem(w, r, apperr.New(apperr.Invalid, "BODY_TOO_LARGE", "the request body is too large"))
		return
	}
	out, err := s.deps.PDP.AuthorizeXACML(r.Context(), body, id.OrgNumber)
	if err != nil {
		s.logger.ErrorContext(r.Context(), "authorize failed", "error", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}
