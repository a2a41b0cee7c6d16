// Package resolvers translates GraphQL to registry and pdp calls. Resolvers
// are thin: arguments in, one service call (or a dataloader), result out.
package resolvers

import (
	"github.com/systemuser-gateway/systemuser/graph"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
)

// EventSource feeds subscriptions; *db.Listener implements it.
type EventSource interface {
	Subscribe(buffer int) (<-chan registry.Event, func())
}

// Resolver is the dependency root of every resolver.
type Resolver struct {
	Registry *registry.Service
	Events   EventSource // nil: subscriptions answer "unavailable"
	PDP      *pdp.Engine
	Lists    *graph.ListWorkers // nil: gqlgen's goroutine per list element
	Fields   *graph.FieldsCache // nil: gqlgen's collection of fields per request
}

// ListWorkers are the goroutines the executor marshals list elements on.
func (r *Resolver) ListWorkers() *graph.ListWorkers { return r.Lists }

// FieldsCache keeps the executor's collected fields across requests.
func (r *Resolver) FieldsCache() *graph.FieldsCache { return r.Fields }
