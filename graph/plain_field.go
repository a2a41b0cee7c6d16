package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// plainField resolves a plain object field (cmd/graphgen/leaves.go): a
// struct field of its parent holding an object or a list of them, with no
// resolver, arguments or directives. It is graphql.ResolveField for such a
// field: its field context in the children's context, the value recorded
// as the field's result, the value marshalled (the marshaler reports a
// null the schema forbids), and a panic recovered into an error and a
// Null. What it leaves out is what a field read cannot use: the
// closures, the boxing of the value, and the field middleware, which
// could only pass the value on (the gateway's acts on root fields).
func plainField[T any](ctx context.Context, oc *graphql.OperationContext, fc *graphql.FieldContext, v T,
	marshal func(ctx context.Context, sel ast.SelectionSet, v T) graphql.Marshaler,
) (ret graphql.Marshaler) {
	ctx = graphql.WithFieldContext(ctx, fc)
	defer func() {
		if r := recover(); r != nil {
			oc.Error(ctx, oc.Recover(ctx, r))
			ret = graphql.Null
		}
	}()
	fc.Result = v
	return marshal(ctx, fc.Field.Selections, v)
}
