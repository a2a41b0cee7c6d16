package metrics

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTP instruments a handler tree with
//
//	<ns>_http_requests_total{code,method,route}
//	<ns>_http_request_duration_seconds{code,method,route}
//	<ns>_http_in_flight
//
// code and method as promhttp labels them ("200", "get"); route is the
// ServeMux pattern that matched ("POST /authorization/api/v1/authorize"),
// "unmatched" for 404/405 answers, never the raw path, so no client can
// create series. Each (code, method, route) is bound once, on its first
// request, with WithLabelValues; afterwards a request costs a map read
// (copy-on-write, no lock) and atomic adds, and allocates nothing.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	mu       sync.Mutex // serialises binding new series
	series   atomic.Pointer[map[seriesKey]*series]
	writers  sync.Pool
}

type seriesKey struct {
	route, method string
	code          int
}

type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// Unmatched is the route of requests no pattern matched.
const Unmatched = "unmatched"

// NewHTTP registers the HTTP families under namespace (e.g. "systemuser").
func NewHTTP(reg prometheus.Registerer, namespace string) *HTTP {
	m := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests served, by status code, method and route pattern."}, []string{"code", "method", "route"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "http_request_duration_seconds",
			Help: "Time to serve HTTP requests, by status code, method and route pattern.", Buckets: DurationBuckets},
			[]string{"code", "method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "http_in_flight",
			Help: "HTTP requests being served (open websockets included)."}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight)
	empty := map[seriesKey]*series{}
	m.series.Store(&empty)
	m.writers.New = func() any { return new(responseWriter) }
	return m
}

// Bind creates the series of (code, method, route) now rather than on the
// first such request, so they are exported as 0 from the start.
func (m *HTTP) Bind(code int, method, route string) {
	m.bind(seriesKey{route, methodLabel(method), code})
}

func (m *HTTP) bind(k seriesKey) *series {
	if s := (*m.series.Load())[k]; s != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.series.Load()
	if s := old[k]; s != nil {
		return s
	}
	code := strconv.Itoa(k.code)
	s := &series{
		requests: m.requests.WithLabelValues(code, k.method, k.route),
		duration: m.duration.WithLabelValues(code, k.method, k.route),
	}
	next := make(map[seriesKey]*series, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[k] = s
	m.series.Store(&next)
	return s
}

// Handler wraps the whole handler tree. It must sit outside the ServeMux:
// the mux sets r.Pattern on the request it is given, which is this one.
// A sub-handler mounted on a prefix reports its own, finer pattern with
// Routed.
func (m *HTTP) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Inc()
		rw := m.writers.Get().(*responseWriter)
		rw.ResponseWriter, rw.status, rw.route = w, 0, ""
		defer func() {
			// Deferred so that a panic the recoverer re-raises
			// (http.ErrAbortHandler) is still counted and in-flight falls.
			route := rw.route
			if route == "" {
				route = r.Pattern
			}
			if route == "" || route == "/" { // "/" is the catch-all that answers 404 and 405
				route = Unmatched
			}
			status := rw.status
			if status == 0 { // nothing written: net/http sends 200
				status = http.StatusOK
			}
			rw.ResponseWriter = nil
			m.writers.Put(rw)
			m.inFlight.Dec()
			s := m.bind(seriesKey{route, methodLabel(r.Method), status})
			s.requests.Inc()
			s.duration.Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(rw, r)
	})
}

// RecordRoute labels the request being served on w with route, a finer
// pattern than the one Handler sees: that of a sub-handler's own ServeMux
// mounted on a prefix (a middleware between the two muxes may have copied
// the request, hiding the sub-mux's pattern from Handler). Without Handler
// around w it does nothing.
func RecordRoute(w http.ResponseWriter, route string) {
	if rr, ok := w.(routeRecorder); ok && route != "" {
		rr.recordRoute(route)
	}
}

type routeRecorder interface{ recordRoute(string) }

// methodLabel bounds the method label to the standard methods, lower case
// as promhttp writes them; anything else is "other".
func methodLabel(m string) string {
	switch m {
	case http.MethodGet:
		return "get"
	case http.MethodPost:
		return "post"
	case http.MethodPut:
		return "put"
	case http.MethodDelete:
		return "delete"
	case http.MethodPatch:
		return "patch"
	case http.MethodHead:
		return "head"
	case http.MethodOptions:
		return "options"
	case http.MethodConnect:
		return "connect"
	case http.MethodTrace:
		return "trace"
	}
	return "other"
}

// responseWriter remembers the status sent and the route a sub-mux
// recorded. It keeps the Flusher and Hijacker of the writer it wraps
// (websockets and streaming need them) and unwraps for
// http.ResponseController.
type responseWriter struct {
	http.ResponseWriter
	status int
	route  string
}

func (w *responseWriter) recordRoute(p string) { w.route = p }

func (w *responseWriter) WriteHeader(code int) {
	// 1xx other than 101 are interim responses; the final status follows.
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var _ interface {
	http.Flusher
	http.Hijacker
} = (*responseWriter)(nil)
