package gateway

import (
	"bytes"
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/systemuser-gateway/systemuser/graph"
)

// Introspection has a bound of its own. The standard documents that
// graphql-js's getIntrospectionQuery and GraphiQL send are 15 levels deep
// (typeDepth 9 nests ofType nine times), beyond the depth limit that
// protects the data (12), yet answering them reads only the schema, which
// is in memory. So the depth limit skips __schema and __type, and the
// complexity limit prices them at nothing (gqlgen skips __schema; __type is
// ignored below), and this extension prices them instead: every list an
// introspection field returns is priced at the most items that list has in
// this schema (types: all of them; fields: the most fields of any type; ...),
// so the price is the most the answer can hold, fixed by the schema and not
// by how the document counts. The bound is a multiple of the price of a
// complete introspection of this schema, so every standard document fits
// whatever the schema grows to, while documents that nest lists of types in
// lists of types (an answer the size of the schema to a power) do not.
type introspectionLimit struct {
	sizes map[string]int // "__Type.fields" → the most items that list has in the schema
	limit int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*introspectionLimit)(nil)

// introspectionRoots are the query root's introspection fields; __typename
// is a leaf and priced like any field.
func isIntrospectionRoot(name string) bool { return name == "__schema" || name == "__type" }

// completeIntrospectionFactor is how many complete introspections of the
// schema one document may ask for (GraphiQL's one, plus room for a tool that
// also asks for a few __type).
const completeIntrospectionFactor = 3

func newIntrospectionLimit(schema *ast.Schema) *introspectionLimit {
	l := &introspectionLimit{sizes: introspectionListSizes(schema)}
	l.limit = completeIntrospectionFactor * l.price(completeIntrospection(), nil)
	return l
}

func (*introspectionLimit) ExtensionName() string                   { return "IntrospectionLimit" }
func (*introspectionLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l *introspectionLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if p := l.price(oc.Operation.SelectionSet, oc.Doc.Fragments); p > l.limit {
		err := gqlerror.Errorf("introspection would return up to %d items; the limit is %d (three complete introspections of this schema)", p, l.limit)
		err.Extensions = map[string]any{"code": "INTROSPECTION_LIMIT_EXCEEDED"}
		return err
	}
	return nil
}

// price sums the introspection subtrees of an operation's root selections.
func (l *introspectionLimit) price(set ast.SelectionSet, frags ast.FragmentDefinitionList) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if isIntrospectionRoot(s.Name) {
				total = satAdd(total, l.fieldPrice(s, frags, 0))
			}
		case *ast.InlineFragment:
			total = satAdd(total, l.price(s.SelectionSet, frags))
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				total = satAdd(total, l.price(f.SelectionSet, frags))
			}
		}
	}
	return total
}

// maxIntrospectionNesting stops the walk; no standard document comes close
// (graphql-js allows typeDepth up to 100, about 106 levels).
const maxIntrospectionNesting = 128

func (l *introspectionLimit) fieldPrice(f *ast.Field, frags ast.FragmentDefinitionList, depth int) int {
	if depth > maxIntrospectionNesting {
		return l.limit + 1
	}
	children := l.setPrice(f.SelectionSet, frags, depth+1)
	n := 1
	if f.ObjectDefinition != nil {
		if size, ok := l.sizes[f.ObjectDefinition.Name+"."+f.Name]; ok {
			n = max(size, 1)
		}
	}
	return satMul(n, satAdd(1, children))
}

func (l *introspectionLimit) setPrice(set ast.SelectionSet, frags ast.FragmentDefinitionList, depth int) int {
	if depth > maxIntrospectionNesting {
		return l.limit + 1
	}
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = satAdd(total, l.fieldPrice(s, frags, depth))
		case *ast.InlineFragment:
			total = satAdd(total, l.setPrice(s.SelectionSet, frags, depth+1))
		case *ast.FragmentSpread:
			if fd := frags.ForName(s.Name); fd != nil {
				total = satAdd(total, l.setPrice(fd.SelectionSet, frags, depth+1))
			}
		}
	}
	return total
}

// introspectionListSizes counts, for every list an introspection type
// returns, the most items it has anywhere in schema.
func introspectionListSizes(schema *ast.Schema) map[string]int {
	var maxFields, maxArgs, maxInputFields, maxEnumValues, maxInterfaces, maxPossible int
	for _, def := range schema.Types {
		switch def.Kind {
		case ast.Object, ast.Interface:
			maxFields = max(maxFields, len(def.Fields))
			for _, f := range def.Fields {
				maxArgs = max(maxArgs, len(f.Arguments))
			}
		case ast.InputObject:
			maxInputFields = max(maxInputFields, len(def.Fields))
		case ast.Enum:
			maxEnumValues = max(maxEnumValues, len(def.EnumValues))
		}
		maxInterfaces = max(maxInterfaces, len(def.Interfaces))
		if def.IsAbstractType() {
			maxPossible = max(maxPossible, len(schema.GetPossibleTypes(def)))
		}
	}
	for _, d := range schema.Directives {
		maxArgs = max(maxArgs, len(d.Arguments))
	}
	return map[string]int{
		"__Schema.types":        len(schema.Types),
		"__Schema.directives":   len(schema.Directives),
		"__Type.fields":         maxFields,
		"__Type.inputFields":    maxInputFields,
		"__Type.enumValues":     maxEnumValues,
		"__Type.interfaces":     maxInterfaces,
		"__Type.possibleTypes":  maxPossible,
		"__Field.args":          maxArgs,
		"__Directive.args":      maxArgs,
		"__Directive.locations": 20, // the spec's directive locations, scalars
	}
}

// completeIntrospection is the selection a complete introspection makes,
// shaped as graphql-js's getIntrospectionQuery with every option: every type
// with its fields, their arguments and types nine ofType levels deep (its
// default typeDepth).
func completeIntrospection() ast.SelectionSet {
	obj := func(name string) *ast.Definition { return &ast.Definition{Name: name} }
	field := func(on, name string, children ...ast.Selection) *ast.Field {
		return &ast.Field{Name: name, ObjectDefinition: obj(on), SelectionSet: children}
	}
	typeRef := func() *ast.Field {
		ref := field("__Type", "ofType", field("__Type", "kind"), field("__Type", "name"))
		for range 8 {
			ref = field("__Type", "ofType", field("__Type", "kind"), field("__Type", "name"), ref)
		}
		return field("__Field", "type", field("__Type", "kind"), field("__Type", "name"), ref)
	}
	inputValue := func(on, name string) *ast.Field {
		return field(on, name, field("__InputValue", "name"), field("__InputValue", "description"), typeRef(),
			field("__InputValue", "defaultValue"), field("__InputValue", "isDeprecated"), field("__InputValue", "deprecationReason"))
	}
	fullType := []ast.Selection{
		field("__Type", "kind"), field("__Type", "name"), field("__Type", "description"),
		field("__Type", "specifiedByURL"), field("__Type", "isOneOf"),
		field("__Type", "fields", field("__Field", "name"), field("__Field", "description"),
			inputValue("__Field", "args"), typeRef(), field("__Field", "isDeprecated"), field("__Field", "deprecationReason")),
		inputValue("__Type", "inputFields"),
		field("__Type", "interfaces", typeRef().SelectionSet...),
		field("__Type", "enumValues", field("__EnumValue", "name"), field("__EnumValue", "description"),
			field("__EnumValue", "isDeprecated"), field("__EnumValue", "deprecationReason")),
		field("__Type", "possibleTypes", typeRef().SelectionSet...),
	}
	return ast.SelectionSet{field("Query", "__schema",
		field("__Schema", "description"),
		field("__Schema", "queryType", field("__Type", "name"), field("__Type", "kind")),
		field("__Schema", "mutationType", field("__Type", "name"), field("__Type", "kind")),
		field("__Schema", "subscriptionType", field("__Type", "name"), field("__Type", "kind")),
		field("__Schema", "types", fullType...),
		field("__Schema", "directives", field("__Directive", "name"), field("__Directive", "description"),
			field("__Directive", "isRepeatable"), field("__Directive", "locations"), inputValue("__Directive", "args")),
	)}
}

func satAdd(a, b int) int {
	if s := a + b; s >= a && s >= b {
		return s
	}
	return int(^uint(0) >> 1)
}

func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if p := a * b; p/b == a && p > 0 {
		return p
	}
	return int(^uint(0) >> 1)
}

// handleSchemaSDL serves the schema as SDL (GET /graphql/schema.graphql) for
// codegen tools and editors; it reveals what introspection does, so it is
// served only when introspection is on.
func handleSchemaSDL(sdl []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(sdl)
	}
}

// schemaSDL prints the schema without the built-in definitions.
func schemaSDL() []byte {
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(graph.NewExecutableSchema(graph.Config{}).Schema())
	return b.Bytes()
}
