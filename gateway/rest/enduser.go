package rest

import (
	"net/http"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

// Altinn's end-user client delegation API wants an Altinn token exchanged
// from ID-porten with scope altinn:clientdelegations.read/.write, and then
// checks the person's client-administration right at the owner party. Our
// person tokens (the simulator's dev login) carry altinn:portal/enduser
// instead; either is accepted, and the right is the person holding one of
// registry.ClientAdminRoles at the facilitator, checked inside registry.
const (
	scopeClientDelegationsRead  = "altinn:clientdelegations.read"
	scopeClientDelegationsWrite = "altinn:clientdelegations.write"
)

var errEndUserOnly = apperr.New(apperr.Forbidden, "END_USER_TOKEN_REQUIRED",
	"this API is for end users: use a person token (scope altinn:portal/enduser or altinn:clientdelegations.*)")

// requireEndUser admits a person with an end-user scope, or a platform
// admin; a vendor or service owner token is refused.
func requireEndUser(id *identity.Identity, write bool) error {
	switch {
	case id.Kind == identity.Anonymous:
		return errRESTUnauthenticated
	case id.IsAdmin():
		return nil
	case id.Kind != identity.Person:
		return errEndUserOnly
	}
	scope := scopeClientDelegationsRead
	if write {
		scope = scopeClientDelegationsWrite
	}
	if !id.HasAnyScope(identity.ScopePortal, scope) {
		return errRESTMissingScope
	}
	return nil
}

// internalSystemUser is Altinn's "Internal DTO" of a system user (portal and
// client-delegation APIs). We have no Register party ids, so partyId,
// partyUuId and systemInternalId are left out; reporteeOrgNo identifies the
// owner.
type internalSystemUser struct {
	externalSystemUser
	AccessPackages []accessPackageJSON `json:"accessPackages"`
}

func toInternalSystemUser(su *registry.SystemUser) internalSystemUser {
	return internalSystemUser{externalSystemUser: toExternalSystemUser(su), AccessPackages: packagesToJSON(su.AccessPackages)}
}

// handleListAgents answers the agent system users of ?party={orgNo} (Altinn
// takes the party's org number here too).
func (s *Server) handleListAgents(w http.ResponseWriter, r *http.Request) {
	if err := requireEndUser(identity.FromContext(r.Context()), false); err != nil {
		s.restError(w, r, err)
		return
	}
	party := r.URL.Query().Get("party")
	if !isOrgNumberShape(party) {
		s.restError(w, r, apperr.Validation([]apperr.Violation{{Reason: "INVALID_PARTY",
			Message: "party must be the organisation number (9 digits) of the agent system users' owner", Path: "?party"}}))
		return
	}
	agents, err := s.deps.Registry.ListAgentSystemUsers(r.Context(), party)
	if err != nil {
		s.restError(w, r, err)
		return
	}
	out := make([]internalSystemUser, len(agents))
	for i, su := range agents {
		out[i] = toInternalSystemUser(su)
	}
	writeJSON(w, http.StatusOK, out)
}

// isOrgNumberShape checks the form of an organisation number, not its
// check digit: an unknown or invalid one is simply not administered.
func isOrgNumberShape(s string) bool {
	if len(s) != 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
