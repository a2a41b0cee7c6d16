package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/metrics/metricstest"
)

func scrape(t *testing.T, url string) metricstest.Samples {
	t.Helper()
	return metricstest.Scrape(t, url+"/metrics")
}

// TestMetricsMove: requests, decisions and the cache show up in /metrics
// as they happen, and the exposition parses.
func TestMetricsMove(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithEvents())
	w := newLifecycleWorld(t, e)
	suID := approvedSystemUser(t, e, w)

	before, statsBefore := scrape(t, e.URL), e.PDP.Stats()
	resp, err := e.Client.Get(e.URL + "/no/such/route")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	owner := e.VendorToken(t, w.owner, scopeAuthorize)
	for _, party := range []string{w.cust, w.cust, w.cust2} {
		mustData(t, e, owner, `mutation($in: [AuthorizeInput!]!) { authorizeBatch(inputs: $in) { result } }`,
			map[string]any{"in": []any{map[string]any{"systemUserId": suID, "resourceId": "res-a", "action": "read", "partyOrgNumber": party}}})
	}
	// The XACML route answers the engine's Deny (another party) as
	// NotApplicable, and is counted so; its series carries the REST mux's
	// own pattern, not the prefix the gateway mounts it on.
	xacml := `{"Request":{"AccessSubject":[{"Attribute":[{"AttributeId":"urn:altinn:systemuser:uuid","Value":"` + suID + `"}]}],
  "Action":[{"Attribute":[{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":"read"}]}],
  "Resource":[{"Attribute":[{"AttributeId":"urn:altinn:resource","Value":"res-a"},{"AttributeId":"urn:altinn:organization:identifier-no","Value":"` + w.cust2 + `"}]}]}}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.URL+"/authorization/api/v1/authorize", strings.NewReader(xacml))
	req.Header.Set("Authorization", "Bearer "+owner)
	req.Header.Set("Content-Type", "application/json")
	resp, err = e.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"decision":"NotApplicable"`) {
		t.Fatalf("XACML answer %d %s, want NotApplicable", resp.StatusCode, body)
	}
	after, statsAfter := scrape(t, e.URL), e.PDP.Stats()

	delta := func(k string) float64 { return after[k] - before[k] }
	for k, want := range map[string]float64{
		`systemuser_http_requests_total{code="404",method="get",route="unmatched"}`:                             1,
		`systemuser_http_requests_total{code="200",method="post",route="/graphql"}`:                             3,
		`systemuser_http_requests_total{code="200",method="get",route="GET /metrics"}`:                          1,
		`systemuser_authorize_decisions_total{result="Permit"}`:                                                 2,
		`systemuser_authorize_decisions_total{result="Deny"}`:                                                   1,
		`systemuser_authorize_decisions_total{result="NotApplicable"}`:                                          1,
		`systemuser_http_requests_total{code="200",method="post",route="POST /authorization/api/v1/authorize"}`: 1,
		// The cache's counters as the engine has them: how the four split
		// depends on when the setup's change events reach the cache (each
		// may drop the entry the first decision cached).
		`systemuser_pdp_cache_hits_total`:   float64(statsAfter.CacheHits - statsBefore.CacheHits),
		`systemuser_pdp_cache_misses_total`: float64(statsAfter.CacheMisses - statsBefore.CacheMisses),
	} {
		if got := delta(k); got != want {
			t.Errorf("%s moved by %v, want %v", k, got, want)
		}
	}
	hits, misses := delta("systemuser_pdp_cache_hits_total"), delta("systemuser_pdp_cache_misses_total")
	if hits+misses != 4 || misses < 1 {
		t.Errorf("pdp cache: %v hits and %v misses for 4 decisions of one system user, want 4, the first a miss", hits, misses)
	}
	for k, want := range map[string]float64{
		"systemuser_http_in_flight":     1, // the scrape itself
		"systemuser_listener_connected": 1,
		`systemuser_http_request_duration_seconds_count{code="200",method="post",route="/graphql"}`: before[`systemuser_http_request_duration_seconds_count{code="200",method="post",route="/graphql"}`] + 3,
	} {
		if after[k] != want {
			t.Errorf("%s = %v, want %v", k, after[k], want)
		}
	}
	for _, k := range []string{"systemuser_decision_log_queue_length", "go_goroutines", "go_gc_duration_seconds_count",
		"process_cpu_seconds_total", "process_start_time_seconds", "process_open_fds"} {
		if _, ok := after[k]; !ok {
			t.Errorf("%s missing", k)
		}
	}
}

func TestMetricsDisabled(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		cfg  gateway.Config
		want int
	}{
		"On":  {gateway.Config{}, http.StatusOK},
		"Off": {gateway.Config{DisableMetrics: true}, http.StatusNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			gw := gateway.New(tc.cfg, gateway.Deps{})
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			if rec.Code != tc.want {
				t.Errorf("GET /metrics = %d, want %d", rec.Code, tc.want)
			}
			if (gw.Metrics() == nil) != tc.cfg.DisableMetrics {
				t.Errorf("Metrics() = %v", gw.Metrics())
			}
		})
	}
}

// TestMetricsConcurrent serves and scrapes at once under -race; the totals
// must be exact.
func TestMetricsConcurrent(t *testing.T) {
	t.Parallel()
	gw := gateway.New(gateway.Config{}, gateway.Deps{})
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			for range each {
				path := "/healthz"
				if i%2 == 1 {
					path = "/nope"
				}
				resp, err := srv.Client().Get(srv.URL + path)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			scrape(t, srv.URL)
		}
	})
	wg.Wait()
	s := scrape(t, srv.URL)
	if got := s[`systemuser_http_requests_total{code="200",method="get",route="GET /healthz"}`]; got != workers/2*each {
		t.Errorf("healthz 2xx = %v", got)
	}
	if got := s[`systemuser_http_requests_total{code="404",method="get",route="unmatched"}`]; got != workers/2*each {
		t.Errorf("unmatched 4xx = %v", got)
	}
}

// BenchmarkMetricsMiddleware is the instrumentation's cost per request:
// the difference between On and Off.
func BenchmarkMetricsMiddleware(b *testing.B) {
	for _, tc := range []struct {
		name string
		cfg  gateway.Config
	}{{"Off", gateway.Config{DisableMetrics: true}}, {"On", gateway.Config{}}} {
		b.Run(tc.name, func(b *testing.B) {
			gw := gateway.New(tc.cfg, gateway.Deps{})
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			w := discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				gw.ServeHTTP(w, req)
			}
		})
	}
}

// discardWriter keeps the benchmark's own allocations out of the figures.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// /metrics speaks OpenMetrics to a scraper that asks for it.
func TestMetricsOpenMetrics(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(gateway.New(gateway.Config{}, gateway.Deps{}))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("Content-Type %q", ct)
	}
	if !strings.HasSuffix(string(body), "# EOF\n") || !strings.Contains(string(body), "go_gc_duration_seconds") {
		t.Fatalf("not an OpenMetrics exposition with the Go collector:\n%.500s", body)
	}
}
