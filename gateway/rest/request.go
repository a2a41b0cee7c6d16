package rest

import (
	"net/http"
	"time"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/registry"
)

// createRequestBody is Altinn's CreateRequestSystemUser.
type createRequestBody struct {
	SystemID         string              `json:"systemId"`
	PartyOrgNo       string              `json:"partyOrgNo"`
	ExternalRef      string              `json:"externalRef"`
	IntegrationTitle string              `json:"integrationTitle"`
	Rights           []rightJSON         `json:"rights"`
	AccessPackages   []accessPackageJSON `json:"accessPackages"`
	RedirectURL      string              `json:"redirectUrl"`
}

// createAgentRequestBody is Altinn's CreateAgentRequestSystemUser: no rights.
type createAgentRequestBody struct {
	SystemID         string              `json:"systemId"`
	PartyOrgNo       string              `json:"partyOrgNo"`
	ExternalRef      string              `json:"externalRef"`
	IntegrationTitle string              `json:"integrationTitle"`
	AccessPackages   []accessPackageJSON `json:"accessPackages"`
	RedirectURL      string              `json:"redirectUrl"`
}

// requestResponse is Altinn's RequestSystemResponse (AgentRequestSystemResponse
// when Rights is nil: agent requests carry packages only).
type requestResponse struct {
	ID               string              `json:"id"`
	IntegrationTitle string              `json:"integrationTitle,omitempty"`
	ExternalRef      string              `json:"externalRef"`
	SystemID         string              `json:"systemId"`
	PartyOrgNo       string              `json:"partyOrgNo"`
	Rights           []rightJSON         `json:"rights,omitempty"`
	AccessPackages   []accessPackageJSON `json:"accessPackages"`
	Status           string              `json:"status"`
	RedirectURL      string              `json:"redirectUrl,omitempty"`
	ConfirmURL       string              `json:"confirmUrl,omitempty"`
	Escalated        bool                `json:"escalated"`
	Created          time.Time           `json:"created"`
	TimedOut         bool                `json:"timedOut"`
}

func toRequestResponse(req *registry.Request) requestResponse {
	out := requestResponse{
		ID: req.ID.String(), IntegrationTitle: req.IntegrationTitle, ExternalRef: req.ExternalRef,
		SystemID: req.SystemID, PartyOrgNo: req.PartyOrg, AccessPackages: packagesToJSON(req.AccessPackages),
		Status: req.Status, RedirectURL: req.RedirectURL, ConfirmURL: req.ConfirmURL,
		Escalated: req.Escalated, Created: req.CreatedAt.UTC(), TimedOut: req.TimedOut,
	}
	if req.RequestType != registry.TypeAgent {
		out.Rights = rightsToJSON(req.Rights)
		if out.Rights == nil {
			out.Rights = []rightJSON{}
		}
	}
	return out
}

var (
	errNotAgentRequest = apperr.New(apperr.Invalid, "NOT_AN_AGENT_REQUEST", "the request is not an agent request").WithAltinn("AUTH-00025")
)

// writeCreatedRequest answers 201 with Location for a new request, 200 with
// the existing one for a repeat.
func (s *Server) writeCreatedRequest(w http.ResponseWriter, r *http.Request, req *registry.Request, created bool) {
	if !created {
		writeJSON(w, http.StatusOK, toRequestResponse(req))
		return
	}
	// Altinn's Location is {platform}authentication/api/v1/systemuser/request/{id}
	// for both types: the end-user route, not the vendor's.
	w.Header().Set("Location", s.publicBase(r)+euReqBase+"/"+req.ID.String())
	writeJSON(w, http.StatusCreated, toRequestResponse(req))
}

func (s *Server) handleCreateRequest(w http.ResponseWriter, r *http.Request) {
	var body createRequestBody
	if err := decodeJSON(r, &body); err != nil {
		s.restError(w, r, err)
		return
	}
	rights, vs := rightsFromJSON(body.Rights, "/rights/resource")
	if err := apperr.Validation(vs); err != nil {
		s.restError(w, r, err)
		return
	}
	req, created, err := s.deps.Registry.CreateRequest(r.Context(), registry.RequestInput{
		SystemID: body.SystemID, PartyOrg: body.PartyOrgNo, ExternalRef: body.ExternalRef,
		IntegrationTitle: body.IntegrationTitle, Rights: rights,
		AccessPackages: packagesFromJSON(body.AccessPackages), RedirectURL: body.RedirectURL,
	})
	if err != nil {
		s.restError(w, r, err)
		return
	}
	s.writeCreatedRequest(w, r, req, created)
}

func (s *Server) handleCreateAgentRequest(w http.ResponseWriter, r *http.Request) {
	var body createAgentRequestBody
	if err := decodeJSON(r, &body); err != nil {
		s.restError(w, r, err)
		return
	}
	req, created, err := s.deps.Registry.CreateAgentRequest(r.Context(), registry.RequestInput{
		SystemID: body.SystemID, PartyOrg: body.PartyOrgNo, ExternalRef: body.ExternalRef,
		IntegrationTitle: body.IntegrationTitle, AccessPackages: packagesFromJSON(body.AccessPackages),
		RedirectURL: body.RedirectURL,
	})
	if err != nil {
		s.restError(w, r, err)
		return
	}
	s.writeCreatedRequest(w, r, req, created)
}

// typedRequest checks that req is of the type the route serves.
func typedRequest(req *registry.Request, typ string) error {
	switch {
	case req.RequestType == typ:
		return nil
	case typ == registry.TypeAgent:
		return errNotAgentRequest
	default:
		return registry.ErrRequestNotFound
	}
}

func (s *Server) getRequest(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathUUID(r, "requestId")
		if err != nil {
			s.restError(w, r, err)
			return
		}
		req, err := s.deps.Registry.GetRequest(r.Context(), id)
		if err == nil {
			err = typedRequest(req, typ)
		}
		if err != nil {
			s.restError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, toRequestResponse(req))
	}
}

func (s *Server) getRequestByExternalRef(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := s.deps.Registry.GetRequestByExternalRef(r.Context(), r.PathValue("systemId"),
			r.PathValue("orgNo"), r.PathValue("externalRef"), typ)
		if err != nil {
			s.restError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, toRequestResponse(req))
	}
}

func (s *Server) listRequestsBySystem(typ string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, err := s.deps.Registry.ListRequestsBySystem(r.Context(), r.PathValue("systemId"), typ, pageOf(r))
		if err != nil {
			s.restError(w, r, err)
			return
		}
		out := paginated[requestResponse]{Data: make([]requestResponse, len(conn.Items))}
		for i, req := range conn.Items {
			out.Data[i] = toRequestResponse(req)
		}
		out.Links.Next = s.nextLink(r, conn.HasNextPage, conn.EndCursor())
		writeJSON(w, http.StatusOK, out)
	}
}

// handleDeleteRequest answers 202 with no body, as Altinn does.
func (s *Server) handleDeleteRequest(w http.ResponseWriter, r *http.Request) {
	id, err := pathUUID(r, "requestId")
	if err == nil {
		err = s.deps.Registry.DeleteRequest(r.Context(), id)
	}
	if err != nil {
		s.restError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
