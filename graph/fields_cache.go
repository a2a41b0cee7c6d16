package graph

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// FieldsCache keeps the fields graphql.CollectFields collects for a
// selection set and an object type across requests. gqlgen keeps them for
// one request, behind a key it hashes on every call (an allocation each):
// together a twentieth of a nested read's CPU and a fourteenth of its
// allocations (issue 14), though the same query asks the same every time.
//
// A selection set is known by its selections, which are nodes of a parsed
// document: documents are shared by every request of the same query (the
// query cache), and a selection set the executor builds by merging fields
// holds the same nodes each time. An entry keeps its selections, so their
// nodes stay alive and no other document's can take their addresses; a
// hit compares them all. A selection set whose collection depends on the
// request (a directive anywhere in it, its fragments included: @skip,
// @include and @defer read variables) is collected by gqlgen as before.
type FieldsCache struct {
	entries sync.Map // fieldsKey -> *fieldsEntry
	size    atomic.Int64
	max     int64
}

// DefaultFieldsCacheEntries bounds a FieldsCache: past it, the cache starts
// over, and the documents it kept alive can go.
const DefaultFieldsCacheEntries = 10_000

// NewFieldsCache keeps at most maxEntries selection sets.
func NewFieldsCache(maxEntries int) *FieldsCache {
	return &FieldsCache{max: int64(maxEntries)}
}

type fieldsKey struct {
	first, last ast.Selection
	n           int
	satisfies   *string // the executor's implementors slices are package variables
}

type fieldsEntry struct {
	sel        ast.SelectionSet
	fields     []graphql.CollectedField
	perRequest bool // the collection depends on the request
}

// fieldsCacheSource is a ResolverRoot that brings a FieldsCache.
type fieldsCacheSource interface {
	FieldsCache() *FieldsCache
}

// collectFields is graphql.CollectFields (graphgen rewrites the executor's
// calls to it), answered from the resolver root's FieldsCache when the
// selection set's fields do not depend on the request. The slice returned
// is shared: the executor only reads it, as it reads gqlgen's.
func (ec *executionContext) collectFields(sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	src, ok := ec.Resolvers.(fieldsCacheSource)
	if !ok || len(sel) == 0 || len(satisfies) == 0 {
		return graphql.CollectFields(ec.OperationContext, sel, satisfies)
	}
	c := src.FieldsCache()
	if c == nil {
		return graphql.CollectFields(ec.OperationContext, sel, satisfies)
	}
	key := fieldsKey{first: sel[0], last: sel[len(sel)-1], n: len(sel), satisfies: &satisfies[0]}
	if v, ok := c.entries.Load(key); ok {
		if e := v.(*fieldsEntry); !e.perRequest && slices.Equal(e.sel, sel) {
			return e.fields
		}
		// Collected per request, or another selection set with the same
		// ends: gqlgen's answer, and the entry stays.
		return graphql.CollectFields(ec.OperationContext, sel, satisfies)
	}
	fields := graphql.CollectFields(ec.OperationContext, sel, satisfies)
	e := &fieldsEntry{sel: slices.Clone(sel), perRequest: hasDirectives(ec.OperationContext.Doc, sel, map[string]bool{})}
	if !e.perRequest {
		e.fields = fields
	}
	if c.size.Add(1) > c.max {
		c.entries.Clear()
		c.size.Store(1)
	}
	c.entries.Store(key, e)
	return fields
}

// hasDirectives reports whether a selection in sel, or in the fragments it
// spreads, has a directive: what could make CollectFields answer
// differently for the same selection set.
func hasDirectives(doc *ast.QueryDocument, sel ast.SelectionSet, seen map[string]bool) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if len(s.Directives) > 0 {
				return true
			}
		case *ast.InlineFragment:
			if len(s.Directives) > 0 || hasDirectives(doc, s.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if len(s.Directives) > 0 {
				return true
			}
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			f := doc.Fragments.ForName(s.Name)
			if f == nil || len(f.Directives) > 0 || hasDirectives(doc, f.SelectionSet, seen) {
				return true
			}
		default:
			return true
		}
	}
	return false
}
