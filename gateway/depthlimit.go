package gateway

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// depthLimit refuses operations nested deeper than Max fields, before any
// resolver runs. Complexity limits bound breadth; this bounds depth, and with
// it the number of dataloader rounds (SQL queries) a request can cause.
type depthLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0); depth > d.Max {
		err := gqlerror.Errorf("operation is nested %d levels deep; the limit is %d", depth, d.Max)
		err.Extensions = map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"}
		return err
	}
	return nil
}

// selectionDepth follows fragments; visiting bounds recursion through
// fragment cycles (the validator rejects those, but do not rely on order).
func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, visiting int) int {
	if visiting > 64 {
		return visiting
	}
	max := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if isIntrospectionRoot(s.Name) {
				continue // bounded by introspectionLimit instead
			}
			if len(s.SelectionSet) == 0 {
				d = 1
			} else {
				d = 1 + selectionDepth(s.SelectionSet, frags, visiting+1)
			}
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, visiting+1)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				d = selectionDepth(f.SelectionSet, frags, visiting+1)
			}
		}
		if d > max {
			max = d
		}
	}
	return max
}
