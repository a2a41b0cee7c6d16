package rest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/registry"
)

// restRoute is one Altinn-compatible REST route. The table is data: the
// router checks each route's Auth before its handler runs, OpenAPI's
// security is generated from Auth, and tests check that every route is
// documented (and nothing else is) and answers each kind of token as Auth
// says. To add a route, add a row: Method, Path, Auth and Handler.
type restRoute struct {
	Method string
	Path   string // exactly as in openapi.yaml
	// Auth is who may call the route, from auth's policy table. A caller it
	// does not admit gets 401 (anonymous) or 403 with no body, as Altinn's
	// policies answer, and the handler never runs.
	Auth auth.Requirement
	// NeedsPDP routes are served only when the gateway has a PDP.
	NeedsPDP bool
	// Mux overrides the ServeMux path for routes ServeMux cannot tell apart
	// (GET systemregister/vendor/{systemId} and systemregister/{systemId}/rights
	// both match .../vendor/rights); routes sharing it are told apart by Path.
	Mux     string
	Handler func(*Server) http.Handler
}

const (
	srBase  = "/authentication/api/v1/systemregister"
	reqBase = "/authentication/api/v1/systemuser/request/vendor"
	suBase  = "/authentication/api/v1/systemuser"
	crBase  = "/authentication/api/v1/systemuser/changerequest/vendor"
	euBase  = "/authentication/api/v1/enduser/systemuser"

	authorizePath = "/authorization/api/v1/authorize"
)

func h(f func(*Server, http.ResponseWriter, *http.Request)) func(*Server) http.Handler {
	return func(s *Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f(s, w, r) })
	}
}

func hb(f func(*Server, string) http.HandlerFunc, arg string) func(*Server) http.Handler {
	return func(s *Server) http.Handler { return f(s, arg) }
}

// hf adapts a handler built by a closure over the server.
func hf(f func(*Server) http.HandlerFunc) func(*Server) http.Handler {
	return func(s *Server) http.Handler { return f(s) }
}

// restRouteTable lists every REST route. The PDP's POST
// /authorization/api/v1/authorize is wired by the lead beside it.
func restRouteTable() []restRoute {
	srPair := srBase + "/{a}/{b}"
	// GET request/vendor/agent/{requestId}, vendor/bysystem/{systemId},
	// agent/{party}/{requestId} and {party}/{orgno}/pending all match
	// .../vendor/agent/pending; the literal segments decide (dispatch).
	reqTriple := euReqBase + "/{a}/{b}/{c}"
	std, agent := registry.TypeStandard, registry.TypeAgent
	return []restRoute{
		{Method: "GET", Path: "/openapi.json", Auth: auth.Public, Handler: h((*Server).handleOpenAPI)},

		{Method: "GET", Path: srBase, Auth: auth.Portal, Handler: h((*Server).handleListVisibleSystems)},
		{Method: "GET", Path: srBase + "/vendor", Auth: auth.SystemRegisterWrite, Handler: h((*Server).handleListVendorSystems)},
		{Method: "POST", Path: srBase + "/vendor", Auth: auth.SystemRegisterWrite, Handler: h((*Server).handleRegisterSystem)},
		{Method: "GET", Path: srBase + "/{systemId}", Auth: auth.Portal, Handler: h((*Server).handleGetSystem)},
		{Method: "GET", Path: srBase + "/vendor/{systemId}", Auth: auth.SystemRegisterWrite, Mux: srPair, Handler: h((*Server).handleGetVendorSystem)},
		{Method: "GET", Path: srBase + "/{systemId}/rights", Auth: auth.Portal, Mux: srPair, Handler: h((*Server).handleGetSystemRights)},
		{Method: "GET", Path: srBase + "/{systemId}/accesspackages", Auth: auth.Portal, Mux: srPair, Handler: h((*Server).handleGetSystemAccessPackages)},
		{Method: "PUT", Path: srBase + "/vendor/{systemId}", Auth: auth.SystemRegisterWrite, Handler: h((*Server).handleUpdateSystem)},
		{Method: "PUT", Path: srBase + "/vendor/{systemId}/rights", Auth: auth.SystemRegisterWrite, Handler: h((*Server).handleUpdateSystemRights)},
		{Method: "PUT", Path: srBase + "/vendor/{systemId}/accesspackages", Auth: auth.SystemRegisterWrite, Handler: h((*Server).handleUpdateSystemAccessPackages)},
		{Method: "DELETE", Path: srBase + "/vendor/{systemId}", Auth: auth.SystemRegisterWrite, Handler: h((*Server).handleDeleteSystem)},
		{Method: "GET", Path: srBase + "/vendor/{systemId}/changelog", Auth: auth.SystemRegisterWrite, Handler: h((*Server).handleSystemChangeLog)},

		{Method: "POST", Path: reqBase, Auth: auth.RequestWrite, Handler: h((*Server).handleCreateRequest)},
		{Method: "POST", Path: reqBase + "/agent", Auth: auth.RequestWrite, Handler: h((*Server).handleCreateAgentRequest)},
		{Method: "GET", Path: reqBase + "/{requestId}", Auth: auth.RequestRead, Handler: hb((*Server).getRequest, registry.TypeStandard)},
		{Method: "GET", Path: reqBase + "/agent/{requestId}", Auth: auth.RequestRead, Mux: reqTriple, Handler: hb((*Server).getRequest, registry.TypeAgent)},
		{Method: "GET", Path: reqBase + "/byexternalref/{systemId}/{orgNo}/{externalRef}", Auth: auth.RequestRead, Handler: hb((*Server).getRequestByExternalRef, registry.TypeStandard)},
		{Method: "GET", Path: reqBase + "/agent/byexternalref/{systemId}/{orgNo}/{externalRef}", Auth: auth.RequestRead, Handler: hb((*Server).getRequestByExternalRef, registry.TypeAgent)},
		{Method: "GET", Path: reqBase + "/bysystem/{systemId}", Auth: auth.RequestRead, Mux: reqTriple, Handler: hb((*Server).listRequestsBySystem, registry.TypeStandard)},
		{Method: "GET", Path: reqBase + "/agent/bysystem/{systemId}", Auth: auth.RequestRead, Handler: hb((*Server).listRequestsBySystem, registry.TypeAgent)},
		{Method: "DELETE", Path: reqBase + "/{requestId}", Auth: auth.RequestWrite, Handler: h((*Server).handleDeleteRequest)},

		// The end user's side of requests (portal token; {party} is an org number or a party UUID).
		{Method: "GET", Path: euReqBase + "/{requestId}", Auth: auth.Portal, Handler: hb((*Server).getRequestInternal, std)},
		{Method: "GET", Path: euReqBase + "/agent/{requestId}", Auth: auth.Portal, Handler: hb((*Server).getRequestInternal, agent)},
		{Method: "GET", Path: euReqBase + "/{party}/{requestId}", Auth: auth.Portal, Handler: hb((*Server).getPartyRequest, std)},
		{Method: "GET", Path: euReqBase + "/agent/{party}/{requestId}", Auth: auth.Portal, Mux: reqTriple, Handler: hb((*Server).getPartyRequest, agent)},
		{Method: "GET", Path: euReqBase + "/{party}/{orgno}/pending", Auth: auth.Portal, Mux: reqTriple, Handler: hb((*Server).pendingPartyRequests, std)},
		{Method: "GET", Path: euReqBase + "/agent/{party}/{orgno}/pending", Auth: auth.Portal, Handler: hb((*Server).pendingPartyRequests, agent)},
		{Method: "POST", Path: euReqBase + "/{party}/{requestId}/approve", Auth: auth.Portal, Handler: hf(func(s *Server) http.HandlerFunc { return s.decidePartyRequest(std, "approve") })},
		{Method: "POST", Path: euReqBase + "/{party}/{requestId}/reject", Auth: auth.Portal, Handler: hf(func(s *Server) http.HandlerFunc { return s.decidePartyRequest(std, "reject") })},
		{Method: "POST", Path: euReqBase + "/{party}/{requestId}/escalate", Auth: auth.Portal, Handler: hb((*Server).escalatePartyRequest, std)},
		{Method: "POST", Path: euReqBase + "/agent/{party}/{requestId}/approve", Auth: auth.Portal, Handler: hf(func(s *Server) http.HandlerFunc { return s.decidePartyRequest(agent, "approve") })},
		{Method: "POST", Path: euReqBase + "/agent/{party}/{requestId}/reject", Auth: auth.Portal, Handler: hf(func(s *Server) http.HandlerFunc { return s.decidePartyRequest(agent, "reject") })},
		{Method: "POST", Path: euReqBase + "/agent/{party}/{requestId}/escalate", Auth: auth.Portal, Handler: hb((*Server).escalatePartyRequest, agent)},

		{Method: "GET", Path: suBase + "/byExternalId", Auth: auth.SystemUserLookup, Handler: h((*Server).handleSystemUserByExternalID)},
		{Method: "GET", Path: suBase + "/vendor/bysystem/{systemId}", Auth: auth.SystemRegisterWrite, Handler: h((*Server).handleVendorSystemUsersBySystem)},
		{Method: "GET", Path: suBase + "/vendor/byquery", Auth: auth.RequestWrite, Handler: h((*Server).handleVendorSystemUserByQuery)},
		// The end user's system users (portal token; {party} is an org number or a party UUID).
		{Method: "GET", Path: suBase + "/{party}", Auth: auth.Portal, Handler: hb((*Server).partySystemUsers, std)},
		{Method: "GET", Path: suBase + "/agent/{party}", Auth: auth.Portal, Handler: hb((*Server).partySystemUsers, agent)},
		{Method: "GET", Path: suBase + "/{party}/{systemUserId}", Auth: auth.Portal, Handler: h((*Server).handleGetPartySystemUser)},
		{Method: "POST", Path: suBase + "/{party}/create", Auth: auth.Portal, Handler: h((*Server).handleCreatePartySystemUser)},
		{Method: "DELETE", Path: suBase + "/{party}/{systemUserId}", Auth: auth.Portal, Handler: hb((*Server).deletePartySystemUser, std)},
		{Method: "DELETE", Path: suBase + "/agent/{party}/{systemUserId}", Auth: auth.Portal, Handler: hb((*Server).deletePartySystemUser, agent)},

		{Method: "POST", Path: crBase, Auth: auth.RequestWrite, Handler: h((*Server).handleCreateChangeRequest)},
		{Method: "GET", Path: crBase + "/{requestId}", Auth: auth.RequestRead, Handler: h((*Server).handleGetChangeRequest)},
		{Method: "GET", Path: crBase + "/byexternalref/{systemId}/{orgNo}/{externalRef}", Auth: auth.RequestRead, Handler: h((*Server).handleGetChangeRequestByExternalRef)},
		{Method: "GET", Path: crBase + "/bysystem/{systemId}", Auth: auth.RequestRead, Handler: h((*Server).handleListChangeRequestsBySystem)},
		{Method: "DELETE", Path: crBase + "/{requestId}", Auth: auth.RequestWrite, Handler: h((*Server).handleDeleteChangeRequest)},
		{Method: "GET", Path: euCRBase + "/{requestId}", Auth: auth.RequestStatus, Handler: h((*Server).handleGetChangeRequest)}, // the Location of a created change request; the registry scopes what each caller may read,
		{Method: "GET", Path: euCRBase + "/{party}/{requestId}", Auth: auth.Portal, Handler: hf((*Server).getPartyChangeRequest)},
		{Method: "POST", Path: euCRBase + "/{party}/{requestId}/approve", Auth: auth.Portal, Handler: hb((*Server).decidePartyChangeRequest, "approve")},
		{Method: "POST", Path: euCRBase + "/{party}/{requestId}/reject", Auth: auth.Portal, Handler: hb((*Server).decidePartyChangeRequest, "reject")},

		{Method: "GET", Path: euBase + "/agents", Auth: auth.ClientDelegationRead, Handler: h((*Server).handleListAgents)},
		{Method: "GET", Path: euBase + "/clients/available", Auth: auth.ClientDelegationRead, Handler: h((*Server).handleAvailableClients)},
		{Method: "GET", Path: euBase + "/clients", Auth: auth.ClientDelegationRead, Handler: h((*Server).handleListClients)},
		{Method: "POST", Path: euBase + "/clients", Auth: auth.ClientDelegationWrite, Handler: hb((*Server).handleClientDelegationFor, "add")},
		{Method: "DELETE", Path: euBase + "/clients", Auth: auth.ClientDelegationWrite, Handler: hb((*Server).handleClientDelegationFor, "remove")},

		{Method: "POST", Path: authorizePath, Auth: auth.Authorize, NeedsPDP: true, Handler: h((*Server).handleAuthorize)},
	}
}

// restRoutes registers the REST API and the OpenAPI document.
func (s *Server) restRoutes(mux *http.ServeMux) {
	shared := map[string][]restRoute{}
	var order []string
	for _, rt := range restRouteTable() {
		if rt.NeedsPDP && s.deps.PDP == nil {
			continue
		}
		if rt.Mux == "" {
			mux.Handle(rt.Method+" "+rt.Path, guard(rt.Auth, rt.Handler(s)))
			continue
		}
		key := rt.Method + " " + rt.Mux
		if _, ok := shared[key]; !ok {
			order = append(order, key)
		}
		shared[key] = append(shared[key], rt)
	}
	for _, key := range order {
		mux.Handle(key, s.dispatch(shared[key]))
	}
}

// dispatch picks the route whose Path matches the request, preferring
// literal segments over wildcards (ServeMux's own rule), and sets its path
// values.
func (s *Server) dispatch(routes []restRoute) http.Handler {
	routes = slices.Clone(routes)
	slices.SortStableFunc(routes, func(a, b restRoute) int { return wildcards(a.Path) - wildcards(b.Path) })
	handlers := make([]http.Handler, len(routes))
	for i, rt := range routes {
		handlers[i] = guard(rt.Auth, rt.Handler(s))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i, rt := range routes {
			if vals, ok := matchPath(rt.Path, r.URL.Path); ok {
				for k, v := range vals {
					r.SetPathValue(k, v)
				}
				handlers[i].ServeHTTP(w, r)
				return
			}
		}
		http.NotFound(w, r)
	})
}

func wildcards(path string) int { return strings.Count(path, "{") }

// matchPath matches a path against a pattern of literal and {name} segments.
func matchPath(pattern, path string) (map[string]string, bool) {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	vals := map[string]string{}
	for i, p := range ps {
		if name, ok := strings.CutPrefix(p, "{"); ok {
			if xs[i] == "" {
				return nil, false
			}
			vals[strings.TrimSuffix(name, "}")] = xs[i]
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	return vals, true
}

// Route describes one REST route and who may call it, for documentation and
// for tests that walk every route.
type Route struct {
	Method, Path string
	Auth         auth.Requirement
	NeedsPDP     bool
}

// Routes lists the route table.
func Routes() []Route {
	var out []Route
	for _, rt := range restRouteTable() {
		out = append(out, Route{Method: rt.Method, Path: rt.Path, Auth: rt.Auth, NeedsPDP: rt.NeedsPDP})
	}
	return out
}
