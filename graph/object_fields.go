package graph

import (
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// objectFields writes a resolved object as gqlgen's FieldSet does, without
// its per-object costs. FieldSet.MarshalGQL walks its fields through an
// iterator that moves each collected field to the heap and keeps a map of
// the names written, to skip a repeated one: a fifth of a nested read's
// allocations (issue 14). The executor's object functions are rewritten
// (cmd/graphgen) to return this instead of their FieldSet once its values
// are in.
type objectFields struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

func newObjectFields(fields []graphql.CollectedField, out *graphql.FieldSet) objectFields {
	return objectFields{fields: fields, values: out.Values}
}

// objectValues holds a non-root object's field values where the executor
// built a graphql.FieldSet: the FieldSet, its values and the objectFields
// returned for it were three allocations for every object of a response.
// This is one, with the values of up to four fields inline, and it writes
// itself as objectFields. Values and Invalids keep FieldSet's names and
// meaning, so the executor's code that fills them is unchanged; graphgen
// rewrites the object functions to build one. The root Query keeps its
// FieldSet, on which gqlgen schedules its fields.
type objectValues struct {
	Values   []graphql.Marshaler
	Invalids uint32
	fields   []graphql.CollectedField
	inline   [4]graphql.Marshaler
}

func newObjectValues(fields []graphql.CollectedField) *objectValues {
	o := &objectValues{fields: fields}
	if len(fields) <= len(o.inline) {
		o.Values = o.inline[:len(fields):len(fields)]
	} else {
		o.Values = make([]graphql.Marshaler, len(fields))
	}
	return o
}

func (o *objectValues) MarshalGQL(w io.Writer) {
	objectFields{fields: o.fields, values: o.Values}.MarshalGQL(w)
}

var (
	openBrace  = []byte{'{'}
	closeBrace = []byte{'}'}
	comma      = []byte{','}
	quoteColon = []byte{'"', ':'}
	quote      = []byte{'"'}
)

func (o objectFields) MarshalGQL(w io.Writer) {
	_, _ = w.Write(openBrace)
	for i := range o.fields {
		alias := o.fields[i].Alias
		if o.repeats(i, alias) {
			continue // as FieldSet: the first of a name wins
		}
		if i > 0 {
			_, _ = w.Write(comma)
		}
		// A response name is a GraphQL name ([_A-Za-z][_0-9A-Za-z]*):
		// nothing in it needs escaping in JSON.
		_, _ = w.Write(quote)
		_, _ = io.WriteString(w, alias)
		_, _ = w.Write(quoteColon)
		o.values[i].MarshalGQL(w)
	}
	_, _ = w.Write(closeBrace)
}

// repeats reports whether a field before i has the name alias. CollectFields
// merges the fields of one name, so this is a guard that costs a few string
// compares per field, not a map per object.
func (o objectFields) repeats(i int, alias string) bool {
	for j := range i {
		if o.fields[j].Alias == alias {
			return true
		}
	}
	return false
}
