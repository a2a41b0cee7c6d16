package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/registry"
)

// BenchmarkAuthorizeHandler is one cached XACML authorize through the
// gateway's whole handler (auth, REST, PDP) in-process, with the metrics
// instrumentation off and on: allocs/op of On minus Off is what metrics
// cost the hot path (DESIGN §6 wants 0).
func BenchmarkAuthorizeHandler(b *testing.B) {
	env := newAuthzEnv(b)
	body := env.cachedBody(0)
	for _, tc := range []struct {
		name string
		off  bool
	}{{"MetricsOff", true}, {"MetricsOn", false}} {
		b.Run(tc.name, func(b *testing.B) {
			gw := gateway.New(gateway.Config{DisableMetrics: tc.off},
				gateway.Deps{DB: db.Probe{DB: env.bdb}, Registry: registry.New(env.bdb, registry.Options{PublicURL: "http://gateway.test"}),
					PDP: env.engine, Verifier: env.verifier})
			rd := bytes.NewReader(body)
			req := httptest.NewRequest(http.MethodPost, "/authorization/api/v1/authorize", io.NopCloser(rd))
			req.Header.Set("Authorization", env.bearer)
			req.Header.Set("Content-Type", "application/json")
			req.ContentLength = int64(len(body))
			w := &recordingWriter{h: http.Header{}}
			serve := func() {
				rd.Reset(body)
				w.status = 0
				r := *req // ServeHTTP may set fields (Pattern) on the request
				gw.ServeHTTP(w, &r)
			}
			serve()
			if w.status != http.StatusOK || !bytes.Contains(w.last, []byte(`"decision":"Permit"`)) {
				b.Fatalf("authorize: %d %s", w.status, w.last)
			}
			b.ReportAllocs()
			for b.Loop() {
				serve()
			}
		})
	}
}

// recordingWriter keeps the last answer for the sanity check without
// allocating per request.
type recordingWriter struct {
	h      http.Header
	status int
	last   []byte
}

func (w *recordingWriter) Header() http.Header { return w.h }
func (w *recordingWriter) Write(p []byte) (int, error) {
	w.last = append(w.last[:0], p...)
	return len(p), nil
}
func (w *recordingWriter) WriteHeader(code int) { w.status = code }
