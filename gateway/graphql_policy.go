package gateway

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/identity"
)

// graphqlPolicy says who may use each root field, from auth's policy table
// (the same values the REST route table uses). What a caller then sees is
// scoped inside registry and pdp, so nested fields need no entry. A root
// field missing here is refused to everyone, and a test fails: add a row
// when you add a field to the schema.
var graphqlPolicy = map[string]auth.Requirement{
	"Query.node":                 auth.Public,
	"Query.nodes":                auth.Public,
	"Query.viewer":               auth.Public,
	"Query.organization":         auth.Public,
	"Query.resources":            auth.Public,
	"Query.accessPackages":       auth.Public,
	"Query.system":               auth.Public,
	"Query.systems":              auth.Public,
	"Query.systemUser":           auth.Public, // scoped: its vendor (auth.VendorRead), its owner's administrators
	"Query.systemUsers":          auth.Public,
	"Query.request":              auth.RequestStatus,
	"Query.requestByExternalRef": auth.RequestStatus,
	"Query.changeRequest":        auth.RequestStatus,
	"Query.decisions":            auth.Authenticated, // scoped: the caller's own decisions, or its parties'

	"Mutation.registerSystem":               auth.SystemRegisterWrite,
	"Mutation.updateSystem":                 auth.SystemRegisterWrite,
	"Mutation.deleteSystem":                 auth.SystemRegisterWrite,
	"Mutation.createSystemUserRequest":      auth.RequestWrite,
	"Mutation.createAgentSystemUserRequest": auth.RequestWrite,
	"Mutation.deleteSystemUserRequest":      auth.RequestWrite,
	"Mutation.createChangeRequest":          auth.RequestWrite,
	"Mutation.approveSystemUserRequest":     auth.Portal,
	"Mutation.rejectSystemUserRequest":      auth.Portal,
	"Mutation.approveChangeRequest":         auth.Portal,
	"Mutation.rejectChangeRequest":          auth.Portal,
	"Mutation.createSystemUser":             auth.Portal,
	"Mutation.deleteSystemUser":             auth.Portal,
	"Mutation.addClient":                    auth.Portal,
	"Mutation.removeClient":                 auth.Portal,
	"Mutation.authorize":                    auth.Authorize,
	"Mutation.authorizeBatch":               auth.Authorize,

	"Subscription.requestStatusChanged": auth.RequestStatus,
	"Subscription.systemUserChanged":    auth.Portal,
}

var (
	errNeedsAuth      = apperr.New(apperr.Unauthenticated, "UNAUTHENTICATED", "this field needs a bearer token")
	errNeedsPerson    = apperr.New(apperr.Forbidden, "PERSON_REQUIRED", "this field is for a person (log in with a person token)")
	errNeedsScope     = apperr.New(apperr.Forbidden, "MISSING_SCOPE", "the token lacks a scope this field needs")
	errNoFieldPolicy  = apperr.New(apperr.Forbidden, "NO_POLICY", "this field has no access policy")
	graphqlRootObject = []string{"Query", "Mutation", "Subscription"}
)

// fieldPolicy admits a root field only for the callers its policy admits;
// other fields pass (their data is scoped).
func fieldPolicy(ctx context.Context) error {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !slices.Contains(graphqlRootObject, fc.Object) {
		return nil
	}
	if fc.Field.Name == "__schema" || fc.Field.Name == "__type" || fc.Field.Name == "__typename" {
		return nil // introspection: allowed or not by configuration
	}
	req, ok := graphqlPolicy[fc.Object+"."+fc.Field.Name]
	if !ok {
		return errNoFieldPolicy
	}
	id := identity.FromContext(ctx)
	if err := req.Check(id); err != nil {
		return policyError(req, auth.CallerOf(id), err)
	}
	return nil
}

// policyError names why a caller was refused, for the client.
func policyError(req auth.Requirement, caller auth.Caller, err error) error {
	if errors.Is(err, auth.ErrUnauthenticated) {
		return errNeedsAuth
	}
	personOnly := !slices.ContainsFunc(req.Admits, func(a auth.Admit) bool { return a.Caller != auth.Person })
	if personOnly && caller != auth.Person {
		return errNeedsPerson
	}
	return errNeedsScope
}

// GraphQLPolicy returns a copy of the root fields' requirements, keyed
// "Query.field", "Mutation.field", "Subscription.field".
func GraphQLPolicy() map[string]auth.Requirement { return maps.Clone(graphqlPolicy) }
