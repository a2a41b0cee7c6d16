package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/extra/bunotel"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tracing is the process's tracer provider. The zero value (and what Start
// returns without an endpoint) is off.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// Start configures tracing from the standard OTEL_* variables read through
// lookup (os.LookupEnv in production). Without an OTLP endpoint it returns
// an off Tracing and no error. Only the http/protobuf protocol is built in;
// asking for grpc is a configuration error, reported at start.
func Start(ctx context.Context, service, version string, lookup func(string) (string, bool)) (*Tracing, error) {
	get := func(k string) string {
		if v, ok := lookup(k); ok {
			return strings.TrimSpace(v)
		}
		return ""
	}
	if get("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return &Tracing{}, nil
	}
	if strings.EqualFold(get("OTEL_SDK_DISABLED"), "true") || get("OTEL_TRACES_EXPORTER") == "none" {
		return &Tracing{}, nil
	}
	proto := get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = get("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if proto != "" && proto != "http/protobuf" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: only http/protobuf is supported", proto)
	}
	// The endpoint is passed explicitly (read through lookup, like the
	// rest); the exporter reads headers, timeout, compression and TLS
	// settings from the OTEL_EXPORTER_OTLP_* variables itself.
	endpoint := get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if endpoint == "" {
		endpoint = strings.TrimSuffix(get("OTEL_EXPORTER_OTLP_ENDPOINT"), "/") + "/v1/traces"
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OTLP endpoint %q: want an http or https URL", endpoint)
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	if name := get("OTEL_SERVICE_NAME"); name != "" {
		service = name
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", service),
		attribute.String("service.version", version),
	))
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	// The sampler honours OTEL_TRACES_SAMPLER; the default samples
	// everything unless the caller's traceparent says otherwise.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Tracing{provider: tp}, nil
}

// Enabled reports whether spans are recorded and exported.
func (t *Tracing) Enabled() bool { return t != nil && t.provider != nil }

// TracerProvider is the provider spans are started from (nil when off).
func (t *Tracing) TracerProvider() trace.TracerProvider {
	if !t.Enabled() {
		return nil
	}
	return t.provider
}

// Shutdown flushes the spans still queued and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// ForceFlush exports the spans queued so far.
func (t *Tracing) ForceFlush(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.provider.ForceFlush(ctx)
}

// propagator reads and writes W3C traceparent/tracestate and baggage. It is
// passed explicitly rather than set globally.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// HTTPHandler wraps a listener's handler in an otelhttp server span, named
// "METHOD /pattern" after the innermost ServeMux pattern that matched (see
// NameSpan), else the method alone: never the raw path. Off, it returns h
// itself.
func (t *Tracing) HTTPHandler(h http.Handler, operation string) http.Handler {
	if !t.Enabled() {
		return h
	}
	inner := otelhttp.NewHandler(h, operation,
		otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(propagator),
		// Metrics are Prometheus's job here; otelhttp's own would be a
		// second, unexported set.
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		// Called at the start and again after the handler (when a mux has
		// set r.Pattern): the second time NameSpan may have left a finer
		// route in the request's context.
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if rh, ok := r.Context().Value(routeKey{}).(*routeHolder); ok && rh.route != "" {
				return r.Method + " " + rh.route
			}
			if r.Pattern != "" {
				return r.Method + " " + stripMethod(r.Pattern)
			}
			return r.Method
		}),
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, &routeHolder{})))
	})
}

type routeKey struct{}

// routeHolder carries the route NameSpan found back out to the span name
// formatter; written and read on the request's goroutine.
type routeHolder struct{ route string }

// NameSpan records the request's route (a ServeMux pattern, bounded unlike
// the path) on its server span: as http.route, and as the span's name
// "METHOD /pattern". Without a recording span it does nothing.
func NameSpan(ctx context.Context, method, route string) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() || route == "" {
		return
	}
	route = stripMethod(route)
	span.SetName(method + " " + route)
	span.SetAttributes(attribute.String("http.route", route))
	if rh, ok := ctx.Value(routeKey{}).(*routeHolder); ok {
		rh.route = route
	}
}

// NameSpanIfUnset is NameSpan for the outermost ServeMux: a finer route a
// sub-handler already named (see NameSpan) is kept. Middleware that
// replaces the request (a new context) hides the mux's r.Pattern from the
// span name formatter, so the gateway names the span from its own mux.
func NameSpanIfUnset(ctx context.Context, method, route string) {
	if rh, ok := ctx.Value(routeKey{}).(*routeHolder); ok && rh.route != "" {
		return
	}
	NameSpan(ctx, method, route)
}

// stripMethod drops a pattern's method ("POST /graphql" → "/graphql"); the
// span name carries it once.
func stripMethod(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		return pattern[i+1:]
	}
	return pattern
}

// InstrumentDB returns bdb with a span per SQL statement (bun's OTel
// hook); the copy shares bdb's connection pool. Off, it returns bdb.
func (t *Tracing) InstrumentDB(bdb *bun.DB, dbName string) *bun.DB {
	if !t.Enabled() {
		return bdb
	}
	return bdb.WithQueryHook(bunotel.NewQueryHook(
		bunotel.WithDBName(dbName),
		bunotel.WithTracerProvider(t.provider),
		bunotel.WithMeterProvider(metricnoop.NewMeterProvider()),
	))
}
