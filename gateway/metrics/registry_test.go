package metrics_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/systemuser-gateway/systemuser/gateway/metrics"
)

func mustParse(tb testing.TB, reg *metrics.Registry) metrics.Samples {
	tb.Helper()
	var b bytes.Buffer
	if _, err := reg.WriteTo(&b); err != nil {
		tb.Fatal(err)
	}
	s, err := metrics.Parse(&b)
	if err != nil {
		tb.Fatalf("%v\n%s", err, b.String())
	}
	return s
}

func TestExposition(t *testing.T) {
	t.Parallel()
	reg := metrics.NewRegistry()
	a := reg.Counter("req_total", "Requests.", metrics.Label{Name: "route", Value: `GET /a/{id}`})
	b := reg.Counter("req_total", "Requests.", metrics.Label{Name: "route", Value: "quote\" back\\slash\nline"})
	g := reg.Gauge("in_flight", "In flight.\nsecond line")
	reg.GaugeFunc("ratio", "A float.", func() float64 { return 0.25 })
	reg.CounterFunc("external_total", "Kept elsewhere.", func() float64 { return 7 })
	h := reg.Histogram("lat_seconds", "Latency.", []float64{0.1, 1}, metrics.Label{Name: "route", Value: "x"})
	h2 := reg.Histogram("lat_seconds", "Latency.", []float64{0.1, 1}, metrics.Label{Name: "route", Value: "y"})
	reg.RegisterRuntime()

	a.Inc()
	a.Add(2)
	b.Inc()
	g.Add(5)
	g.Add(-2)
	for _, v := range []float64{0.05, 0.1, 0.5, 3} {
		h.Observe(v)
	}
	h2.Observe(0.5)

	s := mustParse(t, reg)
	want := map[string]float64{
		`req_total{route="GET /a/{id}"}`:               3,
		`req_total{route="quote\" back\\slash\nline"}`: 1,
		`in_flight`:                               3,
		`ratio`:                                   0.25,
		`external_total`:                          7,
		`lat_seconds_bucket{route="x",le="0.1"}`:  2,
		`lat_seconds_bucket{route="x",le="1"}`:    3,
		`lat_seconds_bucket{route="x",le="+Inf"}`: 4,
		`lat_seconds_count{route="x"}`:            4,
		`lat_seconds_sum{route="x"}`:              3.65,
		`lat_seconds_bucket{route="y",le="1"}`:    1,
	}
	for k, v := range want {
		if got, ok := s[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if s["go_goroutines"] < 1 {
		t.Errorf("go_goroutines = %v", s["go_goroutines"])
	}
	if v, ok := s["process_resident_memory_bytes"]; ok && v <= 0 {
		t.Errorf("process_resident_memory_bytes = %v", v)
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for name, text := range map[string]string{
		"NoType":        "x_total 1\n",
		"BadValue":      "# TYPE x counter\nx 1x\n",
		"BadLabel":      "# TYPE x counter\nx{a=b} 1\n",
		"UnescapedQ":    "# TYPE x counter\nx{a=\"b\"c\"} 1\n",
		"NegCounter":    "# TYPE x counter\nx -1\n",
		"Split":         "# TYPE x counter\n# TYPE y counter\nx 1\n",
		"NotCumulative": "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
		"CountMismatch": "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",
		"Duplicate":     "# TYPE x gauge\nx 1\nx 2\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := metrics.Parse(strings.NewReader(text)); err == nil {
				t.Errorf("Parse(%q) succeeded", text)
			}
		})
	}
}

func TestRegisterMistakesPanic(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(*metrics.Registry){
		"BadName":   func(r *metrics.Registry) { r.Counter("bad-name", "") },
		"BadLabel":  func(r *metrics.Registry) { r.Counter("x", "", metrics.Label{Name: "a-b"}) },
		"TypeClash": func(r *metrics.Registry) { r.Counter("x", ""); r.Gauge("x", "") },
		"Duplicate": func(r *metrics.Registry) { r.Counter("x", ""); r.Counter("x", "") },
		"LeOnHist":  func(r *metrics.Registry) { r.Histogram("h", "", []float64{1}, metrics.Label{Name: "le", Value: "1"}) },
		"Unsorted":  func(r *metrics.Registry) { r.Histogram("h", "", []float64{2, 1}) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f(metrics.NewRegistry())
		})
	}
}

// TestConcurrent records from many goroutines while scraping; -race
// checks the rest, and the totals must be exact.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	reg := metrics.NewRegistry()
	c := reg.Counter("c_total", "")
	g := reg.Gauge("g", "")
	h := reg.Histogram("h", "", []float64{1, 2})
	const workers, each = 8, 2000
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range each {
				c.Inc()
				g.Add(1)
				h.Observe(float64(i % 3))
				g.Add(-1)
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			mustParse(t, reg)
		}
	})
	wg.Wait()
	s := mustParse(t, reg)
	if s["c_total"] != workers*each || s["g"] != 0 || s["h_count"] != workers*each {
		t.Errorf("c_total=%v g=%v h_count=%v", s["c_total"], s["g"], s["h_count"])
	}
	// i%3 over 0..1999 sums to 1999 per worker (667 zeros, 667 ones, 666 twos).
	if want := float64(workers * (667 + 2*666)); s["h_sum"] != want {
		t.Errorf("h_sum = %v, want %v", s["h_sum"], want)
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	reg := metrics.NewRegistry()
	reg.Counter("x_total", "").Inc()
	rec := httptest.NewRecorder()
	reg.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); ct != metrics.ContentType {
		t.Errorf("Content-Type = %q", ct)
	}
	if !strings.Contains(rec.Body.String(), "\nx_total 1\n") {
		t.Errorf("body = %q", rec.Body.String())
	}
}

func BenchmarkRecord(b *testing.B) {
	reg := metrics.NewRegistry()
	c := reg.Counter("c_total", "")
	h := reg.Histogram("h", "", metrics.DurationBuckets)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Inc()
			h.Observe(0.003)
		}
	})
}
