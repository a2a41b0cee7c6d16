package gateway

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/gateway/requestid"
	"github.com/systemuser-gateway/systemuser/registry"
)

// graphqlCode translates apperr codes to GraphQL extensions.code values; its
// HTTP twin is apperr.HTTPStatus (shared by the REST API and the pages).
var graphqlCode = map[apperr.Code]string{
	apperr.Invalid:         "BAD_USER_INPUT",
	apperr.NotFound:        "NOT_FOUND",
	apperr.Conflict:        "CONFLICT",
	apperr.Unauthenticated: "UNAUTHENTICATED",
	apperr.Forbidden:       "FORBIDDEN",
	apperr.Unavailable:     "UNAVAILABLE",
	apperr.Internal:        "INTERNAL_SERVER_ERROR",
}

// retryAfterSeconds is what an UNAVAILABLE answer tells clients to wait
// (extensions.retryAfter): the gateway's pool and listener reconnect within
// a second of the database's return.
const retryAfterSeconds = 1

// errUnavailable is what callers see of any failure to reach the database.
var errUnavailable = apperr.New(apperr.Unavailable, "UNAVAILABLE", "the service is temporarily unavailable; retry shortly")

// resolverError marks an error a resolver returned that is not an
// *apperr.Error. gqlgen wraps resolver errors and its own input errors
// (argument coercion, validation) alike in *gqlerror.Error, so without the
// mark the presenter could not tell a database failure from bad input.
type resolverError struct{ err error }

func (e resolverError) Error() string { return e.err.Error() }
func (e resolverError) Unwrap() error { return e.err }

// guardField is the GraphQL field middleware: the root field's policy
// (fieldPolicy), then the resolver, whose errors are marked. It is one
// middleware, not two, because gqlgen runs the chain around every field
// of every response, each link costing an allocation (issue 14).
func guardField(ctx context.Context, next graphql.Resolver) (any, error) {
	if err := fieldPolicy(ctx); err != nil {
		return nil, err
	}
	res, err := next(ctx)
	return res, markResolverError(err)
}

// fieldGuard makes guardField an operation's whole field middleware. Given
// to gqlgen's AroundFields, guardField is a link of a chain, which costs a
// closure for every resolver field (50 of a nested read's allocations). It
// replaces that chain, so it serves only where no other extension
// intercepts fields (interceptsFields).
type fieldGuard struct{}

var _ graphql.OperationContextMutator = fieldGuard{}

func (fieldGuard) ExtensionName() string                   { return "FieldGuard" }
func (fieldGuard) Validate(graphql.ExecutableSchema) error { return nil }

func (fieldGuard) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	oc.ResolverMiddleware = guardField
	return nil
}

func interceptsFields(x graphql.HandlerExtension) bool {
	_, ok := x.(graphql.FieldInterceptor)
	return ok
}

// markResolverError marks an error a resolver returned, after gqlgen has
// parsed the arguments, unless it is already ours or gqlgen's.
func markResolverError(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	var ge *gqlerror.Error
	if !errors.As(err, &ae) && !errors.As(err, &ge) {
		return resolverError{err}
	}
	return err
}

// errorPresenter gives every GraphQL error an extensions.code: the specific
// reason (e.g. RIGHTS_NOT_IN_SYSTEM) when there is one, else the class. A
// failure to reach the database is UNAVAILABLE with retryable: true; any
// other failure of ours is logged in full and shown as "internal error"
// with the request id, never with its cause.
func errorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		ae, isApp := apperr.As(err)
		var re resolverError
		switch {
		case isApp && ae.Code != apperr.Internal:
		case registry.IsUnavailable(err):
			ae = errUnavailable
		case isApp || errors.As(err, &re):
			reqID := requestid.From(ctx)
			logger.ErrorContext(ctx, "graphql internal error", "error", err, "path", gqlErr.Path.String(), "request_id", reqID)
			gqlErr.Message = "internal error"
			gqlErr.Extensions = map[string]any{"code": graphqlCode[apperr.Internal]}
			if reqID != "" {
				gqlErr.Extensions["requestId"] = reqID
			}
			return gqlErr
		default:
			// gqlgen's own errors (parse, validation, argument coercion,
			// limits) describe the caller's input and are safe to show.
			if gqlErr.Extensions == nil {
				gqlErr.Extensions = map[string]any{}
			}
			if gqlErr.Extensions["code"] == nil {
				gqlErr.Extensions["code"] = graphqlCode[apperr.Invalid]
			}
			return gqlErr
		}
		gqlErr.Message = ae.Message
		ext := map[string]any{"code": graphqlCode[ae.Code]}
		if ae.Reason != "" && ae.Code != apperr.Unavailable {
			ext["code"] = ae.Reason
			ext["class"] = graphqlCode[ae.Code]
		}
		if ae.Code == apperr.Unavailable {
			ext["retryable"] = true
			ext["retryAfter"] = retryAfterSeconds
		}
		if ae.Altinn != "" {
			ext["altinnCode"] = ae.Altinn
		}
		if len(ae.Violations) > 0 {
			vs := make([]map[string]any, len(ae.Violations))
			for i, v := range ae.Violations {
				vs[i] = map[string]any{"code": v.Reason, "altinnCode": v.Altinn, "message": v.Message, "path": v.Path}
			}
			ext["violations"] = vs
		}
		gqlErr.Extensions = ext
		return gqlErr
	}
}

var errInternalPanic = errors.New("internal error")
