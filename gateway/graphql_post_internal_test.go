package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/systemuser-gateway/systemuser/graph"
)

// TestPostTransportAnswersAsGqlgens sends the same requests to the
// gateway's schema behind gqlgen's transport.POST and behind postTransport,
// and wants the same status, body and media type: data written directly
// or through encoding/json (descriptions holding < and >), errors of every
// stage, and every way of asking for a media type. Only the header is
// expected to differ: gqlgen adds its Content-Type to one already set.
func TestPostTransportAnswersAsGqlgens(t *testing.T) {
	t.Parallel()
	full, err := os.ReadFile("testdata/introspection/graphql-js-16.15.0-all-options.graphql")
	if err != nil {
		t.Fatal(err)
	}
	serve := func(tr graphql.Transport) http.Handler {
		srv := handler.New(graph.NewExecutableSchema(graph.Config{}))
		srv.AddTransport(tr)
		srv.SetQueryCache(lru.New[*ast.QueryDocument](10))
		srv.Use(extension.Introspection{})
		return srv
	}
	gqlgens, ours := serve(transport.POST{}), serve(postTransport{})
	bodies := map[string]string{
		"typename":           `{"query":"{ __typename }"}`,
		"escaped data":       `{"query":"{ __type(name: \"Decision\") { fields { name description } } }"}`,
		"full introspection": fmt.Sprintf(`{"query":%q,"operationName":"IntrospectionQuery"}`, full),
		"variables":          `{"query":"query($n: String!) { __type(name: $n) { name } }","variables":{"n":"System"}}`,
		"a variable missing": `{"query":"query($n: String!) { __type(name: $n) { name } }"}`,
		"not GraphQL":        `{"query":"{ __typename"}`,
		"not valid":          `{"query":"{ nope }"}`,
		"no such operation":  `{"query":"query A { __typename }","operationName":"B"}`,
		"not JSON":           `{"query":`,
		"trailing bytes":     `{"query":"{ __typename }"} trailing`,
		"empty body":         ``,
	}
	accepts := []string{"", "application/json", "application/graphql-response+json", "*/*", "text/html",
		"application/graphql-response+json;charset=utf-8, application/json;q=0.9", "garbage;;"}
	for name, body := range bodies {
		for _, accept := range accepts {
			t.Run(name+"/"+accept, func(t *testing.T) {
				t.Parallel()
				do := func(h http.Handler) (int, []string, string) {
					req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					if accept != "" {
						req.Header.Set("Accept", accept)
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					b, _ := io.ReadAll(w.Result().Body)
					return w.Code, w.Result().Header.Values("Content-Type"), string(b)
				}
				wantStatus, wantType, wantBody := do(gqlgens)
				status, typ, got := do(ours)
				if status != wantStatus || got != wantBody {
					t.Fatalf("ours %d %s\ngqlgen's %d %s", status, got, wantStatus, wantBody)
				}
				if len(typ) != 1 || len(wantType) != 1 || typ[0] != wantType[0] {
					t.Fatalf("Content-Type %q, gqlgen's %q", typ, wantType)
				}
			})
		}
	}
}

// TestWriteResponseAsEncodingJSON: every response is written with the
// bytes json.Marshal gives it, whether its data is written directly or
// holds what encoding/json escapes.
func TestWriteResponseAsEncodingJSON(t *testing.T) {
	t.Parallel()
	yes := true
	for _, resp := range []*graphql.Response{
		{Data: []byte(`{"a":"plain","b":[1,2.5,true,null]}`)},
		{Data: []byte(`{"a":"Ærlig Økonomi AS – «regnskap»"}`)},
		{Data: []byte(`{"a":"<b>&amp;</b>"}`)},
		{Data: []byte("{\"a\":\"line\u2028separator\"}")},
		{Data: []byte("{\"a\":\"paragraph\u2029separator\"}")},
		{Data: []byte(`null`)},
		{Data: []byte(`{"a":1}`), Errors: gqlerror.List{}, Path: ast.Path{}, Extensions: map[string]any{}},
		{},
		{Data: []byte(`{"a":1}`), Errors: gqlerrorList("boom")},
		{Data: []byte(`{"a":1}`), Extensions: map[string]any{"cost": 3}},
		{Data: []byte(`{"a":1}`), Label: "l", Path: ast.Path{ast.PathName("a")}, HasNext: &yes},
	} {
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		if got := written(t, resp); got != string(want) {
			t.Errorf("wrote %s\nencoding/json %s", got, want)
		}
	}
}

// TestWriteResponseSkipsEncodingJSON: data alone, as the executor answers
// a query (its extensions map empty), is written around the executor's
// bytes as they are. Spaces between tokens, which the executor never
// writes, show it: encoding/json would have dropped them.
func TestWriteResponseSkipsEncodingJSON(t *testing.T) {
	t.Parallel()
	resp := &graphql.Response{Data: []byte(`{"systems": {"totalCount": 2}}`), Extensions: map[string]any{}, Errors: gqlerror.List{}}
	if got, want := written(t, resp), `{"data":{"systems": {"totalCount": 2}}}`; got != want {
		t.Fatalf("wrote %s, want %s", got, want)
	}
}

// written is the body writeResponse sends for resp; its Content-Length
// must be the body's.
func written(t *testing.T, resp *graphql.Response) string {
	t.Helper()
	rec := httptest.NewRecorder()
	writeResponse(rec, resp)
	if got, want := rec.Header().Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
		t.Errorf("Content-Length %s for a body of %s bytes", got, want)
	}
	return rec.Body.String()
}

func gqlerrorList(msg string) gqlerror.List { return gqlerror.List{{Message: msg}} }
