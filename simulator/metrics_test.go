package simulator

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/metrics/metricstest"
)

// Tokens issued and refused show up in /metrics by kind and reason, next
// to the Go and process collectors and the request counters.
func TestMetricsCountTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before := metricstest.Scrape(t, e.ts.URL+"/metrics")

	ok := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, e.grant()))
	if ok.status != http.StatusOK {
		t.Fatalf("grant: %d %v", ok.status, ok.body)
	}
	replayed := e.grant()
	first := mustSign(t, e.key, jose.RS256, e.key.KeyID, replayed)
	e.exchange(t, first)
	if r := e.exchange(t, first); r.header.Get(ReasonHeader) != ErrReplayed.ID {
		t.Fatalf("replay: %d %s", r.status, r.header.Get(ReasonHeader))
	}
	if r := e.postToken(t, url.Values{"grant_type": {"password"}}); r.status != http.StatusBadRequest {
		t.Fatalf("password grant: %d", r.status)
	}

	after := metricstest.Scrape(t, e.ts.URL+"/metrics")
	for k, want := range map[string]float64{
		`systemuser_simulator_tokens_issued_total{kind="maskinporten"}`:                                   2,
		`systemuser_simulator_token_issuance_duration_seconds_count{kind="maskinporten"}`:                 2,
		`systemuser_simulator_tokens_rejected_total{kind="maskinporten",reason="jti_replayed"}`:           1,
		`systemuser_simulator_tokens_rejected_total{kind="maskinporten",reason="unsupported_grant_type"}`: 1,
		`systemuser_simulator_http_requests_total{code="200",method="post",route="POST /token"}`:          2,
		`systemuser_simulator_http_requests_total{code="400",method="post",route="POST /token"}`:          2,
		`systemuser_simulator_http_requests_total{code="200",method="get",route="GET /metrics"}`:          1,
	} {
		if got := after[k] - before[k]; got != want {
			t.Errorf("%s moved by %v, want %v", k, got, want)
		}
	}
	// Known reasons are exported before they first happen.
	if _, found := before[`systemuser_simulator_tokens_rejected_total{kind="maskinporten",reason="no_system_user"}`]; !found {
		t.Error("rejection reasons are not pre-bound")
	}
	for _, k := range []string{"go_gc_duration_seconds_count", "process_cpu_seconds_total", "go_goroutines"} {
		if _, found := after[k]; !found {
			t.Errorf("%s missing", k)
		}
	}
}

func TestMetricsOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.DisableMetrics = true })
	resp, err := e.ts.Client().Get(e.ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || e.srv.Metrics() != nil {
		t.Fatalf("GET /metrics = %d with metrics off", resp.StatusCode)
	}
	if ok := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, e.grant())); ok.status != http.StatusOK {
		t.Fatalf("grant with metrics off: %d %v", ok.status, ok.body)
	}
}
