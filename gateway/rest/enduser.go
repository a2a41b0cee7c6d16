package rest

import (
	"net/http"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/registry"
)

// The end-user client delegation API's policy (auth.ClientDelegationRead/
// Write) admits a person's token; the right itself, a role in
// registry.ClientAdminRoles at the facilitator, is checked inside registry.

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
