package rest

// Route is one REST route: its method and its path as openapi.yaml names it.
type Route struct{ Method, Path string }

// Routes lists every route of the REST API (POST /authorization/api/v1/authorize
// included), for tests that walk them all.
func Routes() []Route {
	table := restRouteTable()
	out := make([]Route, 0, len(table)+1)
	for _, rt := range table {
		out = append(out, Route{Method: rt.Method, Path: rt.Path})
	}
	return append(out, Route{Method: "POST", Path: "/authorization/api/v1/authorize"})
}
