package gateway

import (
	"github.com/systemuser-gateway/systemuser/graph"
	"github.com/systemuser-gateway/systemuser/graph/model"
	"github.com/systemuser-gateway/systemuser/registry"
)

// A list field costs its page size times what each item asks for, so a
// connection nested in a connection is priced as the fan-out it is.
func pageCost(child int, first *int, def int) int {
	n := def
	if first != nil && *first >= 0 {
		n = *first
	}
	if n == 0 {
		n = 1
	}
	return 1 + n*child
}

func complexity() graph.ComplexityRoot {
	var c graph.ComplexityRoot
	const def = registry.DefaultPageSize
	c.Query.Systems = func(child int, first *int, _ *string, _ *model.SystemFilter) int { return pageCost(child, first, def) }
	c.Query.SystemUsers = func(child int, first *int, _ *string, _ *model.SystemUserFilter) int {
		return pageCost(child, first, def)
	}
	c.Query.Resources = func(child int, first *int, _ *string) int { return pageCost(child, first, def) }
	c.Query.AccessPackages = func(child int, first *int, _ *string) int { return pageCost(child, first, def) }
	c.Query.Decisions = func(child int, _ *model.DecisionFilter, first *int, _ *string) int {
		return pageCost(child, first, def)
	}
	c.Organization.Systems = func(child int, first *int, _ *string) int { return pageCost(child, first, def) }
	c.Organization.SystemUsers = func(child int, first *int, _ *string) int { return pageCost(child, first, def) }
	c.System.SystemUsers = func(child int, first *int, _ *string) int { return pageCost(child, first, def) }
	// Each id is a lookup with its own selection: priced per id, so a long
	// list with a heavy selection hits the limit before anything runs.
	c.Query.Nodes = func(child int, ids []string) int { return 1 + max(len(ids), 1)*child }
	c.SystemUser.Clients = func(child int, first *int, _ *string) int { return pageCost(child, first, def) }
	return c
}
