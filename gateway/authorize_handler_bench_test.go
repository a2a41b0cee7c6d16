package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/telemetry"
)

// BenchmarkAuthorizeHandler is one cached XACML authorize through the
// gateway's whole handler (auth, REST, PDP) in-process, with the metrics
// instrumentation off and on: allocs/op of On minus Off is what metrics
// cost the hot path (DESIGN §6 wants 0). Tracing off adds nothing at all:
// neither the handler nor the database is wrapped.
func BenchmarkAuthorizeHandler(b *testing.B) {
	env := newAuthzEnv(b)
	body := env.cachedBody(0)
	// TracingOn exports to a collector that discards: its cost is the
	// spans' own, for comparison; tracing off wraps nothing.
	collector := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	b.Cleanup(collector.Close)
	tr, err := telemetry.Start(b.Context(), "bench", "bench", func(k string) (string, bool) {
		return collector.URL, k == "OTEL_EXPORTER_OTLP_ENDPOINT"
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	for _, tc := range []struct {
		name    string
		off     bool
		tracing *telemetry.Tracing
	}{{"MetricsOff", true, nil}, {"MetricsOn", false, nil}, {"MetricsOnTracingOn", false, tr}} {
		b.Run(tc.name, func(b *testing.B) {
			var gw http.Handler = gateway.New(gateway.Config{DisableMetrics: tc.off, Tracing: tc.tracing},
				gateway.Deps{DB: db.Probe{DB: env.bdb}, Registry: registry.New(env.bdb, registry.Options{PublicURL: "http://gateway.test"}),
					PDP: env.engine, Verifier: env.verifier})
			gw = tc.tracing.HTTPHandler(gw, "gateway")
			rd := bytes.NewReader(body)
			req := httptest.NewRequest(http.MethodPost, "/authorization/api/v1/authorize", io.NopCloser(rd))
			req.Header.Set("Authorization", env.bearer)
			req.Header.Set("Content-Type", "application/json")
			req.ContentLength = int64(len(body))
			w := &recordingWriter{h: http.Header{}}
			serve := func() {
				rd.Reset(body)
				w.reset()
				r := *req // ServeHTTP may set fields (Pattern) on the request
				gw.ServeHTTP(w, &r)
			}
			serve()
			if w.status != http.StatusOK || !bytes.Contains(w.body, []byte(`"decision":"Permit"`)) {
				b.Fatalf("authorize: %d %s", w.status, w.body)
			}
			b.ReportAllocs()
			for b.Loop() {
				serve()
			}
		})
	}
}

// recordingWriter keeps the body of the answer for the sanity check
// without allocating per request: reset empties it for the next.
type recordingWriter struct {
	h      http.Header
	status int
	body   []byte
}

func (w *recordingWriter) reset() { w.status, w.body = 0, w.body[:0] }

func (w *recordingWriter) Header() http.Header { return w.h }
func (w *recordingWriter) Write(p []byte) (int, error) {
	w.body = append(w.body, p...)
	return len(p), nil
}
func (w *recordingWriter) WriteHeader(code int) { w.status = code }
