package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/systemuser-gateway/systemuser/metrics"
	"github.com/systemuser-gateway/systemuser/metrics/metricstest"
)

type nopWriter struct{ h http.Header }

func (w nopWriter) Header() http.Header         { return w.h }
func (w nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w nopWriter) WriteHeader(int)             {}

// Once a (code, method, route) has been served, serving it again
// allocates nothing for metrics; labels stay bounded whatever the client
// sends.
func TestHTTPLabelsAndNoAllocation(t *testing.T) {
	reg := metrics.NewRegistry()
	m := metrics.NewHTTP(reg, "test")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.Handle("GET /metrics", metrics.Handler(reg))
	h := m.Handler(mux)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	for _, req := range []struct{ method, path string }{
		{http.MethodGet, "/items/1"}, {http.MethodGet, "/items/2"}, // one route, two paths
		{http.MethodGet, "/nowhere/" + t.Name()}, // unmatched
		{"BREW", "/items/3"},                     // unknown method: 405, "other"
	} {
		r, _ := http.NewRequestWithContext(t.Context(), req.method, srv.URL+req.path, nil)
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	s := metricstest.Scrape(t, srv.URL+"/metrics")
	for k, want := range map[string]float64{
		`test_http_requests_total{code="204",method="get",route="GET /items/{id}"}`: 2,
		`test_http_requests_total{code="404",method="get",route="unmatched"}`:       1,
		`test_http_requests_total{code="405",method="other",route="unmatched"}`:     1,
	} {
		if s[k] != want {
			t.Errorf("%s = %v, want %v", k, s[k], want)
		}
	}
	if _, ok := s["go_gc_duration_seconds_count"]; !ok {
		t.Error("no Go collector")
	}

	req := httptest.NewRequest(http.MethodGet, "/items/7", nil)
	w := nopWriter{h: http.Header{}}
	serve := func() {
		r := *req
		h.ServeHTTP(w, &r)
	}
	serve()
	// The bare mux's own allocations, for comparison.
	bare := testing.AllocsPerRun(200, func() { r := *req; mux.ServeHTTP(w, &r) })
	got := testing.AllocsPerRun(200, serve)
	t.Logf("allocs per request: instrumented %v, bare mux %v", got, bare)
	if got > bare {
		t.Errorf("instrumented request allocates %v times, the bare mux %v", got, bare)
	}
}
