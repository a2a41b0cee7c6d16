package simulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// admin protects the client admin API: a bearer token this simulator issued
// with the system-register admin scope, as a platform admin would hold.
// AdminOpen skips the check because a fresh dev stack has no client yet that
// could obtain such a token.
func (s *Server) admin(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.cfg.AdminOpen {
			tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer`)
				writeJSON(w, http.StatusUnauthorized, apiError{"unauthenticated", "bearer token required"})
				return
			}
			c, err := s.issuer.VerifyMaskinporten(tok)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				writeJSON(w, http.StatusUnauthorized, apiError{"unauthenticated", "invalid token"})
				return
			}
			if !slices.Contains(strings.Fields(c.Scope), AdminScope) {
				writeJSON(w, http.StatusForbidden, apiError{"forbidden", "scope " + AdminScope + " required"})
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
		h(w, r)
	})
}

type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// clientView is a client as the admin API shows it. PrivateJWK is present
// only in the response that generated the key: it is never stored.
type clientView struct {
	ClientID   string             `json:"clientId"`
	OrgNumber  string             `json:"orgNumber"`
	Name       string             `json:"name"`
	Scopes     []string           `json:"scopes"`
	JWKS       jose.JSONWebKeySet `json:"jwks"`
	PrivateJWK *jose.JSONWebKey   `json:"privateJwk,omitempty"`
}

func viewOf(c Client) clientView {
	return clientView{ClientID: c.ID, OrgNumber: c.OrgNumber, Name: c.Name, Scopes: c.Scopes, JWKS: jose.JSONWebKeySet{Keys: c.Keys}}
}

type createClientRequest struct {
	ClientID    string             `json:"clientId"`
	OrgNumber   string             `json:"orgNumber"`
	Name        string             `json:"name"`
	Scopes      []string           `json:"scopes"`
	JWKS        jose.JSONWebKeySet `json:"jwks"`
	GenerateKey bool               `json:"generateKey"`
	// Certificate registers an enterprise certificate (PEM, leaf first) as
	// a key of the client; orgNumber may then be left out (certificate.go).
	Certificate string `json:"certificate"`
}

func (s *Server) handleCreateClient(w http.ResponseWriter, r *http.Request) {
	var req createClientRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{"invalid", "body must be a JSON client"})
		return
	}
	if req.ClientID == "" {
		req.ClientID = uuid.NewString()
	}
	if s.refusePrivileged(w, req.Scopes) {
		return
	}
	c := Client{ID: req.ClientID, OrgNumber: req.OrgNumber, Name: req.Name, Scopes: req.Scopes, Keys: req.JWKS.Keys}
	if req.Certificate != "" {
		k, org, err := s.certificateKey(req.Certificate)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{"invalid", err.Error()})
			return
		}
		if c.OrgNumber == "" {
			c.OrgNumber = org
		}
		if c.OrgNumber != org {
			writeJSON(w, http.StatusBadRequest, apiError{"invalid", "the certificate names organisation " + org + ", not " + c.OrgNumber})
			return
		}
		c.Keys = append(c.Keys, k)
	}
	var priv *jose.JSONWebKey
	if req.GenerateKey {
		k, err := GenerateKey(jose.RS256, s.cfg.Rand)
		if err != nil {
			s.log.ErrorContext(r.Context(), "generate client key", "error", err)
			writeJSON(w, http.StatusInternalServerError, apiError{"internal", "internal error"})
			return
		}
		priv = &k
		c.Keys = append(c.Keys, k)
	}
	if err := s.clients.Create(r.Context(), c); err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	stored, err := s.clients.Get(r.Context(), c.ID)
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "client created", "client_id", c.ID, "org", c.OrgNumber)
	v := viewOf(stored)
	v.PrivateJWK = priv
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) handleListClients(w http.ResponseWriter, r *http.Request) {
	cs, err := s.clients.List(r.Context())
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	out := make([]clientView, len(cs))
	for i, c := range cs {
		out[i] = viewOf(c)
	}
	writeJSON(w, http.StatusOK, struct {
		Clients []clientView `json:"clients"`
	}{out})
}

func (s *Server) handleDeleteClient(w http.ResponseWriter, r *http.Request) {
	if !s.mayManage(w, r, r.PathValue("id")) {
		return
	}
	if err := s.clients.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "client deleted", "client_id", r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
}

// handleRotateClient replaces the client's keys with a freshly generated one
// (returned once), or with the JWKS in the body when one is given. Old keys
// stop working at once: a dev simulator favours a clear cut-over.
func (s *Server) handleRotateClient(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.mayManage(w, r, id) {
		return
	}
	var req struct {
		JWKS jose.JSONWebKeySet `json:"jwks"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{"invalid", "body must be {\"jwks\":{...}} or empty"})
			return
		}
	}
	keys := req.JWKS.Keys
	var priv *jose.JSONWebKey
	if len(keys) == 0 {
		k, err := GenerateKey(jose.RS256, s.cfg.Rand)
		if err != nil {
			s.log.ErrorContext(r.Context(), "generate client key", "error", err)
			writeJSON(w, http.StatusInternalServerError, apiError{"internal", "internal error"})
			return
		}
		priv, keys = &k, []jose.JSONWebKey{k}
	}
	if err := s.clients.ReplaceKeys(r.Context(), id, keys); err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	c, err := s.clients.Get(r.Context(), id)
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "client keys replaced", "client_id", id)
	v := viewOf(c)
	v.PrivateJWK = priv
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) writeStoreError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrClientNotFound):
		writeJSON(w, http.StatusNotFound, apiError{"not_found", "client not found"})
	case errors.Is(err, ErrClientExists):
		writeJSON(w, http.StatusConflict, apiError{"conflict", "client id already exists"})
	case errors.Is(err, ErrInvalidClient):
		writeJSON(w, http.StatusBadRequest, apiError{"invalid", err.Error()})
	default:
		s.log.ErrorContext(r.Context(), "client store", "error", err)
		writeJSON(w, http.StatusInternalServerError, apiError{"internal", "internal error"})
	}
}

// mayManage reports whether the admin API may change client id, writing the
// answer when it may not: a client holding a privileged scope is refused
// like creating one would be. An unknown id passes, so the store's
// not-found answer stays the one the caller sees.
func (s *Server) mayManage(w http.ResponseWriter, r *http.Request, id string) bool {
	c, err := s.clients.Get(r.Context(), id)
	if errors.Is(err, ErrClientNotFound) {
		return true
	}
	if err != nil {
		s.writeStoreError(w, r, err)
		return false
	}
	return !s.refusePrivileged(w, c.Scopes)
}
