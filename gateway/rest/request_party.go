package rest

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/registry"
)

// The end-user side of requests and change requests (ALTINN-REFERENCE §2.3,
// §2.4): a person with an Altinn portal token approves, rejects, escalates
// and lists what vendors asked of the party named in the path. Altinn's
// {party} is its Register party id; ours is the party's organisation number
// or its party UUID. The route table's auth.Portal checks the token; the
// rules (and their order) are registry's. Not administering the party is
// Altinn's access-management policy failing: 403 without body.

const (
	euReqBase = "/authentication/api/v1/systemuser/request"
	euCRBase  = "/authentication/api/v1/systemuser/changerequest"
)

// requestInternal is Altinn's RequestSystemResponseInternal (portal model).
// partyId is Altinn's integer Register id, which we do not have: it is left
// out.
type requestInternal struct {
	requestResponse
	PartyUUID                    string `json:"partyUuid"`
	UserMayEscalateButNotApprove bool   `json:"userMayEscalateButNotApprove"`
	SystemUserType               string `json:"systemUserType"`
}

// partyOf resolves {party}; an unknown party cannot pass the
// access-management policy, so it is a 403 too.
func (s *Server) partyOf(w http.ResponseWriter, r *http.Request) (*registry.Organization, bool) {
	org, err := s.deps.Registry.ResolveParty(r.Context(), r.PathValue("party"))
	if errors.Is(err, registry.ErrOrganizationNotFound) {
		policyFailure(w, auth.ErrForbidden)
		return nil, false
	}
	if err != nil {
		s.restError(w, r, err)
		return nil, false
	}
	return org, true
}

// partyError answers a registry error of the party routes: not
// administering the party is Altinn's access-management policy failing.
func (s *Server) partyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, registry.ErrNotAdministrator) {
		policyFailure(w, auth.ErrForbidden)
		return
	}
	s.restError(w, r, err)
}

// partyRoute runs the checks every party route shares and hands the party
// and the request id to fn.
func (s *Server) partyRoute(fn func(w http.ResponseWriter, r *http.Request, party *registry.Organization, id uuid.UUID)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		party, ok := s.partyOf(w, r)
		if !ok {
			return
		}
		id, err := pathUUID(r, "requestId")
		if err != nil {
			s.restError(w, r, err)
			return
		}
		fn(w, r, party, id)
	}
}

// getPartyRequest answers GET {party}/{requestId} (and agent/…).
func (s *Server) getPartyRequest(typ string) http.HandlerFunc {
	return s.partyRoute(func(w http.ResponseWriter, r *http.Request, party *registry.Organization, id uuid.UUID) {
		req, err := s.deps.Registry.GetPartyRequest(r.Context(), party.OrgNumber, id, typ)
		if err != nil {
			s.partyError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, toRequestResponse(req))
	})
}

// decidePartyRequest answers POST {party}/{requestId}/approve|reject (and
// agent/…) with 200 true, as Altinn does.
func (s *Server) decidePartyRequest(typ, decision string) http.HandlerFunc {
	return s.partyRoute(func(w http.ResponseWriter, r *http.Request, party *registry.Organization, id uuid.UUID) {
		var err error
		if decision == "approve" {
			_, err = s.deps.Registry.ApprovePartyRequest(r.Context(), party.OrgNumber, id, typ)
		} else {
			_, err = s.deps.Registry.RejectPartyRequest(r.Context(), party.OrgNumber, id, typ)
		}
		if err != nil {
			s.partyError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, true)
	})
}

// escalatePartyRequest answers POST {party}/{requestId}/escalate (and
// agent/…): true when the request was handed to the party's access
// managers, false when the person has no role at the party.
func (s *Server) escalatePartyRequest(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathUUID(r, "requestId")
		if err != nil {
			s.restError(w, r, err)
			return
		}
		// Escalation needs only the portal scope: an unknown party is a
		// party the person has no role at.
		party, err := s.deps.Registry.ResolveParty(r.Context(), r.PathValue("party"))
		if errors.Is(err, registry.ErrOrganizationNotFound) {
			writeJSON(w, http.StatusOK, false)
			return
		}
		if err != nil {
			s.restError(w, r, err)
			return
		}
		ok, err := s.deps.Registry.EscalatePartyRequest(r.Context(), party.OrgNumber, id, typ)
		if err != nil {
			s.partyError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, ok)
	}
}

// pendingPartyRequests answers GET {party}/{orgno}/pending (and agent/…):
// the New requests for the party, unpaged, as Altinn answers.
func (s *Server) pendingPartyRequests(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		party, ok := s.partyOf(w, r)
		if !ok {
			return
		}
		reqs, err := s.deps.Registry.PendingPartyRequests(r.Context(), party.OrgNumber, r.PathValue("orgno"), typ)
		if err != nil {
			s.partyError(w, r, err)
			return
		}
		out := make([]requestResponse, len(reqs))
		for i, req := range reqs {
			out[i] = toRequestResponse(req)
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// getRequestInternal answers GET {requestId} (and agent/{requestId}), the
// URL a created request's Location header names: the portal model, to a
// person with a role at the party (AUTH-00066 otherwise).
func (s *Server) getRequestInternal(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathUUID(r, "requestId")
		if err != nil {
			s.restError(w, r, err)
			return
		}
		req, mayApprove, err := s.deps.Registry.RequestForPerson(r.Context(), id, typ)
		if err != nil {
			s.restError(w, r, err)
			return
		}
		party, err := s.deps.Registry.GetOrganization(r.Context(), req.PartyOrg)
		if err != nil {
			s.restError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, requestInternal{requestResponse: toRequestResponse(req),
			PartyUUID: party.PartyUUID.String(), UserMayEscalateButNotApprove: !mayApprove, SystemUserType: req.RequestType})
	}
}

// getPartyChangeRequest answers GET changerequest/{party}/{requestId}.
func (s *Server) getPartyChangeRequest() http.HandlerFunc {
	return s.partyRoute(func(w http.ResponseWriter, r *http.Request, party *registry.Organization, id uuid.UUID) {
		cr, err := s.deps.Registry.GetPartyChangeRequest(r.Context(), party.OrgNumber, id)
		if err != nil {
			s.partyError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, toChangeRequestResponse(cr))
	})
}

// decidePartyChangeRequest answers POST changerequest/{party}/{requestId}/approve|reject with 200 true.
func (s *Server) decidePartyChangeRequest(decision string) http.HandlerFunc {
	return s.partyRoute(func(w http.ResponseWriter, r *http.Request, party *registry.Organization, id uuid.UUID) {
		var err error
		if decision == "approve" {
			_, err = s.deps.Registry.ApprovePartyChangeRequest(r.Context(), party.OrgNumber, id)
		} else {
			_, err = s.deps.Registry.RejectPartyChangeRequest(r.Context(), party.OrgNumber, id)
		}
		if err != nil {
			s.partyError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, true)
	})
}
