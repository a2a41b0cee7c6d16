package rest

import (
	"net/http"

	"github.com/systemuser-gateway/systemuser/registry"
)

// The end user's system users (ALTINN-REFERENCE §2.5, systemuser/{party}):
// a person (auth.Portal in the route table) who administers the party.
// {party} is the party's organisation number or party UUID.

// systemUserDetail is Altinn's detail DTO: the internal one with rights.
type systemUserDetail struct {
	internalSystemUser
	Rights []rightJSON `json:"rights"`
}

// createSystemUserBody is Altinn's SystemUserRequestDto.
type createSystemUserBody struct {
	IntegrationTitle string `json:"integrationTitle"`
	SystemID         string `json:"systemId"`
}

// partySystemUsers answers GET {party} (standard) and agent/{party}.
func (s *Server) partySystemUsers(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		party, ok := s.partyOf(w, r)
		if !ok {
			return
		}
		sus, err := s.deps.Registry.PartySystemUsers(r.Context(), party.OrgNumber, typ)
		if err != nil {
			s.partyError(w, r, err)
			return
		}
		out := make([]internalSystemUser, len(sus))
		for i, su := range sus {
			out[i] = toInternalSystemUser(su, party)
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// partySystemUserRoute runs the shared checks and parses {systemUserId}.
func (s *Server) partySystemUserRoute(fn func(w http.ResponseWriter, r *http.Request, party *registry.Organization)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		party, ok := s.partyOf(w, r)
		if !ok {
			return
		}
		fn(w, r, party)
	}
}

// handleGetPartySystemUser answers GET {party}/{systemUserId}: the detail,
// rights and packages included.
func (s *Server) handleGetPartySystemUser(w http.ResponseWriter, r *http.Request) {
	s.partySystemUserRoute(func(w http.ResponseWriter, r *http.Request, party *registry.Organization) {
		id, err := pathUUID(r, "systemUserId")
		if err != nil {
			s.restError(w, r, err)
			return
		}
		su, err := s.deps.Registry.PartySystemUser(r.Context(), party.OrgNumber, id)
		if err != nil {
			s.partyError(w, r, err)
			return
		}
		rights := rightsToJSON(su.Rights)
		if rights == nil {
			rights = []rightJSON{}
		}
		writeJSON(w, http.StatusOK, systemUserDetail{internalSystemUser: toInternalSystemUser(su, party), Rights: rights})
	})(w, r)
}

// handleCreatePartySystemUser answers POST {party}/create: a standard
// system user of a visible system with all its rights, 200 with the
// internal DTO, as Altinn's portal creation does.
func (s *Server) handleCreatePartySystemUser(w http.ResponseWriter, r *http.Request) {
	s.partySystemUserRoute(func(w http.ResponseWriter, r *http.Request, party *registry.Organization) {
		var body createSystemUserBody
		if err := decodeJSON(r, &body); err != nil {
			s.restError(w, r, err)
			return
		}
		su, err := s.deps.Registry.CreateSystemUser(r.Context(), body.SystemID, party.OrgNumber, body.IntegrationTitle)
		if err != nil {
			s.partyError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, toInternalSystemUser(su, party))
	})(w, r)
}

// deletePartySystemUser answers DELETE {party}/{systemUserId} (202 with
// body 1, as Altinn) and agent/{party}/{systemUserId} (200).
func (s *Server) deletePartySystemUser(typ string) http.HandlerFunc {
	return s.partySystemUserRoute(func(w http.ResponseWriter, r *http.Request, party *registry.Organization) {
		id, err := pathUUID(r, "systemUserId")
		if err != nil {
			s.restError(w, r, err)
			return
		}
		if err := s.deps.Registry.DeletePartySystemUser(r.Context(), party.OrgNumber, id, typ); err != nil {
			s.partyError(w, r, err)
			return
		}
		if typ == registry.TypeAgent {
			w.WriteHeader(http.StatusOK)
			return
		}
		writeJSON(w, http.StatusAccepted, 1)
	})
}
