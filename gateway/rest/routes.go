package rest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/systemuser-gateway/systemuser/registry"
)

// restRoute is one Altinn-compatible REST route. The table is data so that
// the OpenAPI test can check every registered route is documented (and
// nothing else is).
type restRoute struct {
	Method string
	Path   string // exactly as in openapi.yaml
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
)

func h(f func(*Server, http.ResponseWriter, *http.Request)) func(*Server) http.Handler {
	return func(s *Server) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f(s, w, r) })
	}
}

func hb(f func(*Server, string) http.HandlerFunc, arg string) func(*Server) http.Handler {
	return func(s *Server) http.Handler { return f(s, arg) }
}

// restRouteTable lists every REST route. The PDP's POST
// /authorization/api/v1/authorize is wired by the lead beside it.
func restRouteTable() []restRoute {
	srPair := srBase + "/{a}/{b}"
	return []restRoute{
		{Method: "GET", Path: "/openapi.json", Handler: h((*Server).handleOpenAPI)},

		{Method: "GET", Path: srBase, Handler: h((*Server).handleListVisibleSystems)},
		{Method: "GET", Path: srBase + "/vendor", Handler: h((*Server).handleListVendorSystems)},
		{Method: "POST", Path: srBase + "/vendor", Handler: h((*Server).handleRegisterSystem)},
		{Method: "GET", Path: srBase + "/{systemId}", Handler: h((*Server).handleGetSystem)},
		{Method: "GET", Path: srBase + "/vendor/{systemId}", Mux: srPair, Handler: h((*Server).handleGetVendorSystem)},
		{Method: "GET", Path: srBase + "/{systemId}/rights", Mux: srPair, Handler: h((*Server).handleGetSystemRights)},
		{Method: "GET", Path: srBase + "/{systemId}/accesspackages", Mux: srPair, Handler: h((*Server).handleGetSystemAccessPackages)},
		{Method: "PUT", Path: srBase + "/vendor/{systemId}", Handler: h((*Server).handleUpdateSystem)},
		{Method: "PUT", Path: srBase + "/vendor/{systemId}/rights", Handler: h((*Server).handleUpdateSystemRights)},
		{Method: "PUT", Path: srBase + "/vendor/{systemId}/accesspackages", Handler: h((*Server).handleUpdateSystemAccessPackages)},
		{Method: "DELETE", Path: srBase + "/vendor/{systemId}", Handler: h((*Server).handleDeleteSystem)},

		{Method: "POST", Path: reqBase, Handler: h((*Server).handleCreateRequest)},
		{Method: "POST", Path: reqBase + "/agent", Handler: h((*Server).handleCreateAgentRequest)},
		{Method: "GET", Path: reqBase + "/{requestId}", Handler: hb((*Server).getRequest, registry.TypeStandard)},
		{Method: "GET", Path: reqBase + "/agent/{requestId}", Handler: hb((*Server).getRequest, registry.TypeAgent)},
		{Method: "GET", Path: reqBase + "/byexternalref/{systemId}/{orgNo}/{externalRef}", Handler: hb((*Server).getRequestByExternalRef, registry.TypeStandard)},
		{Method: "GET", Path: reqBase + "/agent/byexternalref/{systemId}/{orgNo}/{externalRef}", Handler: hb((*Server).getRequestByExternalRef, registry.TypeAgent)},
		{Method: "GET", Path: reqBase + "/bysystem/{systemId}", Handler: hb((*Server).listRequestsBySystem, registry.TypeStandard)},
		{Method: "GET", Path: reqBase + "/agent/bysystem/{systemId}", Handler: hb((*Server).listRequestsBySystem, registry.TypeAgent)},
		{Method: "DELETE", Path: reqBase + "/{requestId}", Handler: h((*Server).handleDeleteRequest)},

		{Method: "GET", Path: suBase + "/byExternalId", Handler: h((*Server).handleSystemUserByExternalID)},
		{Method: "GET", Path: suBase + "/vendor/bysystem/{systemId}", Handler: h((*Server).handleVendorSystemUsersBySystem)},
		{Method: "GET", Path: suBase + "/vendor/byquery", Handler: h((*Server).handleVendorSystemUserByQuery)},

		{Method: "POST", Path: crBase, Handler: h((*Server).handleCreateChangeRequest)},
		{Method: "GET", Path: crBase + "/{requestId}", Handler: h((*Server).handleGetChangeRequest)},
		{Method: "GET", Path: crBase + "/byexternalref/{systemId}/{orgNo}/{externalRef}", Handler: h((*Server).handleGetChangeRequestByExternalRef)},
		{Method: "GET", Path: crBase + "/bysystem/{systemId}", Handler: h((*Server).handleListChangeRequestsBySystem)},
		{Method: "DELETE", Path: crBase + "/{requestId}", Handler: h((*Server).handleDeleteChangeRequest)},

		{Method: "GET", Path: euBase + "/agents", Handler: h((*Server).handleListAgents)},
		{Method: "GET", Path: euBase + "/clients/available", Handler: h((*Server).handleAvailableClients)},
		{Method: "GET", Path: euBase + "/clients", Handler: h((*Server).handleListClients)},
		{Method: "POST", Path: euBase + "/clients", Handler: hb((*Server).handleClientDelegationFor, "add")},
		{Method: "DELETE", Path: euBase + "/clients", Handler: hb((*Server).handleClientDelegationFor, "remove")},
	}
}

// restRoutes registers the REST API and the OpenAPI document.
func (s *Server) restRoutes(mux *http.ServeMux) {
	shared := map[string][]restRoute{}
	var order []string
	for _, rt := range restRouteTable() {
		if rt.Mux == "" {
			mux.Handle(rt.Method+" "+rt.Path, rt.Handler(s))
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
		handlers[i] = rt.Handler(s)
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
