package gateway

import "net/http"

// restRoutes registers the Altinn-compatible REST API.
func (s *Server) restRoutes(mux *http.ServeMux) {
	mux.Handle("GET /authentication/api/v1/systemuser/byExternalId", s.authenticate(http.HandlerFunc(s.handleSystemUserByExternalID)))
}
