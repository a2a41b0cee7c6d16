// Package metrics is the Prometheus side of the gateway and the simulator:
// a registry with the client library's Go, process and build-info
// collectors, its promhttp handler (OpenMetrics when the scraper asks for
// it), and HTTP instrumentation labelled by code, method and the matched
// ServeMux pattern.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry is a registry with the standard collectors every Go service
// exports: go_* (GC, memory, goroutines, go_info), process_* (CPU seconds,
// resident memory, open fds, start time) and go_build_info.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	return reg
}

// Handler serves reg. OpenMetrics is negotiated from the Accept header;
// a failing collector is reported in the answer rather than failing it.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		EnableOpenMetrics: true,
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          reg, // promhttp_metric_handler_errors_total
	})
}

// DurationBuckets suit request latencies from 100µs to 10s, in seconds.
var DurationBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}
