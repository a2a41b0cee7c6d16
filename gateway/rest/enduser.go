package rest

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

// The end-user client delegation API's policy (auth.ClientDelegationRead/
// Write) admits a person's token; the right itself, a role in
// registry.ClientAdminRoles at the facilitator, is checked inside registry.

// internalSystemUser is Altinn's "Internal DTO" of a system user (portal and
// client-delegation APIs). partyUuId is the owner's party UUID; Altinn's
// integer partyId and the system's internal id are left out; reporteeOrgNo
// identifies the owner.
type internalSystemUser struct {
	externalSystemUser
	PartyUUID      string              `json:"partyUuId"`
	AccessPackages []accessPackageJSON `json:"accessPackages"`
}

func toInternalSystemUser(su *registry.SystemUser, owner *registry.Organization) internalSystemUser {
	return internalSystemUser{externalSystemUser: toExternalSystemUser(su), PartyUUID: owner.PartyUUID.String(),
		AccessPackages: packagesToJSON(su.AccessPackages)}
}

// handleListAgents answers the agent system users of ?party= (the owner's
// organisation number, or its party UUID).
func (s *Server) handleListAgents(w http.ResponseWriter, r *http.Request) {
	ref := r.URL.Query().Get("party")
	if !identity.IsOrgNumberShape(ref) && !isUUIDShape(ref) {
		s.restError(w, r, apperr.Validation([]apperr.Violation{{Reason: "INVALID_PARTY",
			Message: "party must be the organisation number (9 digits) or the party UUID of the agent system users' owner", Path: "?party"}}))
		return
	}
	party, err := s.deps.Registry.ResolveParty(r.Context(), ref)
	if errors.Is(err, registry.ErrOrganizationNotFound) {
		// An unknown party is one the person does not administer.
		err = registry.ErrNotAdministrator
	}
	if err != nil {
		s.restError(w, r, err)
		return
	}
	agents, err := s.deps.Registry.ListAgentSystemUsers(r.Context(), party.OrgNumber)
	if err != nil {
		s.restError(w, r, err)
		return
	}
	out := make([]internalSystemUser, len(agents))
	for i, su := range agents {
		out[i] = toInternalSystemUser(su, party)
	}
	writeJSON(w, http.StatusOK, out)
}

// isUUIDShape checks the 36-character form of a UUID.
func isUUIDShape(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
