package resolvers

import (
	"context"
	"encoding/json"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/systemuser-gateway/systemuser/dataloaders"
	"github.com/systemuser-gateway/systemuser/registry"
)

// A list of systems that selects each system's first page of system users
// loads those pages itself, in one batch, and primes the request's loader
// with them. Left to the child fields, every system's page waits on the
// loader's batch window, and under load a starved goroutine misses it: the
// batch splits into a statement per system.

// prefetchSystemUserPages primes the SystemUserPage loader for systems, the
// nodes of the SystemConnection ctx's field returns, with every
// edges { node { systemUsers(...) } } of its selection that asks for a
// first page. A failure primes nothing: each field then loads, and reports,
// on its own.
func (r *Resolver) prefetchSystemUserPages(ctx context.Context, systems []*registry.System) {
	if len(systems) == 0 {
		return
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return
	}
	oc := graphql.GetOperationContext(ctx)
	var keys []registry.SystemPageKey
	for _, f := range nested(oc, fc.Field.Selections, []string{"SystemConnection"}, "edges", []string{"SystemEdge"}, "node", []string{"System", "Node"}) {
		if f.Name != "systemUsers" {
			continue
		}
		key, ok := firstPageKey(oc, f)
		if !ok {
			continue
		}
		for _, s := range systems {
			key.SystemID = s.ID
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return
	}
	dataloaders.BeforeWait(ctx) // a query of its own: the list's other elements need not wait behind it
	pages, err := r.Registry.FirstSystemUserPages(ctx, keys)
	if err != nil {
		return
	}
	loader := dataloaders.For(ctx).SystemUserPage
	for k, c := range pages {
		loader.Prime(k, c)
	}
}

// firstPageKey is the loader key System.systemUsers computes for f (its
// SystemID left blank), or false when f asks for a later page or has an
// argument the field itself rejects.
func firstPageKey(oc *graphql.OperationContext, f graphql.CollectedField) (registry.SystemPageKey, bool) {
	args := f.ArgumentMap(oc.Variables)
	var first *int
	if v := args["first"]; v != nil {
		n, ok := intArg(v)
		if !ok {
			return registry.SystemPageKey{}, false
		}
		first = &n
	}
	var after *string
	if v, ok := args["after"].(string); ok {
		after = &v
	}
	p, err := systemUserPageOf(oc, f, first, after)
	if err != nil || p.After != "" {
		return registry.SystemPageKey{}, false
	}
	return systemPageKey("", p), true
}

// intArg reads an Int argument as gqlparser leaves it: int64 from a literal,
// a number from the variables' JSON.
func intArg(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), n >= math.MinInt32 && n <= math.MaxInt32
	case float64:
		return int(n), n == math.Trunc(n) && n >= math.MinInt32 && n <= math.MaxInt32
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil && i >= math.MinInt32 && i <= math.MaxInt32
	}
	return 0, false
}

// readsSystemUserChildren says whether sel, the selection of a
// SystemUserConnection, reads a system user's rights or access packages
// (edges { node { rights accessPackages } }, through fragments too).
func readsSystemUserChildren(oc *graphql.OperationContext, sel ast.SelectionSet) bool {
	for _, f := range nested(oc, sel, []string{"SystemUserConnection"}, "edges", []string{"SystemUserEdge"}, "node", []string{"SystemUser", "Node"}) {
		if f.Name == "rights" || f.Name == "accessPackages" {
			return true
		}
	}
	return false
}

// nested collects the fields two levels down a connection's selection:
// sel's field named edge (on types conn), its field named node (on types
// edgeTypes), and then that field's fields (on types nodeTypes).
func nested(oc *graphql.OperationContext, sel ast.SelectionSet, conn []string, edge string, edgeTypes []string, node string, nodeTypes []string) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, e := range graphql.CollectFields(oc, sel, conn) {
		if e.Name != edge {
			continue
		}
		for _, n := range graphql.CollectFields(oc, e.Selections, edgeTypes) {
			if n.Name != node {
				continue
			}
			out = append(out, graphql.CollectFields(oc, n.Selections, nodeTypes)...)
		}
	}
	return out
}
