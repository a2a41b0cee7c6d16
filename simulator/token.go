package simulator

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

const grantTypeJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

func writeToken(w http.ResponseWriter, t Token) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(tokenResponse{AccessToken: t.AccessToken, TokenType: "Bearer", ExpiresIn: t.ExpiresIn, Scope: t.Scope})
}

// handleToken is the RFC 7523 JWT-bearer grant. A client_id form field is
// ignored: the assertion's iss is the only client identity.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.reject(r, ErrMalformedRequest, "", "")
		writeOAuthError(w, ErrMalformedRequest)
		return
	}
	if r.PostForm.Get("grant_type") != grantTypeJWTBearer {
		s.reject(r, ErrUnsupportedGrantType, "", "")
		writeOAuthError(w, ErrUnsupportedGrantType)
		return
	}
	assertion := r.PostForm.Get("assertion")
	if assertion == "" {
		s.reject(r, ErrMalformedRequest, "", "")
		writeOAuthError(w, ErrMalformedRequest)
		return
	}
	g, oerr := s.verifier.verify(r.Context(), assertion)
	if oerr != nil {
		s.reject(r, oerr, "", "")
		writeOAuthError(w, oerr)
		return
	}
	grant := MaskinportenGrant{ClientID: g.client.ID, ConsumerOrg: g.client.OrgNumber, Scopes: g.scopes, Audience: g.audience, ClientAMR: g.clientAMR}
	if g.systemUser != nil {
		owner := g.systemUser.SystemUserOrg.OrgNumber()
		ref := g.systemUser.ExternalRef
		if ref == "" {
			ref = owner
		}
		su, err := s.lookup.Lookup(r.Context(), SystemUserQuery{
			ClientID:             g.client.ID,
			SystemProviderOrgNo:  g.client.OrgNumber,
			SystemUserOwnerOrgNo: owner,
			ExternalRef:          ref,
		})
		if errors.Is(err, ErrSystemUserNotFound) {
			s.reject(r, ErrNoSystemUser, g.client.ID, g.jti)
			writeOAuthError(w, ErrNoSystemUser)
			return
		}
		if err != nil {
			s.log.ErrorContext(r.Context(), "system user lookup failed", "client_id", g.client.ID, "jti", g.jti, "error", err)
			writeOAuthError(w, ErrLookupFailed)
			return
		}
		grant.SystemUser = &SystemUserGrant{OwnerOrg: owner, SystemUserID: su.ID, SystemID: su.SystemID}
	}
	if s.cfg.Control {
		s.ctl.shapeGrant(requestKey(r), &grant)
	}
	t, err := s.issuer.IssueMaskinporten(r.Context(), grant)
	if err != nil {
		s.log.ErrorContext(r.Context(), "issue token failed", "client_id", g.client.ID, "error", err)
		writeOAuthError(w, ErrServer)
		return
	}
	s.log.DebugContext(r.Context(), "token issued", "client_id", g.client.ID, "jti", g.jti, "kid", g.keyID, "system_user", grant.SystemUser != nil)
	writeToken(w, t)
}

func (s *Server) reject(r *http.Request, e *OAuthError, clientID, jti string) {
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "token request rejected",
		slog.String("reason", e.ID), slog.String("client_id", clientID), slog.String("jti", jti))
}
