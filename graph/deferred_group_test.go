package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

func TestDeferredGroupIsBuiltOnlyForADeferral(t *testing.T) {
	t.Parallel()
	plain := graphql.CollectedField{Field: &ast.Field{Name: "systemId"}}
	deferred := graphql.CollectedField{Field: &ast.Field{Name: "name"}, Deferrables: []*graphql.Deferrable{{Label: "late"}}}
	path := func(ctx context.Context) context.Context {
		return graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "system"}}})
	}
	tests := []struct {
		name   string
		fields []graphql.CollectedField
		built  bool
	}{
		{"no fields", nil, false},
		{"nothing deferred", []graphql.CollectedField{plain, plain}, false},
		{"one deferred field", []graphql.CollectedField{plain, deferred}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := path(graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, nil))
			g := deferredGroup(ctx, tt.fields)
			if g.Context != ctx {
				t.Error("the group must carry the object's context")
			}
			if !tt.built {
				if g.Defers != nil || g.FieldSet != nil || g.Path != nil {
					t.Errorf("built a group nothing defers into: %+v", g)
				}
				return
			}
			// gqlgen's own group: ResolveConcurrently writes the deferral
			// into Defers and FieldSet, ProcessDeferredGroup reads Path.
			want := graphql.NewDeferredGroup(ctx)
			if g.Defers == nil || g.FieldSet == nil || len(g.Path) != 1 || g.Path.String() != want.Path.String() {
				t.Errorf("group %+v, want gqlgen's %+v", g, want)
			}
		})
	}
}
