package simulator

import (
	"net/http"
	"slices"
	"strings"
)

// The client admin API and /person-token are conveniences of a local dev
// stack: the first creates clients and hands out their private keys, the
// second issues any seeded person's token without a login. Neither has a
// counterpart in Maskinporten or ID-porten, so they are not routed at all
// (404) unless Config.DevEndpoints turns them on, and turning them on is
// logged at startup.

// devRoutes registers the dev-only endpoints on m.
func (s *Server) devRoutes(m *routeRecorder) {
	m.Handle("POST /person-token", s.tokens.wrap(kindPerson, http.HandlerFunc(s.handlePersonToken)))
	m.Handle("GET /admin/clients", s.admin(s.handleListClients))
	m.Handle("POST /admin/clients", s.admin(s.handleCreateClient))
	m.Handle("DELETE /admin/clients/{id}", s.admin(s.handleDeleteClient))
	m.Handle("POST /admin/clients/{id}/rotate", s.admin(s.handleRotateClient))
	s.log.Warn("simulator dev endpoints enabled: /admin/clients and /person-token issue clients, keys and person tokens; never expose this listener to the internet",
		"admin_open", s.cfg.AdminOpen, "privileged_scopes", s.cfg.AllowPrivilegedScopes)
}

// privilegedScope reports whether a client holding scope could administer
// the whole system or read every organisation's system users: the
// System Register admin scope, Maskinporten's own lookup scope, and any
// other ".admin" scope. The admin API is open without a token under `dev`,
// so if it handed these out, anyone who reaches the simulator could make
// themselves platform admin of the gateway. They come only from the seeded
// world, or through the admin API when Config.AllowPrivilegedScopes says so.
func privilegedScope(scope string) bool {
	return scope == AdminScope || scope == LookupScope || strings.HasSuffix(scope, ".admin")
}

// refusePrivileged writes 403 and reports true when scopes hold a privileged
// scope the admin API may not hand out (or rotate keys for, which would hand
// out the client's new private key just the same).
func (s *Server) refusePrivileged(w http.ResponseWriter, scopes []string) bool {
	if s.cfg.AllowPrivilegedScopes {
		return false
	}
	i := slices.IndexFunc(scopes, privilegedScope)
	if i < 0 {
		return false
	}
	writeJSON(w, http.StatusForbidden, apiError{"forbidden",
		"scope " + scopes[i] + " is privileged: the simulator's admin API manages clients holding it only when started with --admin-privileged-scopes"})
	return true
}
