package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

type plainChild struct{ n int }

// TestPlainFieldResolvesAsGqlgen resolves a field holding an object
// through gqlgen's ResolveField and through plainField, and wants the same
// JSON, the same errors at the same paths, and the field's context around
// the marshal (what its children's paths and the lookahead read).
func TestPlainFieldResolvesAsGqlgen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   *plainChild
		nonNull bool
		panics  bool
	}{
		{name: "an object", value: &plainChild{n: 7}, nonNull: true},
		{name: "null where the schema forbids it", nonNull: true},
		{name: "null where the schema allows it"},
		{name: "a panic below", value: &plainChild{n: 1}, nonNull: true, panics: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			marshal := func(ctx context.Context, sel ast.SelectionSet, v *plainChild) graphql.Marshaler {
				fc := graphql.GetFieldContext(ctx)
				if fc == nil || fc.Field.Alias != "child" || len(sel) != 1 {
					t.Errorf("marshalled without the field's context: %+v, %d selections", fc, len(sel))
				}
				if v == nil {
					if tt.nonNull {
						graphql.AddErrorf(ctx, "must not be null")
					}
					return graphql.Null
				}
				if tt.panics {
					panic("below")
				}
				return graphql.MarshalInt(v.n)
			}
			run := func(ours bool) string {
				oc := &graphql.OperationContext{RecoverFunc: func(context.Context, any) error { return errors.New("recovered") },
					ResolverMiddleware: func(ctx context.Context, next graphql.Resolver) (any, error) { return next(ctx) }}
				ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, nil)
				ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "Parent", Field: graphql.CollectedField{Field: &ast.Field{Alias: "parent"}}})
				field := graphql.CollectedField{Field: &ast.Field{Alias: "child", Name: "child"},
					Selections: ast.SelectionSet{&ast.Field{Alias: "n", Name: "n"}}}
				fieldContext := func(context.Context, graphql.CollectedField) (*graphql.FieldContext, error) {
					return &graphql.FieldContext{Object: "Parent", Field: field}, nil
				}
				var m graphql.Marshaler
				if ours {
					fc, _ := fieldContext(ctx, field)
					m = plainField(ctx, oc, fc, tt.value, marshal)
				} else {
					m = graphql.ResolveField(ctx, oc, field, fieldContext,
						func(context.Context) (any, error) { return tt.value, nil }, nil, marshal, true, tt.nonNull)
				}
				var b strings.Builder
				m.MarshalGQL(&b)
				for _, e := range graphql.GetErrors(ctx) {
					fmt.Fprintf(&b, " | %s at %s", e.Message, e.Path)
				}
				return b.String()
			}
			got, want := run(true), run(false)
			if got != want {
				t.Fatalf("plainField %q, gqlgen %q", got, want)
			}
		})
	}
}
