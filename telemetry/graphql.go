package telemetry

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// GraphQLTracer is a gqlgen extension: a span per operation response and a
// child span per root field, so a slow query can be followed into the
// resolvers' SQL. Nested fields get none: their number grows with the
// query, and their SQL is batched by the dataloaders under the root field
// anyway.
type GraphQLTracer struct {
	tracer trace.Tracer
}

// GraphQLTracer returns the extension, or nil when tracing is off (callers
// then do not install it).
func (t *Tracing) GraphQLTracer() *GraphQLTracer {
	if !t.Enabled() {
		return nil
	}
	return &GraphQLTracer{tracer: t.provider.Tracer("github.com/systemuser-gateway/systemuser/telemetry/graphql")}
}

var (
	_ graphql.HandlerExtension     = (*GraphQLTracer)(nil)
	_ graphql.ResponseInterceptor  = (*GraphQLTracer)(nil)
	_ graphql.RootFieldInterceptor = (*GraphQLTracer)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (*GraphQLTracer) ExtensionName() string { return "OpenTelemetry" }

// Validate implements graphql.HandlerExtension.
func (*GraphQLTracer) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse spans one response (a subscription has one per event).
func (g *GraphQLTracer) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	op := graphql.GetOperationContext(ctx)
	typ := "query"
	if op.Operation != nil {
		typ = string(op.Operation.Operation)
	}
	opName := op.OperationName
	if opName == "" && op.Operation != nil {
		opName = op.Operation.Name // named in the document, not in the request
	}
	name := "graphql." + typ
	if opName != "" {
		name += " " + opName
	}
	ctx, span := g.tracer.Start(ctx, name, trace.WithAttributes(
		attribute.String("graphql.operation.type", typ),
		attribute.String("graphql.operation.name", opName),
	))
	defer span.End()
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 0 {
		span.SetStatus(codes.Error, resp.Errors[0].Message)
		span.SetAttributes(attribute.Int("graphql.errors", len(resp.Errors)))
	}
	return resp
}

// InterceptRootField spans one root field's resolution ("Query.systems").
func (g *GraphQLTracer) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	root := "Query"
	if op := graphql.GetOperationContext(ctx).Operation; op != nil {
		switch op.Operation {
		case ast.Mutation:
			root = "Mutation"
		case ast.Subscription:
			root = "Subscription"
		}
	}
	ctx, span := g.tracer.Start(ctx, root+"."+fc.Field.Name, trace.WithAttributes(
		attribute.String("graphql.field.name", fc.Field.Name),
		attribute.String("graphql.field.alias", fc.Field.Alias),
	))
	defer span.End()
	return next(ctx)
}
