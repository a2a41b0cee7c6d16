package gateway

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/systemuser-gateway/systemuser/apperr"
)

// graphqlCode translates apperr codes to GraphQL extensions.code values; its
// HTTP twin is apperr.HTTPStatus (shared by the REST API and the pages).
var (
	graphqlCode = map[apperr.Code]string{
		apperr.Invalid:         "BAD_USER_INPUT",
		apperr.NotFound:        "NOT_FOUND",
		apperr.Conflict:        "CONFLICT",
		apperr.Unauthenticated: "UNAUTHENTICATED",
		apperr.Forbidden:       "FORBIDDEN",
		apperr.Internal:        "INTERNAL_SERVER_ERROR",
	}
)

// errorPresenter gives every GraphQL error an extensions.code: the specific
// reason (e.g. RIGHTS_NOT_IN_SYSTEM) when there is one, else the class. An
// internal error is logged in full and shown as "internal error".
func errorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			// gqlgen reports parse, validation and argument-coercion errors
			// as *gqlerror.Error (a resolver's own errors arrive bare): they
			// describe the caller's input and are safe to show.
			var existing *gqlerror.Error
			if errors.As(err, &existing) {
				if gqlErr.Extensions == nil || gqlErr.Extensions["code"] == nil {
					if gqlErr.Extensions == nil {
						gqlErr.Extensions = map[string]any{}
					}
					gqlErr.Extensions["code"] = graphqlCode[apperr.Invalid]
				}
				return gqlErr
			}
			logger.ErrorContext(ctx, "graphql internal error", "error", err, "path", gqlErr.Path.String())
			gqlErr.Message = "internal error"
			gqlErr.Extensions = map[string]any{"code": graphqlCode[apperr.Internal]}
			return gqlErr
		}
		if ae.Code == apperr.Internal {
			logger.ErrorContext(ctx, "graphql internal error", "error", err, "path", gqlErr.Path.String())
			gqlErr.Message = "internal error"
		} else {
			gqlErr.Message = ae.Message
		}
		ext := map[string]any{"code": graphqlCode[ae.Code]}
		if ae.Reason != "" {
			ext["code"] = ae.Reason
			ext["class"] = graphqlCode[ae.Code]
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
