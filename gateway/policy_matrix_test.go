package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/gateway/rest"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/graph"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// matrixToken is one kind of caller: its token, and the identity the
// gateway should see (nil: the token must be refused with 401 everywhere).
type matrixToken struct {
	name   string
	token  string
	caller *identity.Identity
}

// matrixTokens are every kind of token the policy distinguishes.
func matrixTokens(t *testing.T, e *gatewaytest.Env) []matrixToken {
	t.Helper()
	org := func(scopes ...string) *identity.Identity {
		return &identity.Identity{Kind: identity.Organization, OrgNumber: vendorOrg, Scopes: scopes}
	}
	out := []matrixToken{
		{"Anonymous", "", &identity.Identity{Kind: identity.Anonymous}},
		// A token the vendor's software sends to a service owner: no Altinn scope.
		{"VendorWithoutAltinnScope", e.VendorToken(t, vendorOrg, "skatteetaten:krav"), org("skatteetaten:krav")},
	}
	for _, scope := range []string{
		identity.ScopeSystemRegisterWrite, identity.ScopeSystemRegisterAdmin, identity.ScopeRequestWrite,
		identity.ScopeRequestRead, identity.ScopeSystemUserLookup, identity.ScopeAuthorize,
		identity.ScopeAuthorizeAdmin, identity.ScopeResourceWrite,
	} {
		out = append(out, matrixToken{"Vendor/" + scope, e.VendorToken(t, vendorOrg, scope), org(scope)})
	}
	now := time.Now()
	out = append(out,
		matrixToken{"ServiceOwner", e.VendorToken(t, otherVendor, identity.ScopeAuthorize),
			&identity.Identity{Kind: identity.Organization, OrgNumber: otherVendor, Scopes: []string{identity.ScopeAuthorize}}},
		matrixToken{"Person", e.PersonToken(t, adminPID),
			&identity.Identity{Kind: identity.Person, PID: adminPID, Scopes: []string{identity.ScopePortal}}},
		matrixToken{"PersonWithoutPortalScope", e.Sign(t, map[string]any{"iss": gatewaytest.Issuer, "aud": auth.GatewayAudience,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "pid": adminPID, "scope": "openid profile"}), nil},
		matrixToken{"ForeignAudience", e.MaskinportenToken(t, simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: vendorOrg,
			Scopes: []string{identity.ScopeSystemRegisterWrite, identity.ScopeRequestRead}, Audience: []string{"https://other-api.example.com/"}}), nil},
		matrixToken{"Expired", e.Sign(t, map[string]any{"iss": gatewaytest.Issuer, "aud": auth.Unspecified,
			"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix(),
			"consumer": map[string]string{"authority": "iso6523-actorid-upis", "ID": "0192:" + vendorOrg},
			"scope":    identity.ScopeSystemRegisterWrite}), nil},
	)
	return out
}

// TestPolicyMatrix walks every REST route and every GraphQL root field with
// every kind of token and compares each answer with the declared policy: a
// caller the policy admits is never refused by it, one it does not admit is
// refused (REST: a bare 401/403; GraphQL: UNAUTHENTICATED, PERSON_REQUIRED
// or MISSING_SCOPE at the field), and a token the gateway must not accept
// (foreign audience, expired, a person's without the portal scope) gets 401.
func TestPolicyMatrix(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithPDP())
	// The end-user routes name a party the Person token's pid administers,
	// so their own (bodiless) access-management refusal does not look like
	// the token policy's.
	seedCatalog(t, e.DB)
	tokens := matrixTokens(t, e)

	t.Run("REST", func(t *testing.T) {
		t.Parallel()
		fill := strings.NewReplacer("{systemId}", vendorOrg+"_matrix", "{requestId}", uuid.NewString(),
			"{orgNo}", customerOrg, "{externalRef}", "ref", "{party}", customerOrg, "{orgno}", customerOrg,
			"{systemUserId}", uuid.NewString())
		for _, rt := range rest.Routes() {
			path := fill.Replace(rt.Path)
			for _, tk := range tokens {
				t.Run(rt.Method+" "+rt.Path+"/"+tk.name, func(t *testing.T) {
					var body *strings.Reader
					if rt.Method == http.MethodPost || rt.Method == http.MethodPut {
						body = strings.NewReader("{}")
					} else {
						body = strings.NewReader("")
					}
					authz := ""
					if tk.token != "" {
						authz = "Bearer " + tk.token
					}
					w := e.Serve(rt.Method, path, authz, "application/json", body)
					refused := (w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden) && w.Body.Len() == 0
					switch {
					case tk.caller == nil:
						if w.Code != http.StatusUnauthorized {
							t.Fatalf("status %d, want 401 for a token the gateway must not accept: %s", w.Code, w.Body)
						}
					case rt.Auth.Allows(tk.caller):
						if refused {
							t.Fatalf("policy %q admits %s, but the route refused it (%d)", rt.Auth.Name, tk.name, w.Code)
						}
					default:
						want := http.StatusForbidden
						if tk.caller.Kind == identity.Anonymous {
							want = http.StatusUnauthorized
						}
						if !refused || w.Code != want {
							t.Fatalf("policy %q does not admit %s, got %d %q, want a bare %d", rt.Auth.Name, tk.name, w.Code, w.Body, want)
						}
					}
				})
			}
		}
	})

	t.Run("GraphQL", func(t *testing.T) {
		t.Parallel()
		schema := graph.NewExecutableSchema(graph.Config{}).Schema()
		policy := gateway.GraphQLPolicy()
		for _, field := range rootFields(schema) {
			req, ok := policy[field.key]
			if !ok {
				t.Errorf("%s has no policy", field.key)
				continue
			}
			delete(policy, field.key)
			for _, tk := range tokens {
				t.Run(field.key+"/"+tk.name, func(t *testing.T) {
					codes, status := field.run(t, e, tk.token)
					refused := slices.ContainsFunc(codes, func(c string) bool {
						return c == "UNAUTHENTICATED" || c == "PERSON_REQUIRED" || c == "MISSING_SCOPE" || c == "NO_POLICY"
					})
					switch {
					case tk.caller == nil:
						if status != http.StatusUnauthorized {
							t.Fatalf("status %d (codes %v), want 401 for a token the gateway must not accept", status, codes)
						}
					case req.Allows(tk.caller):
						if refused {
							t.Fatalf("policy %q admits %s, but the field answered %v", req.Name, tk.name, codes)
						}
					default:
						if !refused {
							t.Fatalf("policy %q does not admit %s, but the field answered %v (status %d)", req.Name, tk.name, codes, status)
						}
					}
				})
			}
		}
		for key := range policy {
			t.Errorf("policy row %s names no field of the schema", key)
		}
	})
}

// rootField is a root field of the schema and how to call it.
type rootField struct {
	key       string // "Query.systems"
	operation string // a document selecting only this field
	subscribe bool
}

// rootFields builds, for every root field, a document with literal values
// for its required arguments and the smallest selection.
func rootFields(s *ast.Schema) []rootField {
	var out []rootField
	for _, root := range []struct {
		def *ast.Definition
		op  string
	}{{s.Query, "query"}, {s.Mutation, "mutation"}, {s.Subscription, "subscription"}} {
		for _, f := range root.def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			var args []string
			for _, a := range f.Arguments {
				if a.Type.NonNull && a.DefaultValue == nil {
					args = append(args, a.Name+": "+literal(s, a.Type))
				}
			}
			call := f.Name
			if len(args) > 0 {
				call += "(" + strings.Join(args, ", ") + ")"
			}
			if k := s.Types[f.Type.Name()].Kind; k == ast.Object || k == ast.Interface || k == ast.Union {
				call += " { __typename }"
			}
			out = append(out, rootField{key: root.def.Name + "." + f.Name,
				operation: root.op + " { " + call + " }", subscribe: root.op == "subscription"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// literal is a valid GraphQL literal of type t (required input fields only).
func literal(s *ast.Schema, t *ast.Type) string {
	if t.Elem != nil {
		return "[]"
	}
	def := s.Types[t.NamedType]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name
	case ast.InputObject:
		var fs []string
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				fs = append(fs, f.Name+": "+literal(s, f.Type))
			}
		}
		return "{" + strings.Join(fs, ", ") + "}"
	}
	switch t.NamedType {
	case "Int", "Float":
		return "1"
	case "Boolean":
		return "true"
	case "UUID":
		return `"` + uuid.NewString() + `"`
	case "Time":
		return `"2026-01-01T00:00:00Z"`
	}
	return `"` + customerOrg + `"` // IDs and strings: an org number is valid where one is asked for
}

// run sends the field's document with token and returns the error codes
// and the HTTP status (subscriptions: over graphql-transport-ws, 401 when
// the socket refuses the token).
func (f rootField) run(t *testing.T, e *gatewaytest.Env, token string) ([]string, int) {
	t.Helper()
	if f.subscribe {
		return subscribeCodes(t, e, token, f.operation)
	}
	body, _ := json.Marshal(map[string]any{"query": f.operation})
	authz := ""
	if token != "" {
		authz = "Bearer " + token
	}
	w := e.Serve(http.MethodPost, "/graphql", authz, "application/json", strings.NewReader(string(body)))
	var resp gatewaytest.GraphQLResponse
	_ = json.Unmarshal(w.Body.Bytes(), &resp)
	var codes []string
	for _, er := range resp.Errors {
		codes = append(codes, fmt.Sprint(er.Extensions["code"]))
	}
	return codes, w.Code
}

// subscribeCodes starts a subscription and returns the error codes of its
// first answer.
func subscribeCodes(t *testing.T, e *gatewaytest.Env, token, query string) ([]string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.CloseNow() }()
	init := map[string]any{}
	if token != "" {
		init["Authorization"] = "Bearer " + token
	}
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": init}); err != nil {
		t.Fatal(err)
	}
	var m wsMessage
	if err := wsjson.Read(ctx, conn, &m); err != nil || m.Type != "connection_ack" {
		return nil, http.StatusUnauthorized // the socket refused the token
	}
	if err := wsjson.Write(ctx, conn, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query}}); err != nil {
		t.Fatal(err)
	}
	for {
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			t.Fatalf("no answer to the subscription: %v", err)
		}
		switch m.Type {
		case "ping":
			_ = wsjson.Write(ctx, conn, map[string]string{"type": "pong"})
			continue
		case "error", "next":
			var errs []struct {
				Extensions map[string]any `json:"extensions"`
			}
			if m.Type == "next" {
				var p struct {
					Errors json.RawMessage `json:"errors"`
				}
				_ = json.Unmarshal(m.Payload, &p)
				_ = json.Unmarshal(p.Errors, &errs)
			} else {
				_ = json.Unmarshal(m.Payload, &errs)
			}
			var codes []string
			for _, er := range errs {
				codes = append(codes, fmt.Sprint(er.Extensions["code"]))
			}
			return codes, http.StatusOK
		case "complete":
			return nil, http.StatusOK
		}
	}
}
