package gateway

import (
	"context"
	"sync"
	"sync/atomic"

	gqlcomplexity "github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// complexityLimit is gqlgen's FixedComplexityLimit, with one difference:
// the complexity of an operation that declares no variables is kept. It
// then depends on the parsed document alone, which the query cache shares
// across requests, and computing it walked every field of the operation
// on every request (a twenty-fifth of a nested read's CPU, issue 14). An
// operation with variables is priced afresh, as their values may change
// its page sizes. The statistics and the error are gqlgen's.
type complexityLimit struct {
	limit int
	opts  []gqlcomplexity.Option
	es    graphql.ExecutableSchema
	known sync.Map // complexityKey -> int
	size  atomic.Int64
}

type complexityKey struct {
	doc *ast.QueryDocument
	op  string
}

// maxKnownComplexities bounds the documents kept alive by the cache, as the
// query cache bounds its own; past it, the cache starts over.
const maxKnownComplexities = 1000

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*complexityLimit)(nil)

func newComplexityLimit(limit int, opts ...gqlcomplexity.Option) *complexityLimit {
	return &complexityLimit{limit: limit, opts: opts}
}

// ExtensionName is gqlgen's, so extension.GetComplexityStats finds the
// statistics.
func (*complexityLimit) ExtensionName() string { return "ComplexityLimit" }

func (c *complexityLimit) Validate(schema graphql.ExecutableSchema) error {
	c.es = schema
	return nil
}

func (c *complexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	n, known := 0, false
	key := complexityKey{doc: oc.Doc, op: oc.OperationName}
	fixed := op != nil && len(op.VariableDefinitions) == 0
	if fixed {
		if v, ok := c.known.Load(key); ok {
			n, known = v.(int), true
		}
	}
	if !known {
		n = gqlcomplexity.Calculate(ctx, c.es, op, oc.Variables, c.opts...)
		if fixed {
			if c.size.Add(1) > maxKnownComplexities {
				c.known.Clear()
				c.size.Store(1)
			}
			c.known.Store(key, n)
		}
	}
	oc.Stats.SetExtension(c.ExtensionName(), &extension.ComplexityStats{Complexity: n, ComplexityLimit: c.limit})
	if n > c.limit {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", n, c.limit)
		errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
		return err
	}
	return nil
}
