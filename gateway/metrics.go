package gateway

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/systemuser-gateway/systemuser/metrics"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/telemetry"
)

// The authorize route, bound before the first request so that its series
// exist (at 0) from the start.
const authorizeRoute = "POST /authorization/api/v1/authorize"

// instrument builds the /metrics registry and wraps h in the HTTP
// instrumentation.
func (s *Server) instrument(mux *http.ServeMux, h http.Handler) http.Handler {
	s.metrics = metrics.NewRegistry()
	s.registerDeps(s.metrics)
	mux.Handle("GET /metrics", metrics.Handler(s.metrics))
	m := metrics.NewHTTP(s.metrics, "systemuser")
	m.Bind(http.StatusOK, http.MethodPost, authorizeRoute)
	m.Bind(http.StatusOK, http.MethodPost, "/graphql")
	return m.Handler(h)
}

// spanNamed names the request's trace span after the pattern the gateway's
// mux matched. The request ID middleware replaces the request outside it,
// so the span name formatter cannot see that r.Pattern itself.
func spanNamed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		telemetry.NameSpanIfUnset(r.Context(), r.Method, r.Pattern)
	})
}

// routed wraps a sub-handler that has its own ServeMux (the REST API, the
// confirm pages), so that its finer pattern ("POST
// /authorization/api/v1/authorize" rather than "/authorization/") labels
// the request's metrics and names its trace span.
func routed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		metrics.RecordRoute(w, r.Pattern)
		telemetry.NameSpan(r.Context(), r.Method, r.Pattern)
	})
}

// registerDeps adds the gauges and counters read from the gateway's
// dependencies at scrape time: the hot path only bumps the PDP's atomics.
func (s *Server) registerDeps(reg prometheus.Registerer) {
	if t := s.turns; t != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "systemuser_graphql_operations_running",
			Help: "GraphQL operations running over HTTP (at most --graphql-max-concurrent)."},
			func() float64 { return float64(t.running.Load()) }))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "systemuser_graphql_operations_waiting",
			Help: "GraphQL operations over HTTP waiting for their turn to run."},
			func() float64 { return float64(t.waiting.Load()) }))
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "systemuser_graphql_operations_unturned_total",
			Help: "GraphQL operations over HTTP that waited their longest and ran without a turn (the running ones were slow)."},
			func() float64 { return float64(t.unturned.Load()) }))
	}
	if ev := s.deps.Events; ev != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "systemuser_listener_connected",
			Help: "1 while the database change listener is connected, else 0."},
			func() float64 {
				if ev.Connected() {
					return 1
				}
				return 0
			}))
	}
	e := s.deps.PDP
	if e == nil {
		return
	}
	const decisionsHelp = "Authorize decisions answered (REST, XACML and GraphQL), by the result the caller was sent."
	for _, r := range []struct {
		result pdp.Result
		get    func(pdp.Stats) uint64
	}{
		{pdp.Permit, func(st pdp.Stats) uint64 { return st.Permit }},
		{pdp.Deny, func(st pdp.Stats) uint64 { return st.Deny }},
		{pdp.NotApplicable, func(st pdp.Stats) uint64 { return st.NotApplicable }},
		{pdp.Indeterminate, func(st pdp.Stats) uint64 { return st.Indeterminate }},
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "systemuser_authorize_decisions_total", Help: decisionsHelp,
			ConstLabels: prometheus.Labels{"result": string(r.result)}},
			func() float64 { return float64(r.get(e.Stats())) }))
	}
	counter := func(name, help string, get func(pdp.Stats) uint64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(get(e.Stats())) }))
	}
	gauge := func(name, help string, get func(pdp.Stats) int) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return float64(get(e.Stats())) }))
	}
	counter("systemuser_pdp_cache_hits_total", "System users a decision found without reading the database.",
		func(st pdp.Stats) uint64 { return st.CacheHits })
	counter("systemuser_pdp_cache_misses_total", "System users a decision read from the database.",
		func(st pdp.Stats) uint64 { return st.CacheMisses })
	counter("systemuser_decision_log_dropped_total", "Decisions the decision log never wrote.",
		func(st pdp.Stats) uint64 { return st.LogDropped })
	gauge("systemuser_decision_log_queue_length", "Decisions waiting to be written to the decision log.",
		func(st pdp.Stats) int { return st.LogQueueLength })
	gauge("systemuser_decision_log_queue_capacity", "Size of the decision log's queue.",
		func(st pdp.Stats) int { return st.LogQueueCapacity })
	counter("systemuser_decision_log_permits_withheld_total", "Permits answered as Indeterminate because the decision log's queue stayed full.",
		func(st pdp.Stats) uint64 { return st.LogPermitsWithheld })
	counter("systemuser_decision_log_write_failures_total", "Failed writes of the decision log (each is retried).",
		func(st pdp.Stats) uint64 { return st.LogWriteFailures })
}
