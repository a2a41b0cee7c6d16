package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// deferredGroup is graphql.NewDeferredGroup for an object's collected
// fields, built only when one of them is deferred. gqlgen's executor builds
// the group for every object it marshals, and the group's path (a fresh
// slice of the whole response path) was a sixth of a nested read's
// allocations (issue 14), for a group that only @defer uses.
// ResolveConcurrently touches the group only for a deferred field, and the
// object reads it back only when it holds a deferral, so an empty group
// with the context is the same group for every other selection.
func deferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for i := range fields {
		if fields[i].IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{Context: ctx}
}
