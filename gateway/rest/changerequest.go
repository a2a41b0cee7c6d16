package rest

import (
	"net/http"
	"time"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/registry"
)

// changeRequestBody is Altinn's ChangeRequestSystemUser.
type changeRequestBody struct {
	RequiredRights         []rightJSON         `json:"requiredRights"`
	UnwantedRights         []rightJSON         `json:"unwantedRights"`
	RequiredAccessPackages []accessPackageJSON `json:"requiredAccessPackages"`
	UnwantedAccessPackages []accessPackageJSON `json:"unwantedAccessPackages"`
	RedirectURL            string              `json:"redirectUrl"`
}

// changeRequestResponse is Altinn's ChangeRequestResponse.
type changeRequestResponse struct {
	ID                     string              `json:"id"`
	ExternalRef            string              `json:"externalRef"`
	SystemID               string              `json:"systemId"`
	SystemUserID           string              `json:"systemUserId"`
	PartyOrgNo             string              `json:"partyOrgNo"`
	RequiredRights         []rightJSON         `json:"requiredRights"`
	UnwantedRights         []rightJSON         `json:"unwantedRights"`
	RequiredAccessPackages []accessPackageJSON `json:"requiredAccessPackages"`
	UnwantedAccessPackages []accessPackageJSON `json:"unwantedAccessPackages"`
	Status                 string              `json:"status"`
	RedirectURL            string              `json:"redirectUrl,omitempty"`
	ConfirmURL             string              `json:"confirmUrl,omitempty"`
	Created                time.Time           `json:"created"`
	TimedOut               bool                `json:"timedOut"`
}

func toChangeRequestResponse(cr *registry.ChangeRequest) changeRequestResponse {
	out := changeRequestResponse{
		ID: cr.ID.String(), ExternalRef: cr.ExternalRef, SystemID: cr.SystemID, SystemUserID: cr.SystemUserID.String(),
		PartyOrgNo: cr.PartyOrg, RequiredRights: rightsToJSON(cr.RequiredRights), UnwantedRights: rightsToJSON(cr.UnwantedRights),
		RequiredAccessPackages: packagesToJSON(cr.RequiredAccessPackages), UnwantedAccessPackages: packagesToJSON(cr.UnwantedAccessPackages),
		Status: cr.Status, RedirectURL: cr.RedirectURL, Created: cr.CreatedAt.UTC(), TimedOut: cr.TimedOut,
	}
	if cr.Status != registry.StatusNoChangeNeeded {
		out.ConfirmURL = cr.ConfirmURL
	}
	return out
}

// handleCreateChangeRequest: 201 for a new change request, 200 for a known
// correlation id or NoChangeNeeded.
func (s *Server) handleCreateChangeRequest(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	corr, err := parseUUID(q.Get("correlation-id"), "correlation-id")
	if err != nil {
		s.restError(w, r, err)
		return
	}
	suID, err := parseUUID(q.Get("system-user-id"), "system-user-id")
	if err != nil {
		s.restError(w, r, err)
		return
	}
	var body changeRequestBody
	if err := decodeJSON(r, &body); err != nil {
		s.restError(w, r, err)
		return
	}
	req, vs := rightsFromJSON(body.RequiredRights, "/requiredrights/resource")
	unw, vs2 := rightsFromJSON(body.UnwantedRights, "/unwantedrights/resource")
	if err := apperr.Validation(append(vs, vs2...)); err != nil {
		s.restError(w, r, err)
		return
	}
	cr, created, err := s.deps.Registry.CreateChangeRequest(r.Context(), corr, suID, registry.ChangeRequestInput{
		RequiredRights: req, UnwantedRights: unw,
		RequiredAccessPackages: packagesFromJSON(body.RequiredAccessPackages),
		UnwantedAccessPackages: packagesFromJSON(body.UnwantedAccessPackages),
		RedirectURL:            body.RedirectURL,
	})
	if err != nil {
		s.restError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		// Altinn's Location names the end-user route, not the vendor's.
		w.Header().Set("Location", s.publicBase(r)+euCRBase+"/"+cr.ID.String())
	}
	writeJSON(w, status, toChangeRequestResponse(cr))
}

func (s *Server) handleGetChangeRequest(w http.ResponseWriter, r *http.Request) {
	id, err := pathUUID(r, "requestId")
	if err != nil {
		s.restError(w, r, err)
		return
	}
	cr, err := s.deps.Registry.GetChangeRequest(r.Context(), id)
	if err != nil {
		s.restError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toChangeRequestResponse(cr))
}
