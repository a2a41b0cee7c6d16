package graph

import (
	"bytes"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// objectFields and objectValues (its values inline, up to four, or not)
// must write what gqlgen's FieldSet writes, byte for byte.
func TestObjectFieldsWriteAsFieldSet(t *testing.T) {
	t.Parallel()
	field := func(alias string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{Alias: alias, Name: alias}}
	}
	nested := graphql.NewFieldSet([]graphql.CollectedField{field("nb")})
	nested.Values[0] = graphql.MarshalString(`S "quoted" \\ æøå`)
	tests := []struct {
		name   string
		fields []graphql.CollectedField
		values []graphql.Marshaler
	}{
		{"no fields", nil, nil},
		{"one field", []graphql.CollectedField{field("systemId")}, []graphql.Marshaler{graphql.MarshalString("991825827_sys")}},
		{"scalars, null, a list and an object",
			[]graphql.CollectedField{field("__typename"), field("totalCount"), field("vendor"), field("ids"), field("name")},
			[]graphql.Marshaler{graphql.MarshalString("System"), graphql.MarshalInt(2), graphql.Null,
				graphql.Array{graphql.MarshalString("a"), graphql.MarshalBoolean(true)}, nested}},
		{"a repeated name: the first wins",
			[]graphql.CollectedField{field("a"), field("b"), field("a"), field("c")},
			[]graphql.Marshaler{graphql.MarshalInt(1), graphql.MarshalInt(2), graphql.MarshalInt(3), graphql.MarshalInt(4)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := graphql.NewFieldSet(tt.fields)
			copy(out.Values, tt.values)
			var want, got bytes.Buffer
			out.MarshalGQL(&want)
			newObjectFields(tt.fields, out).MarshalGQL(&got)
			if got.String() != want.String() {
				t.Fatalf("wrote %s\nFieldSet writes %s", got.String(), want.String())
			}
			values := newObjectValues(tt.fields)
			copy(values.Values, tt.values)
			got.Reset()
			values.MarshalGQL(&got)
			if got.String() != want.String() || len(values.Values) != len(tt.fields) {
				t.Fatalf("objectValues wrote %s\nFieldSet writes %s", got.String(), want.String())
			}
		})
	}
}
