package gateway

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/systemuser-gateway/systemuser/gateway/metrics"
	"github.com/systemuser-gateway/systemuser/pdp"
)

// httpMetrics instruments every request. A route's series are registered
// the first time the route is served and then found through a
// copy-on-write map, so a request costs a map read and a few atomic adds,
// never a lock.
type httpMetrics struct {
	reg      *metrics.Registry
	inFlight *metrics.Gauge
	mu       sync.Mutex // serialises adding routes
	routes   atomic.Pointer[map[string]*routeSeries]
	writers  sync.Pool
}

type routeSeries struct {
	byClass [5]*metrics.Counter // 1xx … 5xx
	latency *metrics.Histogram
}

// unmatchedRoute labels requests no pattern matched (404, 405): the raw
// path would let any client create series without bound.
const unmatchedRoute = "unmatched"

var codeClasses = [5]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

func newHTTPMetrics(reg *metrics.Registry) *httpMetrics {
	m := &httpMetrics{reg: reg}
	m.inFlight = reg.Gauge("systemuser_http_in_flight", "HTTP requests being served (open websockets included).")
	empty := map[string]*routeSeries{}
	m.routes.Store(&empty)
	m.writers.New = func() any { return new(statusWriter) }
	return m
}

func (m *httpMetrics) route(pattern string) *routeSeries {
	if pattern == "" || pattern == "/" { // "/" is the catch-all that answers 404 and 405
		pattern = unmatchedRoute
	}
	if rs := (*m.routes.Load())[pattern]; rs != nil {
		return rs
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.routes.Load()
	if rs := old[pattern]; rs != nil {
		return rs
	}
	rs := &routeSeries{}
	route := metrics.Label{Name: "route", Value: pattern}
	for i, class := range codeClasses {
		rs.byClass[i] = m.reg.Counter("systemuser_http_requests_total", "HTTP requests served, by route pattern and status class.",
			route, metrics.Label{Name: "code_class", Value: class})
	}
	rs.latency = m.reg.Histogram("systemuser_http_request_duration_seconds", "Time to serve HTTP requests, by route pattern.",
		metrics.DurationBuckets, route)
	next := make(map[string]*routeSeries, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[pattern] = rs
	m.routes.Store(&next)
	return rs
}

// instrument wraps the whole handler tree. It must sit outside the mux:
// the mux sets r.Pattern on the request it is given, which is this one.
func (m *httpMetrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Add(1)
		sw := m.writers.Get().(*statusWriter)
		sw.ResponseWriter, sw.status = w, 0
		defer func() {
			// Deferred so that a panic the recoverer re-raises
			// (http.ErrAbortHandler) is still counted and in-flight falls.
			status := sw.status
			sw.ResponseWriter = nil
			m.writers.Put(sw)
			m.inFlight.Add(-1)
			rs := m.route(r.Pattern)
			rs.byClass[classIndex(status)].Inc()
			rs.latency.ObserveDuration(time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

func classIndex(status int) int {
	switch {
	case status == 0: // nothing written: net/http sends 200
		return 1
	case status < 100 || status > 599:
		return 4
	}
	return status/100 - 1
}

// statusWriter remembers the status sent. It keeps the Flusher and
// Hijacker of the writer it wraps (websockets and streaming need them) and
// unwraps for http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	// 1xx other than 101 are interim responses; the final status follows.
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var _ interface {
	http.Flusher
	http.Hijacker
} = (*statusWriter)(nil)

// registerDeps adds the gauges and counters read from the gateway's
// dependencies at scrape time.
func (s *Server) registerDeps(reg *metrics.Registry) {
	reg.RegisterRuntime()
	if ev := s.deps.Events; ev != nil {
		reg.GaugeFunc("systemuser_listener_connected", "1 while the database change listener is connected, else 0.",
			func() float64 {
				if ev.Connected() {
					return 1
				}
				return 0
			})
	}
	e := s.deps.PDP
	if e == nil {
		return
	}
	const decisionsHelp = "Authorize decisions made (REST, XACML and GraphQL), by result."
	for _, r := range []struct {
		result pdp.Result
		get    func(pdp.Stats) uint64
	}{
		{pdp.Permit, func(st pdp.Stats) uint64 { return st.Permit }},
		{pdp.Deny, func(st pdp.Stats) uint64 { return st.Deny }},
		{pdp.NotApplicable, func(st pdp.Stats) uint64 { return st.NotApplicable }},
		{pdp.Indeterminate, func(st pdp.Stats) uint64 { return st.Indeterminate }},
	} {
		reg.CounterFunc("systemuser_authorize_decisions_total", decisionsHelp,
			func() float64 { return float64(r.get(e.Stats())) }, metrics.Label{Name: "result", Value: string(r.result)})
	}
	reg.CounterFunc("systemuser_pdp_cache_hits_total", "System users a decision found without reading the database.",
		func() float64 { return float64(e.Stats().CacheHits) })
	reg.CounterFunc("systemuser_pdp_cache_misses_total", "System users a decision read from the database.",
		func() float64 { return float64(e.Stats().CacheMisses) })
	reg.GaugeFunc("systemuser_decision_log_queue_length", "Decisions waiting to be written to the decision log.",
		func() float64 { return float64(e.Stats().LogQueueLength) })
	reg.CounterFunc("systemuser_decision_log_dropped_total", "Decisions the decision log never wrote.",
		func() float64 { return float64(e.Stats().LogDropped) })
	reg.GaugeFunc("systemuser_decision_log_queue_capacity", "Size of the decision log's queue.",
		func() float64 { return float64(e.Stats().LogQueueCapacity) })
	reg.CounterFunc("systemuser_decision_log_permits_withheld_total", "Permits answered as Indeterminate because the decision log's queue stayed full.",
		func() float64 { return float64(e.Stats().LogPermitsWithheld) })
	reg.CounterFunc("systemuser_decision_log_write_failures_total", "Failed writes of the decision log (each is retried).",
		func() float64 { return float64(e.Stats().LogWriteFailures) })
}
