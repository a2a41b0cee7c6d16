package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// @defer needs a transport that answers more than once: multipart/mixed
// (incremental delivery over HTTP, what Apollo Client and urql ask for with
// Accept: multipart/mixed) or a websocket. A plain POST or GET answers once:
// gqlgen would send the first payload with "hasNext": true and drop the
// deferred fields, a result no client can finish. Such a request is refused
// instead, saying which transport to use.

type answersMoreThanOnceKey struct{}

// incrementalDelivery marks the requests whose transport can answer more
// than once (a websocket, a POST that accepts multipart/mixed); the common
// plain POST passes untouched. It also checks the body of a multipart/mixed
// request before gqlgen's transport reads it: that transport logs a body it
// cannot decode with the standard logger, content and all.
func incrementalDelivery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Header.Get("Upgrade") != "":
			// a websocket: every payload of an operation is sent
			r = r.WithContext(context.WithValue(r.Context(), answersMoreThanOnceKey{}, true))
		case r.Method == http.MethodPost && strings.Contains(r.Header.Get("Accept"), "multipart/mixed"):
			body, err := io.ReadAll(r.Body)
			if err != nil {
				writeGraphQLError(w, http.StatusRequestEntityTooLarge, "the request body is too large", "BAD_USER_INPUT")
				return
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(&graphql.RawParams{}); err != nil {
				writeGraphQLError(w, http.StatusBadRequest, "the body is not a GraphQL request in JSON: "+err.Error(), "BAD_USER_INPUT")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r = r.WithContext(context.WithValue(r.Context(), answersMoreThanOnceKey{}, true))
		}
		next.ServeHTTP(w, r)
	})
}

// deferNeedsIncrementalDelivery refuses an operation that defers a fragment
// on a transport that answers once.
type deferNeedsIncrementalDelivery struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = deferNeedsIncrementalDelivery{}

func (deferNeedsIncrementalDelivery) ExtensionName() string                   { return "DeferNeedsIncrementalDelivery" }
func (deferNeedsIncrementalDelivery) Validate(graphql.ExecutableSchema) error { return nil }

func (deferNeedsIncrementalDelivery) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if ctx.Value(answersMoreThanOnceKey{}) != nil || oc.Operation == nil {
		return nil
	}
	if !defers(oc.Operation.SelectionSet, oc.Doc.Fragments, oc.Variables, map[string]bool{}) {
		return nil
	}
	err := gqlerror.Errorf("@defer needs incremental delivery: POST with Accept: multipart/mixed;deferSpec=20220824, " +
		"or use a graphql-transport-ws websocket")
	err.Extensions = map[string]any{"code": "INCREMENTAL_DELIVERY_REQUIRED"}
	return err
}

// defers reports whether the selection defers a fragment: an @defer whose
// if is not false.
func defers(set ast.SelectionSet, frags ast.FragmentDefinitionList, vars map[string]any, seen map[string]bool) bool {
	deferred := func(dirs ast.DirectiveList) bool {
		d := dirs.ForName("defer")
		if d == nil {
			return false
		}
		on, ok := d.ArgumentMap(vars)["if"].(bool)
		return !ok || on
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if defers(s.SelectionSet, frags, vars, seen) {
				return true
			}
		case *ast.InlineFragment:
			if deferred(s.Directives) || defers(s.SelectionSet, frags, vars, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if deferred(s.Directives) {
				return true
			}
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if f := frags.ForName(s.Name); f != nil && defers(f.SelectionSet, frags, vars, seen) {
				return true
			}
		}
	}
	return false
}
