package gateway

import (
	"net/http"
	"runtime"
	"sync/atomic"
	"time"
)

// DefaultGraphQLTurnsPerCPU is how many GraphQL operations run at once over
// HTTP per GOMAXPROCS when GraphQLConfig.MaxConcurrent is zero: enough to
// keep the processors busy while some wait for Postgres (issue 14's nested
// read spends about as long waiting as computing).
const DefaultGraphQLTurnsPerCPU = 4

// DefaultGraphQLTurnWait is how long an operation waits for its turn before
// it runs anyway, when GraphQLConfig.TurnWait is zero. At 64 connections an
// operation waits about 20 ms; the bound is for when the running ones are
// stuck (a database that stopped answering holds each for its timeout),
// where the operations that need no database (an authorize answered from
// the cache) must not wait behind them.
const DefaultGraphQLTurnWait = 100 * time.Millisecond

// graphqlTurns lets a bounded number of GraphQL operations run at once over
// HTTP, and the others wait their turn in the order they came. Run all at
// once, 64 operations share two processors with Go's scheduler, which
// favours the goroutine it woke last: measured with wrk at 64 connections,
// the nested read's p99 was 64 to 69 ms unbounded and 42 to 45 ms with four
// or eight at once, for the same throughput. A websocket is not an
// operation (it lives as long as its subscriptions) and never waits. An
// operation that has waited maxWait runs without a turn: the bound is for
// the processors, and must not make every operation wait behind a few
// that are stuck.
type graphqlTurns struct {
	slots            chan struct{} // a buffered channel's blocked senders are served in order
	maxWait          time.Duration
	running, waiting atomic.Int64
	unturned         atomic.Uint64 // operations that ran without a turn
}

// newGraphQLTurns bounds operations to maxConcurrent at once (0 takes
// DefaultGraphQLTurnsPerCPU per GOMAXPROCS, a negative value none), each
// waiting at most maxWait (0 takes DefaultGraphQLTurnWait).
func newGraphQLTurns(maxConcurrent int, maxWait time.Duration) *graphqlTurns {
	if maxConcurrent == 0 {
		maxConcurrent = DefaultGraphQLTurnsPerCPU * runtime.GOMAXPROCS(0)
	}
	if maxWait <= 0 {
		maxWait = DefaultGraphQLTurnWait
	}
	t := &graphqlTurns{maxWait: maxWait}
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
		turn, ok := t.take(r)
		if !ok {
			return // the client is gone: nothing to answer
		}
		if turn {
			defer t.give()
		}
		next.ServeHTTP(w, r)
	})
}

// take waits for a turn; turn is false when maxWait passed first, and ok
// false when the client went away.
func (t *graphqlTurns) take(r *http.Request) (turn, ok bool) {
	select {
	case t.slots <- struct{}{}:
		t.running.Add(1)
		return true, true
	default:
	}
	t.waiting.Add(1)
	defer t.waiting.Add(-1)
	timer := time.NewTimer(t.maxWait)
	defer timer.Stop()
	select {
	case t.slots <- struct{}{}:
		t.running.Add(1)
		return true, true
	case <-timer.C:
		t.unturned.Add(1)
		return false, true
	case <-r.Context().Done():
		return false, false
	}
}

func (t *graphqlTurns) give() {
	t.running.Add(-1)
	<-t.slots
}
