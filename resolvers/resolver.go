// Package resolvers translates GraphQL to registry and pdp calls. Resolvers
// are thin: arguments in, one service call (or a dataloader), result out.
package resolvers

import (
	"github.com/systemuser-gateway/systemuser/registry"
)

// Resolver is the dependency root of every resolver.
type Resolver struct {
	Registry *registry.Service
}
