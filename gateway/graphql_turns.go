package gateway

import (
	"net/http"
	"runtime"
	"sync/atomic"
)

// DefaultGraphQLTurnsPerCPU is how many GraphQL operations run at once over
// HTTP per GOMAXPROCS when GraphQLConfig.MaxConcurrent is zero: enough to
// keep the processors busy while some wait for Postgres (issue 14's nested
// read spends about as long waiting as computing).
const DefaultGraphQLTurnsPerCPU = 4

// graphqlTurns lets a bounded number of GraphQL operations run at once over
// HTTP, and the others wait their turn in the order they came. Run all at
// once, 64 operations share two processors with Go's scheduler, which
// favours the goroutine it woke last: measured with wrk at 64 connections,
// the nested read's p99 was 64 to 69 ms unbounded and 42 to 45 ms with four
// or eight at once, for the same throughput. A websocket is not an
// operation (it lives as long as its subscriptions) and never waits.
type graphqlTurns struct {
	slots            chan struct{} // a buffered channel's blocked senders are served in order
	running, waiting atomic.Int64
}

// newGraphQLTurns bounds operations to max at once: 0 takes
// DefaultGraphQLTurnsPerCPU per GOMAXPROCS, a negative max none.
func newGraphQLTurns(maxConcurrent int) *graphqlTurns {
	if maxConcurrent == 0 {
		maxConcurrent = DefaultGraphQLTurnsPerCPU * runtime.GOMAXPROCS(0)
	}
	t := &graphqlTurns{}
	if maxConcurrent > 0 {
		t.slots = make(chan struct{}, maxConcurrent)
	}
	return t
}

func (t *graphqlTurns) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t.slots == nil || r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		t.waiting.Add(1)
		select {
		case t.slots <- struct{}{}:
			t.waiting.Add(-1)
		case <-r.Context().Done():
			t.waiting.Add(-1)
			return // the client is gone: nothing to answer
		}
		t.running.Add(1)
		defer func() {
			t.running.Add(-1)
			<-t.slots
		}()
		next.ServeHTTP(w, r)
	})
}
