package gateway

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/systemuser-gateway/systemuser/graph"
)

// TestIntrospectionPrice: each captured standard document costs at most one
// complete introspection of the schema (the bound allows three), and the
// price does not depend on how the document is split into fragments.
func TestIntrospectionPrice(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	l := newIntrospectionLimit(schema)
	files, _ := filepath.Glob("testdata/introspection/*.graphql")
	if len(files) == 0 {
		t.Fatal("no captured documents")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, gerr := gqlparser.LoadQueryWithRules(schema, string(b), nil)
		if gerr != nil {
			t.Fatalf("%s: %v", f, gerr)
		}
		p := l.price(doc.Operations[0].SelectionSet, doc.Fragments)
		t.Logf("%s: price %d, limit %d", filepath.Base(f), p, l.limit)
		if p <= 0 || p > l.limit/completeIntrospectionFactor {
			t.Errorf("%s: price %d, want about one complete introspection (limit %d)", filepath.Base(f), p, l.limit)
		}
	}
	inline, gerr := gqlparser.LoadQueryWithRules(schema, `{ __schema { types { name fields { name } } } }`, nil)
	split, gerr2 := gqlparser.LoadQueryWithRules(schema, `{ __schema { types { ...T } } } fragment T on __Type { name fields { name } }`, nil)
	if gerr != nil || gerr2 != nil {
		t.Fatal(gerr, gerr2)
	}
	if a, b := l.price(inline.Operations[0].SelectionSet, inline.Fragments), l.price(split.Operations[0].SelectionSet, split.Fragments); a != b || a <= 0 {
		t.Errorf("inline %d, with a fragment %d", a, b)
	}
}
