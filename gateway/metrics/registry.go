// Package metrics is a small registry of counters, gauges and histograms
// written out in the Prometheus text exposition format (version 0.0.4).
//
// Recording is a few atomic operations and never takes a lock, so it can
// sit on the authorize hot path; registration and scraping take the
// registry's mutex. Label sets are fixed when a series is registered:
// callers resolve the series they need once and keep the pointer.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Labels are one series' label pairs, written in the order given.
type Labels []Label

// Label is one label pair.
type Label struct{ Name, Value string }

// Registry holds metric families. The zero value is not usable; use
// NewRegistry. Safe for concurrent use.
type Registry struct {
	mu       sync.Mutex
	families []*family
	byName   map[string]*family
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byName: make(map[string]*family)} }

type kind string

const (
	kindCounter   kind = "counter"
	kindGauge     kind = "gauge"
	kindHistogram kind = "histogram"
)

type family struct {
	name, help string
	kind       kind
	series     []*series
}

// series is one label set of a family; exactly one value source is set.
type series struct {
	labels string // rendered, e.g. `route="x",code_class="2xx"`, or ""
	intVal func() int64
	fltVal func() float64
	hist   *Histogram
}

var nameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
var labelRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// add registers one series. A mistake here (bad name, a family registered
// with another type, a duplicate label set) is a programming error found
// at start-up, so it panics rather than returning an error every caller
// would have to ignore.
func (r *Registry) add(name, help string, k kind, labels Labels, s *series) {
	if !nameRE.MatchString(name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", name))
	}
	for _, l := range labels {
		if !labelRE.MatchString(l.Name) || strings.HasPrefix(l.Name, "__") || (k == kindHistogram && l.Name == "le") {
			panic(fmt.Sprintf("metrics: invalid label name %q on %s", l.Name, name))
		}
	}
	s.labels = renderLabels(labels)
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.byName[name]
	if f == nil {
		f = &family{name: name, help: help, kind: k}
		r.byName[name] = f
		r.families = append(r.families, f)
	}
	if f.kind != k {
		panic(fmt.Sprintf("metrics: %s registered as %s and %s", name, f.kind, k))
	}
	if slices.ContainsFunc(f.series, func(o *series) bool { return o.labels == s.labels }) {
		panic(fmt.Sprintf("metrics: %s{%s} registered twice", name, s.labels))
	}
	f.series = append(f.series, s)
}

func renderLabels(labels Labels) string {
	var b strings.Builder
	for i, l := range labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name)
		b.WriteString(`="`)
		b.WriteString(escapeLabel(l.Value))
		b.WriteByte('"')
	}
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// Counter registers a counter series.
func (r *Registry) Counter(name, help string, labels ...Label) *Counter {
	c := &Counter{}
	r.add(name, help, kindCounter, labels, &series{intVal: func() int64 { return int64(c.v.Load()) }})
	return c
}

// CounterFunc registers a counter whose value f reads at scrape time (a
// count kept elsewhere, e.g. by another package's atomic).
func (r *Registry) CounterFunc(name, help string, f func() float64, labels ...Label) {
	r.add(name, help, kindCounter, labels, &series{fltVal: f})
}

// Gauge registers a gauge series.
func (r *Registry) Gauge(name, help string, labels ...Label) *Gauge {
	g := &Gauge{}
	r.add(name, help, kindGauge, labels, &series{intVal: g.v.Load})
	return g
}

// GaugeFunc registers a gauge whose value f reads at scrape time.
func (r *Registry) GaugeFunc(name, help string, f func() float64, labels ...Label) {
	r.add(name, help, kindGauge, labels, &series{fltVal: f})
}

// Histogram registers a histogram series with the given upper bounds
// (ascending; +Inf is implied).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...Label) *Histogram {
	h := newHistogram(buckets)
	r.add(name, help, kindHistogram, labels, &series{hist: h})
	return h
}

// WriteTo writes every family in the text exposition format, in
// registration order.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	fams := make([]family, len(r.families))
	for i, f := range r.families {
		fams[i] = *f
		fams[i].series = slices.Clone(f.series)
	}
	r.mu.Unlock()

	cw := &countingWriter{w: w}
	bw := bufio.NewWriter(cw)
	for i := range fams {
		writeFamily(bw, &fams[i])
	}
	err := bw.Flush()
	return cw.n, err
}

func writeFamily(w *bufio.Writer, f *family) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, helpEscaper.Replace(f.help), f.name, f.kind)
	for _, s := range f.series {
		switch {
		case s.hist != nil:
			s.hist.write(w, f.name, s.labels)
		case s.intVal != nil:
			writeSample(w, f.name, "", s.labels, "", strconv.FormatInt(s.intVal(), 10))
		default:
			writeSample(w, f.name, "", s.labels, "", formatFloat(s.fltVal()))
		}
	}
}

// writeSample writes name+suffix{labels,extra} value.
func writeSample(w *bufio.Writer, name, suffix, labels, extra, value string) {
	w.WriteString(name)
	w.WriteString(suffix)
	if labels != "" || extra != "" {
		w.WriteByte('{')
		w.WriteString(labels)
		if labels != "" && extra != "" {
			w.WriteByte(',')
		}
		w.WriteString(extra)
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(value)
	w.WriteByte('\n')
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// countingWriter counts what reaches the underlying writer for WriteTo's
// result.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ContentType is the text exposition format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves the registry's exposition.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = r.WriteTo(w)
	})
}
