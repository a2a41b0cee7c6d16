package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

// BenchmarkNestedRead is issue 14's nested read (issue14NestedRead: two
// systems, ten system users each) through the gateway's whole handler
// in-process, with the catalog served from memory: what one request costs
// the gateway without the HTTP transport (make bench-http measures that).
// cpu-ns/op is the process's CPU time per request (user and system, every
// goroutine and the GC): on a loaded two-core machine wall time per op
// mostly measures the scheduler, CPU time what a request costs.
func BenchmarkNestedRead(b *testing.B) {
	env := newAuthzEnv(b, gatewaytest.WithCatalogCache())
	tg := env.nestedReadWorld(b)
	if err := tg.check(env.ge.Client); err != nil {
		b.Fatal(err)
	}
	// Eight requests in flight keep both cores busy, as under load: CPU
	// time per request then excludes the scheduler's spinning while one
	// request waits for PostgreSQL.
	newServe := func() func() *recordingWriter {
		rd := bytes.NewReader(tg.body)
		req := httptest.NewRequest(http.MethodPost, "/graphql", io.NopCloser(rd))
		req.Header.Set("Authorization", tg.bearer)
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = int64(len(tg.body))
		w := &recordingWriter{h: http.Header{}}
		return func() *recordingWriter {
			rd.Reset(tg.body)
			w.reset()
			r := *req
			env.ge.Gateway.ServeHTTP(w, &r)
			return w
		}
	}
	if w := newServe()(); (w.status != 0 && w.status != http.StatusOK) || !bytes.Contains(w.body, []byte(tg.want)) {
		b.Fatalf("nested read: %d %s", w.status, w.body)
	}
	b.ReportAllocs()
	b.SetParallelism(4)
	var ops atomic.Int64
	cpu0 := processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		serve := newServe()
		for pb.Next() {
			if w := serve(); w.status != 0 && w.status != http.StatusOK {
				b.Errorf("nested read: %d %s", w.status, w.body)
				return
			}
			if ops.Add(1)%1000 == 0 {
				env.counter.Reset() // the harness's statement log, not the gateway's memory
			}
		}
	})
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(ops.Load()), "cpu-ns/op")
}

// processCPU is the user and system CPU time this process has used.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
