package resolvers

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/graph/model"
	"github.com/systemuser-gateway/systemuser/registry"
)

// systemUserPage is page for a list of system users, skipping the count
// when the query does not select totalCount (a vendor's count scans every
// one of its system users), and the rights and access packages when it
// reads neither.
func systemUserPage(ctx context.Context, first *int, after *string) (registry.Page, error) {
	return systemUserPageOf(graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx).Field, first, after)
}

// systemUserPageOf is systemUserPage for the connection field f, which
// need not be the one being resolved (the lookahead asks for its children's).
func systemUserPageOf(oc *graphql.OperationContext, f graphql.CollectedField, first *int, after *string) (registry.Page, error) {
	p, err := page(first, after)
	p.SkipTotal = !slices.ContainsFunc(graphql.CollectFields(oc, f.Selections, nil), func(c graphql.CollectedField) bool {
		return c.Name == "totalCount"
	})
	p.SkipChildren = !readsSystemUserChildren(oc, f.Selections)
	return p, err
}

// systemPageKey is the SystemUserPage loader's key for a first page p of
// a system's system users.
func systemPageKey(systemID string, p registry.Page) registry.SystemPageKey {
	return registry.SystemPageKey{SystemID: systemID, First: p.First, SkipChildren: p.SkipChildren}
}

func page(first *int, after *string) (registry.Page, error) {
	var p registry.Page
	if first != nil {
		if *first < 0 {
			return p, apperr.New(apperr.Invalid, "INVALID_FIRST", "first must not be negative")
		}
		p.First = *first
	}
	if after != nil {
		p.After = *after
	}
	return p, nil
}

func pageInfo[T any](c *registry.Connection[T], after *string) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: c.HasNextPage, HasPreviousPage: after != nil && *after != ""}
	if n := len(c.Items); n > 0 {
		start, end := c.Cursor(0), c.EndCursor()
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}

// edges maps a registry page onto gqlgen's edge type.
func edges[T any, E any](c *registry.Connection[T], mk func(cursor string, node T) E) []E {
	out := make([]E, len(c.Items))
	for i, item := range c.Items {
		out[i] = mk(c.Cursor(i), item)
	}
	return out
}

func systemConnection(c *registry.Connection[*registry.System], after *string) *model.SystemConnection {
	return &model.SystemConnection{
		Edges: edges(c, func(cur string, n *registry.System) *model.SystemEdge {
			return &model.SystemEdge{Cursor: cur, Node: n}
		}),
		PageInfo:   pageInfo(c, after),
		TotalCount: c.TotalCount,
	}
}

func systemUserConnection(c *registry.Connection[*registry.SystemUser], after *string) *model.SystemUserConnection {
	return &model.SystemUserConnection{
		Edges:      model.NewSystemUserEdges(c),
		PageInfo:   pageInfo(c, after),
		TotalCount: c.TotalCount,
	}
}
