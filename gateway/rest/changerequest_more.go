package rest

import (
	"net/http"
)

// handleGetChangeRequestByExternalRef answers the newest live change request
// of the system user keyed (system, org, externalRef). It is a vendor route:
// the registry would also show the owner's administrators, who use the
// confirm pages instead.
func (s *Server) handleGetChangeRequestByExternalRef(w http.ResponseWriter, r *http.Request) {
	cr, err := s.deps.Registry.GetChangeRequestByExternalRef(r.Context(), r.PathValue("systemId"),
		r.PathValue("orgNo"), r.PathValue("externalRef"))
	if err != nil {
		s.restError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toChangeRequestResponse(cr))
}

// handleListChangeRequestsBySystem is Altinn's Paginated change request list
// of one of the caller's systems, paged with ?token=.
func (s *Server) handleListChangeRequestsBySystem(w http.ResponseWriter, r *http.Request) {
	conn, err := s.deps.Registry.ListChangeRequestsBySystem(r.Context(), r.PathValue("systemId"), pageOf(r))
	if err != nil {
		s.restError(w, r, err)
		return
	}
	out := paginated[changeRequestResponse]{Data: make([]changeRequestResponse, len(conn.Items))}
	for i, cr := range conn.Items {
		out.Data[i] = toChangeRequestResponse(cr)
	}
	out.Links.Next = s.nextLink(r, conn.HasNextPage, conn.EndCursor())
	writeJSON(w, http.StatusOK, out)
}

// handleDeleteChangeRequest answers 202 with no body, as Altinn does.
func (s *Server) handleDeleteChangeRequest(w http.ResponseWriter, r *http.Request) {
	id, err := pathUUID(r, "requestId")
	if err == nil {
		err = s.deps.Registry.DeleteChangeRequest(r.Context(), id)
	}
	if err != nil {
		s.restError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
