package telemetry

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Without an endpoint nothing is built, and every helper hands back what
// it was given: the request path runs the code it runs without tracing.
func TestOffIsIdentity(t *testing.T) {
	t.Parallel()
	tr, err := Start(context.Background(), "s", "v", env(nil))
	if err != nil || tr.Enabled() {
		t.Fatalf("Start without endpoint: %v, enabled %v", err, tr.Enabled())
	}
	h := &struct{ http.Handler }{http.NotFoundHandler()}
	if got, ok := tr.HTTPHandler(h, "x").(*struct{ http.Handler }); !ok || got != h {
		t.Error("HTTPHandler wrapped the handler with tracing off")
	}
	if tr.GraphQLTracer() != nil || tr.TracerProvider() != nil {
		t.Error("tracer built with tracing off")
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestStartRejectsWhatItCannotExport(t *testing.T) {
	t.Parallel()
	for name, e := range map[string]map[string]string{
		"grpc":         {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
		"not a URL":    {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"},
		"traces bogus": {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://x/v1/traces"},
	} {
		if _, err := Start(context.Background(), "s", "v", env(e)); err == nil {
			t.Errorf("%s: started", name)
		}
	}
	tr, err := Start(context.Background(), "s", "v", env(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_SDK_DISABLED": "true"}))
	if err != nil || tr.Enabled() {
		t.Errorf("OTEL_SDK_DISABLED: %v, enabled %v", err, tr.Enabled())
	}
}

// Log lines written with a context that carries a span name its trace.
func TestLogHandlerAddsTraceIDs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewTextHandler(&buf, nil))).With("component", "x")
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5}, TraceFlags: trace.FlagsSampled})
	log.InfoContext(trace.ContextWithSpanContext(context.Background(), sc), "with span")
	log.InfoContext(context.Background(), "without span")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "trace_id="+sc.TraceID().String()) || !strings.Contains(lines[0], "span_id="+sc.SpanID().String()) ||
		!strings.Contains(lines[0], "component=x") {
		t.Errorf("line with span: %s", lines[0])
	}
	if strings.Contains(lines[1], "trace_id") {
		t.Errorf("line without span: %s", lines[1])
	}
}

// Off, NameSpan is a context lookup and nothing else; on a request without
// a span it must not fail.
func TestNameSpanWithoutSpan(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	NameSpan(r.Context(), r.Method, "GET /x")
	if n := testing.AllocsPerRun(100, func() { NameSpan(r.Context(), r.Method, "GET /x") }); n != 0 {
		t.Errorf("NameSpan without a span allocates %v times", n)
	}
}
