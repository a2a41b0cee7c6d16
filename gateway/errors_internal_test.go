package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/gateway/requestid"
)

// gqlgen wraps a resolver's error in *gqlerror.Error before the presenter
// sees it, exactly as it wraps its own input errors; the presenter must
// still tell them apart.
func TestErrorPresenterSeesThroughGqlgenWrapping(t *testing.T) {
	t.Parallel()
	ctx := requestid.NewContext(context.Background(), "req-123")
	present := errorPresenter(slog.New(slog.NewTextHandler(io.Discard, nil)))
	// What gqlgen hands the presenter for a resolver's error: the field
	// middleware's mark, then ErrorOnPath's wrapping.
	fromResolver := func(err error) error {
		_, err = guardField(ctx, func(context.Context) (any, error) { return nil, err })
		return graphql.ErrorOnPath(ctx, err)
	}
	dbDown := fmt.Errorf("registry: list: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
	dbBroken := fmt.Errorf("registry: list: %w", errors.New(`ERROR: column "secret_col" does not exist (SQLSTATE=42703)`))
	for _, tc := range []struct {
		name     string
		err      error
		code     string
		message  string
		hasReqID bool
	}{
		{"DatabaseDown", fromResolver(dbDown), "UNAVAILABLE", "the service is temporarily unavailable; retry shortly", false},
		{"InternalHidesCause", fromResolver(dbBroken), "INTERNAL_SERVER_ERROR", "internal error", true},
		{"InternalAppErr", fromResolver(&apperr.Error{Code: apperr.Internal, Message: "x", Err: dbBroken}), "INTERNAL_SERVER_ERROR", "internal error", true},
		{"AppErrKeepsReason", fromResolver(apperr.New(apperr.NotFound, "SYSTEM_NOT_FOUND", "system not found")), "SYSTEM_NOT_FOUND", "system not found", false},
		{"InputErrorFromGqlgen", gqlerror.Errorf("Cannot query field \"nope\" on type \"Query\"."), "BAD_USER_INPUT", `Cannot query field "nope" on type "Query".`, false},
		{"ArgumentCoercion", graphql.ErrorOnPath(ctx, errors.New("invalid UUID length: 3")), "BAD_USER_INPUT", "invalid UUID length: 3", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := present(ctx, tc.err)
			if got.Extensions["code"] != tc.code || got.Message != tc.message {
				t.Errorf("got %q %v, want %q with code %s", got.Message, got.Extensions, tc.message, tc.code)
			}
			if _, ok := got.Extensions["requestId"]; ok != tc.hasReqID {
				t.Errorf("requestId present = %v, want %v (%v)", ok, tc.hasReqID, got.Extensions)
			}
			if strings.Contains(got.Message, "secret_col") || strings.Contains(fmt.Sprint(got.Extensions), "secret_col") {
				t.Errorf("database text reaches the client: %v", got)
			}
			if tc.code == "UNAVAILABLE" && got.Extensions["retryable"] != true {
				t.Errorf("UNAVAILABLE without retryable: %v", got.Extensions)
			}
		})
	}
}

// anotherFieldInterceptor is what fieldGuard must not override.
type anotherFieldInterceptor struct{}

func (anotherFieldInterceptor) ExtensionName() string                   { return "Another" }
func (anotherFieldInterceptor) Validate(graphql.ExecutableSchema) error { return nil }
func (anotherFieldInterceptor) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	return next(ctx)
}

// TestFieldGuardIsTheWholeFieldMiddleware: fieldGuard makes guardField the
// operation's field middleware itself, and interceptsFields tells the
// extensions it would override.
func TestFieldGuardIsTheWholeFieldMiddleware(t *testing.T) {
	t.Parallel()
	oc := &graphql.OperationContext{}
	if err := (fieldGuard{}).MutateOperationContext(context.Background(), oc); err != nil {
		t.Fatal(err)
	}
	ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Object: "System"})
	_, err := oc.ResolverMiddleware(ctx, func(context.Context) (any, error) { return nil, errors.New("boom") })
	var re resolverError
	if !errors.As(err, &re) {
		t.Fatalf("a resolver's error through the field middleware: %v, want it marked (guardField)", err)
	}
	for _, tc := range []struct {
		x    graphql.HandlerExtension
		want bool
	}{{anotherFieldInterceptor{}, true}, {fieldGuard{}, false}, {depthLimit{}, false}, {deferNeedsIncrementalDelivery{}, false}} {
		if got := interceptsFields(tc.x); got != tc.want {
			t.Errorf("interceptsFields(%s) = %v, want %v", tc.x.ExtensionName(), got, tc.want)
		}
	}
}
