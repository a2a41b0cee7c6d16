package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"time"

	gqlcomplexity "github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/dataloaders"
	"github.com/systemuser-gateway/systemuser/graph"
	"github.com/systemuser-gateway/systemuser/resolvers"
)

// GraphQLConfig limits what one operation may cost.
type GraphQLConfig struct {
	Introspection   bool
	ComplexityLimit int // default 5000; list fields cost page size × item cost
	DepthLimit      int // default 12
	// LoaderWait is the dataloaders' batch window (dataloaders.DefaultWait if
	// zero). Tests that count SQL statements widen it so a loaded machine
	// cannot split a batch.
	LoaderWait time.Duration
	// WebsocketInitTimeout is how long a socket may wait before
	// connection_init (default 10 s; then 4408).
	WebsocketInitTimeout time.Duration
	// WebsocketMaxOperations bounds the operations running at once on one
	// socket (default 100; beyond it a subscribe gets an error message).
	WebsocketMaxOperations int
	// MaxConcurrent bounds the operations running at once over HTTP (POST
	// and GET); the others wait their turn in order (graphqlTurns). Zero
	// takes DefaultGraphQLTurnsPerCPU per GOMAXPROCS; negative, no bound.
	MaxConcurrent int
	// TurnWait is how long an operation waits for its turn before it runs
	// anyway (DefaultGraphQLTurnWait if zero).
	TurnWait time.Duration
}

func (s *Server) graphqlHandler() http.Handler {
	cfg := s.cfg.GraphQL
	if cfg.ComplexityLimit <= 0 {
		cfg.ComplexityLimit = 5000
	}
	if cfg.DepthLimit <= 0 {
		cfg.DepthLimit = 12
	}
	res := &resolvers.Resolver{Registry: s.deps.Registry, PDP: s.deps.PDP,
		Lists:  graph.NewListWorkers(graph.DefaultMaxParkedWorkers, graph.DefaultWorkerIdle),
		Fields: graph.NewFieldsCache(graph.DefaultFieldsCacheEntries)}
	if s.deps.Events != nil {
		res.Events = s.deps.Events
	}
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: res, Complexity: complexity()})
	srv := handler.New(schema)
	// Websocket first: it must see the upgrade before the HTTP transports.
	srv.AddTransport(s.websocketTransport(cfg))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(getTransport{})
	// Before POST: it takes the POSTs that accept multipart/mixed (@defer).
	srv.AddTransport(transport.MultipartMixed{})
	srv.AddTransport(postTransport{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	var exts []graphql.HandlerExtension
	if cfg.Introspection {
		exts = append(exts, extension.Introspection{}, newIntrospectionLimit(schema.Schema()))
	}
	exts = append(exts, extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)},
		// Introspection is priced by introspectionLimit (gqlgen already skips __schema).
		newComplexityLimit(cfg.ComplexityLimit,
			gqlcomplexity.WithIgnoreFields(map[string]struct{}{"Query.__type": {}})),
		depthLimit{Max: cfg.DepthLimit}, deferNeedsIncrementalDelivery{})
	if tr := s.cfg.Tracing.GraphQLTracer(); tr != nil {
		exts = append(exts, tr)
	}
	for _, x := range exts {
		srv.Use(x)
	}
	// Root fields' policy and resolver errors. Plain leaves (a struct
	// field's string, number, boolean or enum) never reach a field
	// middleware: cmd/graphgen marshals them directly. fieldGuard replaces
	// gqlgen's field chain: every extension must be in exts, so one that
	// intercepts fields is seen here.
	if slices.ContainsFunc(exts, interceptsFields) {
		srv.AroundFields(guardField)
	} else {
		srv.Use(fieldGuard{})
	}
	srv.SetErrorPresenter(errorPresenter(s.logger))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		s.logger.ErrorContext(ctx, "graphql panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return apperr.New(apperr.Internal, "", "internal error")
	})
	return incrementalDelivery(dataloaders.Middleware(s.deps.Registry, cfg.LoaderWait, srv))
}

var _ graphql.HandlerExtension = depthLimit{}

// quietLogger is for tests that do not care about logs.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
