package main

import (
	"strings"
	"testing"
)

// An object function and the root Query's, as they read after rewrites
// (trimmed to the statements rewriteObjectValues looks at).
const (
	objectFunc = `func (ec *executionContext) _SystemUserEdge(ctx context.Context, sel ast.SelectionSet, obj *model.SystemUserEdge) graphql.Marshaler {
	fields := ec.collectFields(sel, systemUserEdgeImplementors)

	out := graphql.NewFieldSet(fields)
	deferred := deferredGroup(ctx, fields)
	var later laterFields
	ec.dispatch(ctx, &later, out)
	if out.Invalids > 0 {
		return graphql.Null
	}

	return newObjectFields(fields, out)
}
`
	rootFunc = `func (ec *executionContext) _Query(ctx context.Context, sel ast.SelectionSet) graphql.Marshaler {
	out := graphql.NewFieldSet(fields)
	var later laterFields
	out.ResolveRootConcurrently(innerCtx, ec.OperationContext, i,
	ec.dispatch(ctx, &later, out)

	return newObjectFields(fields, out)
}
`
	otherFunc = `func (ec *executionContext) marshalNID2string(ctx context.Context, v string) graphql.Marshaler {
	return out
}
`
)

func TestRewriteObjectValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		src, want      string
		objects, roots int
		wantErr        string
	}{
		{
			name: "an object builds objectValues, the root keeps its FieldSet, others are left alone",
			src:  "package graph\n\n" + objectFunc + "\n" + rootFunc + "\n" + otherFunc,
			want: "package graph\n\n" +
				strings.NewReplacer("out := graphql.NewFieldSet(fields)", "out := newObjectValues(fields)",
					"return newObjectFields(fields, out)", "return out").Replace(objectFunc) + "\n" +
				strings.Replace(rootFunc, "ec.dispatch(", "ec.dispatchRoot(", 1) + "\n" + otherFunc,
			objects: 1, roots: 1,
		},
		{
			name:    "an object that returns elsewhere",
			src:     strings.Replace(objectFunc, "return newObjectFields(fields, out)", "return out", 1),
			wantErr: "0 of",
		},
		{
			name:    "an object dispatched twice",
			src:     strings.Replace(objectFunc, "\tec.dispatch(ctx, &later, out)\n", "\tec.dispatch(ctx, &later, out)\n\tec.dispatch(ctx, &later, out)\n", 1),
			wantErr: "2 of",
		},
		{
			name:    "a root that is not dispatched",
			src:     strings.Replace(rootFunc, "\tec.dispatch(ctx, &later, out)\n", "", 1),
			wantErr: "0 of",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, objects, roots, err := rewriteObjectValues([]byte(tt.src))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want || objects != tt.objects || roots != tt.roots {
				t.Fatalf("%d objects, %d roots, wrote\n%s\nwant\n%s", objects, roots, out, tt.want)
			}
		})
	}
}
