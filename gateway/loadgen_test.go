package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadTarget is one HTTP endpoint under load. body(i) is the i-th request's
// body; check rejects a wrong answer, so a fast failure cannot pass as
// throughput.
type loadTarget struct {
	name   string
	url    string
	header http.Header
	body   func(i int) []byte
	check  func(status int, body []byte) error
}

// loadResult is what one or more runs of a target measured.
type loadResult struct {
	name      string
	requests  int
	elapsed   time.Duration
	rps       float64
	p50, p99  time.Duration
	latencies []time.Duration // sorted
}

// merge adds another run of the same target: rps over the summed time,
// percentiles over all requests.
func (r loadResult) merge(o loadResult) loadResult {
	if r.requests == 0 {
		return o
	}
	all := slices.Concat(r.latencies, o.latencies)
	slices.Sort(all)
	return summarize(r.name, all, r.elapsed+o.elapsed)
}

func summarize(name string, sorted []time.Duration, elapsed time.Duration) loadResult {
	return loadResult{
		name: name, requests: len(sorted), elapsed: elapsed,
		rps: float64(len(sorted)) / elapsed.Seconds(),
		p50: sorted[len(sorted)/2], p99: sorted[len(sorted)*99/100], latencies: sorted,
	}
}

// runLoad sends up to requests POSTs to t over conns keep-alive connections
// (each worker one request at a time, as a pool of callers would), stopping
// early at limit. Latency is measured per request, from before the request
// is written until its body is read.
//
// This is a closed loop: each connection waits for its answer before
// sending again, so latency is about conns/throughput and a target with
// half the throughput shows about twice the latency at every percentile.
func runLoad(ctx context.Context, t loadTarget, conns, requests int, limit time.Duration) (loadResult, error) {
	return drive(ctx, t, conns, requests, limit, 0)
}

// runPaced is the open loop: request i is due at start + i/rate, whatever
// became of the earlier ones, and its latency counts from when it was due,
// so a stall is charged to every request it delays (no coordinated
// omission). At the same rate for every target, p99s compare tails rather
// than throughputs.
func runPaced(ctx context.Context, t loadTarget, conns int, rate float64, requests int, limit time.Duration) (loadResult, error) {
	return drive(ctx, t, conns, requests, limit, rate)
}

// drive is runLoad (rate 0) and runPaced.
func drive(ctx context.Context, t loadTarget, conns, requests int, limit time.Duration, rate float64) (loadResult, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()

	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		cancel()
	}
	lat := make([][]time.Duration, conns)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conns {
		wg.Go(func() {
			mine := make([]time.Duration, 0, requests/conns+1)
			var buf bytes.Buffer
			for {
				i := int(next.Add(1)) - 1
				if i >= requests || ctx.Err() != nil {
					break
				}
				var due time.Time
				if rate > 0 {
					due = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					if wait := time.Until(due); wait > 0 {
						pace := time.NewTimer(wait) // pacing the schedule, not waiting for an event
						select {
						case <-pace.C:
						case <-ctx.Done():
							pace.Stop()
						}
						if ctx.Err() != nil {
							break
						}
					}
				}
				body := t.body(i)
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
				if err != nil {
					fail(err)
					break
				}
				req.Header = t.header.Clone()
				t0 := time.Now()
				if rate > 0 {
					t0 = due
				}
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						fail(fmt.Errorf("%s: %w", t.name, err))
					}
					break
				}
				buf.Reset()
				_, err = buf.ReadFrom(resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if err != nil {
					if ctx.Err() == nil {
						fail(fmt.Errorf("%s: read: %w", t.name, err))
					}
					break
				}
				if err := t.check(resp.StatusCode, buf.Bytes()); err != nil {
					fail(fmt.Errorf("%s: request %d: %w", t.name, i, err))
					break
				}
				mine = append(mine, d)
			}
			lat[w] = mine
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return loadResult{}, firstErr
	}
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return loadResult{}, errors.New(t.name + ": no request completed")
	}
	slices.Sort(all)
	return summarize(t.name, all, elapsed), nil
}
