package gateway

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/graph"
	"github.com/systemuser-gateway/systemuser/identity"
)

// The schema's directives state who may use a field; registry checks again
// (and scopes every query), so a missing directive cannot open a hole.
var (
	errNeedsAuth   = apperr.New(apperr.Unauthenticated, "UNAUTHENTICATED", "this field needs a bearer token")
	errNeedsPerson = apperr.New(apperr.Forbidden, "PERSON_REQUIRED", "this field is for a person (log in with a person token)")
	errNeedsScope  = apperr.New(apperr.Forbidden, "MISSING_SCOPE", "the token lacks a scope this field needs")
)

func directives() graph.DirectiveRoot {
	return graph.DirectiveRoot{
		Authenticated: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			if identity.FromContext(ctx).Kind == identity.Anonymous {
				return nil, errNeedsAuth
			}
			return next(ctx)
		},
		Person: func(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
			switch identity.FromContext(ctx).Kind {
			case identity.Anonymous:
				return nil, errNeedsAuth
			case identity.Person:
				return next(ctx)
			}
			return nil, errNeedsPerson
		},
		HasScope: func(ctx context.Context, _ any, next graphql.Resolver, anyOf []string) (any, error) {
			id := identity.FromContext(ctx)
			if id.Kind == identity.Anonymous {
				return nil, errNeedsAuth
			}
			if id.Kind != identity.Organization || !id.HasAnyScope(anyOf...) {
				return nil, errNeedsScope
			}
			return next(ctx)
		},
	}
}
