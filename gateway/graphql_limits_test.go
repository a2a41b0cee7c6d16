package gateway_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/testclient"
)

func TestGraphQLLimits(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	deep := "{ systems(first: 1) { edges { node { vendor { systems(first: 1) { edges { node { vendor { systems(first: 1) { edges { node { vendor { name } } } } } } } } } } } } }"
	wide := "{ systems(first: 500) { edges { node { rights { resource { owner { systems(first: 500) { totalCount } } } } } } } }"
	for _, tc := range []struct{ name, query, code string }{
		{"ErrTooDeep", deep, "DEPTH_LIMIT_EXCEEDED"},
		{"ErrTooComplex", wide, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"ErrSyntax", "{ systems {", "GRAPHQL_PARSE_FAILED"},
		{"ErrUnknownField", "{ nope }", "GRAPHQL_VALIDATION_FAILED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, status := postRaw(t, e.URL, map[string]any{"query": tc.query})
			if status == http.StatusOK && !strings.Contains(body, `"errors"`) {
				t.Fatalf("status %d, body %s: want an error", status, body)
			}
			if !strings.Contains(body, tc.code) {
				t.Fatalf("body %s lacks %s", body, tc.code)
			}
		})
	}
}

func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	query := "{ resources { totalCount } }"
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	body, _ := postRaw(t, e.URL, map[string]any{"extensions": ext})
	if !strings.Contains(body, "PersistedQueryNotFound") {
		t.Fatalf("hash only, first time: %s, want PersistedQueryNotFound", body)
	}
	if body, _ := postRaw(t, e.URL, map[string]any{"query": query, "extensions": ext}); !strings.Contains(body, `"totalCount":0`) {
		t.Fatalf("query + hash: %s", body)
	}
	if body, _ := postRaw(t, e.URL, map[string]any{"extensions": ext}); !strings.Contains(body, `"totalCount":0`) {
		t.Fatalf("hash only, after registering: %s", body)
	}
}

func TestIntrospectionSwitch(t *testing.T) {
	t.Parallel()
	bdb := dbtest.New(t)
	for _, enabled := range []bool{true, false} {
		gw := gateway.New(gateway.Config{GraphQL: gateway.GraphQLConfig{Introspection: enabled}},
			gateway.Deps{DB: db.Probe{DB: bdb}, Registry: registry.New(bdb, registry.Options{})})
		srv := httptest.NewServer(gw)
		body, _ := postRaw(t, srv.URL, map[string]any{"query": "{ __schema { queryType { name } } }"})
		srv.Close()
		if got := strings.Contains(body, `"name":"Query"`); got != enabled {
			t.Fatalf("introspection enabled=%v: body %s", enabled, body)
		}
	}
}

func postRaw(t *testing.T, url string, payload map[string]any) (string, int) {
	t.Helper()
	b, _ := json.Marshal(payload)
	resp, err := testclient.New(t).Post(url+"/graphql", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String(), resp.StatusCode
}

// TestBadArgumentIsAClearInputError: a value that is not a UUID is the
// caller's mistake, shown as such, not an internal error.
func TestBadArgumentIsAClearInputError(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	body, _ := postRaw(t, e.URL, map[string]any{
		"query": `mutation { createChangeRequest(input: {correlationId: "not-a-uuid", systemUserId: "x"}) { created } }`,
	})
	if strings.Contains(body, "internal error") || !strings.Contains(body, `"code":"BAD_USER_INPUT"`) || !strings.Contains(body, "UUID") {
		t.Fatalf("body %s: want a coded input error, not an internal one", body)
	}
}

// TestComplexityIsPricedPerVariables: the complexity of an operation
// without variables is kept per document, so asking twice must refuse
// twice; one with variables is priced with each request's values.
func TestComplexityIsPricedPerVariables(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	wide := "{ systems(first: 500) { edges { node { rights { resource { owner { systems(first: 500) { totalCount } } } } } } } }"
	byVars := "query($n: Int) { systems(first: $n) { edges { node { rights { resource { owner { systems(first: $n) { totalCount } } } } } } } }"
	for i, tc := range []struct {
		query   string
		vars    map[string]any
		refused bool
	}{
		{wide, nil, true}, {wide, nil, true},
		{byVars, map[string]any{"n": 2}, false}, {byVars, map[string]any{"n": 500}, true},
		{byVars, map[string]any{"n": 2}, false}, {byVars, map[string]any{"n": 500}, true},
		{"{ systems(first: 2) { totalCount } }", nil, false}, {"{ systems(first: 2) { totalCount } }", nil, false},
	} {
		body, _ := postRaw(t, e.URL, map[string]any{"query": tc.query, "variables": tc.vars})
		if refused := strings.Contains(body, "COMPLEXITY_LIMIT_EXCEEDED"); refused != tc.refused {
			t.Fatalf("request %d (%v): refused %v, want %v: %s", i, tc.vars, refused, tc.refused, body)
		}
	}
}
