package metrics

import (
	"bufio"
	"math"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// Counter only goes up. Safe for concurrent use.
type Counter struct{ v atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Value is the current count.
func (c *Counter) Value() uint64 { return c.v.Load() }

// Gauge goes up and down. Safe for concurrent use.
type Gauge struct{ v atomic.Int64 }

// Add adds n (negative to subtract).
func (g *Gauge) Add(n int64) { g.v.Add(n) }

// Set replaces the value.
func (g *Gauge) Set(n int64) { g.v.Store(n) }

// Value is the current value.
func (g *Gauge) Value() int64 { return g.v.Load() }

// Histogram counts observations into fixed buckets. Safe for concurrent
// use; an observation is two atomic adds plus a compare-and-swap for the
// sum. A scrape racing observations may see a sum and counts from slightly
// different moments, which Prometheus tolerates.
type Histogram struct {
	upper  []float64       // ascending upper bounds, without +Inf
	counts []atomic.Uint64 // per bucket, not cumulative; last is +Inf
	sum    atomic.Uint64   // float64 bits
}

// DurationBuckets suit HTTP latencies from 100µs to 10s, in seconds.
var DurationBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}

func newHistogram(buckets []float64) *Histogram {
	upper := slices.Clone(buckets)
	if !slices.IsSorted(upper) || slices.ContainsFunc(upper, func(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }) {
		panic("metrics: histogram buckets must be finite and ascending")
	}
	upper = slices.Compact(upper)
	return &Histogram{upper: upper, counts: make([]atomic.Uint64, len(upper)+1)}
}

// Observe records v.
func (h *Histogram) Observe(v float64) {
	// Few buckets: a linear scan beats a binary search's branches.
	i := 0
	for i < len(h.upper) && v > h.upper[i] {
		i++
	}
	h.counts[i].Add(1)
	for {
		old := h.sum.Load()
		if h.sum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// ObserveDuration records d in seconds.
func (h *Histogram) ObserveDuration(d time.Duration) { h.Observe(d.Seconds()) }

// Count is the number of observations.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

func (h *Histogram) write(w *bufio.Writer, name, labels string) {
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		le := "+Inf"
		if i < len(h.upper) {
			le = formatFloat(h.upper[i])
		}
		writeSample(w, name, "_bucket", labels, `le="`+le+`"`, strconv.FormatUint(cum, 10))
	}
	writeSample(w, name, "_sum", labels, "", formatFloat(math.Float64frombits(h.sum.Load())))
	writeSample(w, name, "_count", labels, "", strconv.FormatUint(cum, 10))
}
