package graph

import (
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

type fieldsRoot struct {
	ResolverRoot
	fields *FieldsCache
}

func (r fieldsRoot) FieldsCache() *FieldsCache { return r.fields }

// describe renders collected fields with everything the executor reads of
// them: names, the deferral and the selections below.
func describe(fields []graphql.CollectedField) string {
	var b strings.Builder
	for _, f := range fields {
		fmt.Fprintf(&b, "%s:%s nonDeferrable=%v defer=[", f.Alias, f.Name, f.IsNonDeferrable)
		for _, d := range f.Deferrables {
			b.WriteString(d.Label + " ")
		}
		b.WriteString("] {")
		for _, s := range f.Selections {
			fmt.Fprintf(&b, "%p ", s)
		}
		b.WriteString("} ")
	}
	return b.String()
}

// TestFieldsCacheAnswersAsCollectFields collects the root's fields, and the
// fields of each root field's selections, through the cache and through
// gqlgen, request after request with the variables changing, and wants the
// same every time: for plain selections, fragments, directives reading
// variables, @defer, and two merged selection sets that share their ends.
func TestFieldsCacheAnswersAsCollectFields(t *testing.T) {
	t.Parallel()
	schema := NewExecutableSchema(Config{}).Schema()
	docs := map[string]string{
		"plain":                 `{ systems(first: 2) { totalCount edges { node { systemId } } } }`,
		"fragments":             `query { ...Q } fragment Q on Query { systems { totalCount ...E } } fragment E on SystemConnection { edges { cursor } }`,
		"skip":                  `query($s: Boolean!) { systems { totalCount @skip(if: $s) edges { cursor } } }`,
		"include in a fragment": `query($s: Boolean!) { systems { ...C } } fragment C on SystemConnection { totalCount @include(if: $s) edges { cursor } }`,
		"defer":                 `query($s: Boolean!) { systems { ... @defer(if: $s, label: "later") { totalCount } edges { cursor } } }`,
		"same ends": `query($s: Boolean!) { systems { totalCount } systems @skip(if: $s) { pageInfo { hasNextPage } }
			systems @include(if: $s) { edges { cursor } } systems { totalCount } }`,
	}
	children := map[string][]string{"systems": systemConnectionImplementors}
	for name, src := range docs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doc, err := gqlparser.LoadQueryWithRules(schema, src, nil)
			if err != nil {
				t.Fatal(err)
			}
			ec := executionContextWith(fieldsRoot{fields: NewFieldsCache(DefaultFieldsCacheEntries)})
			for round, s := range []bool{true, false, true, false, false, true} {
				// A request: its own operation context, as gqlgen makes one.
				oc := &graphql.OperationContext{Doc: doc, Variables: map[string]any{"s": s}}
				ec.OperationContext = oc
				gqlgens := func(sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
					return graphql.CollectFields(&graphql.OperationContext{Doc: doc, Variables: oc.Variables}, sel, satisfies)
				}
				root := doc.Operations[0].SelectionSet
				got, want := ec.collectFields(root, queryImplementors), gqlgens(root, queryImplementors)
				if describe(got) != describe(want) {
					t.Fatalf("round %d, root: %s\ngqlgen: %s", round, describe(got), describe(want))
				}
				for _, f := range want {
					got, want := ec.collectFields(f.Selections, children[f.Name]), gqlgens(f.Selections, children[f.Name])
					if describe(got) != describe(want) {
						t.Fatalf("round %d, %s: %s\ngqlgen: %s", round, f.Alias, describe(got), describe(want))
					}
				}
			}
		})
	}
}

// TestFieldsCacheStartsOverWhenFull: past its bound the cache empties, so
// the documents its entries kept alive can go.
func TestFieldsCacheStartsOverWhenFull(t *testing.T) {
	t.Parallel()
	schema := NewExecutableSchema(Config{}).Schema()
	c := NewFieldsCache(3)
	ec := executionContextWith(fieldsRoot{fields: c})
	count := func() int {
		n := 0
		c.entries.Range(func(any, any) bool { n++; return true })
		return n
	}
	for i := range 7 {
		doc, err := gqlparser.LoadQueryWithRules(schema, fmt.Sprintf(`{ a%d: __typename }`, i), nil)
		if err != nil {
			t.Fatal(err)
		}
		ec.OperationContext = &graphql.OperationContext{Doc: doc}
		ec.collectFields(doc.Operations[0].SelectionSet, queryImplementors)
		if n := count(); n > 3 || n < 1 {
			t.Fatalf("after %d documents, %d entries", i+1, n)
		}
	}
}
