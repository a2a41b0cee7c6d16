package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// turnsWorld serves graphqlTurns in front of a handler that holds every
// request until released, counting how many it holds at once.
type turnsWorld struct {
	turns             *graphqlTurns
	srv               *httptest.Server
	started           chan string
	release           chan struct{}
	inside, maxInside atomic.Int64
}

func newTurnsWorld(t *testing.T, maxConcurrent int, maxWait time.Duration) *turnsWorld {
	t.Helper()
	w := &turnsWorld{turns: newGraphQLTurns(maxConcurrent, maxWait), started: make(chan string, 100), release: make(chan struct{})}
	w.srv = httptest.NewServer(w.turns.handler(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		n := w.inside.Add(1)
		for m := w.maxInside.Load(); n > m && !w.maxInside.CompareAndSwap(m, n); m = w.maxInside.Load() {
		}
		w.started <- r.URL.Query().Get("n")
		<-w.release
		w.inside.Add(-1)
	})))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *turnsWorld) get(ctx context.Context, n string, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.srv.URL+"/graphql?n="+n, nil)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := w.srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// until spins until cond holds: the turnstile's counters are what a test
// can observe of a request parked on it.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10 s: %s", what)
		}
	}
}

func TestGraphQLTurnsBoundWhatRunsAtOnce(t *testing.T) {
	t.Parallel()
	w := newTurnsWorld(t, 2, time.Hour)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			if err := w.get(context.Background(), string(rune('a'+i)), nil); err != nil {
				t.Error(err)
			}
		})
	}
	<-w.started
	<-w.started
	until(t, "three waiting", func() bool { return w.turns.waiting.Load() == 3 })
	if got := w.turns.running.Load(); got != 2 {
		t.Fatalf("%d running, want 2", got)
	}
	close(w.release) // each that ends lets one more in
	for range 3 {
		<-w.started
	}
	wg.Wait()
	if got := w.maxInside.Load(); got != 2 {
		t.Fatalf("%d ran at once, want 2", got)
	}
	if r, q := w.turns.running.Load(), w.turns.waiting.Load(); r != 0 || q != 0 {
		t.Fatalf("%d running and %d waiting after all ended", r, q)
	}
}

func TestGraphQLTurnsLetAGoneClientLeave(t *testing.T) {
	t.Parallel()
	w := newTurnsWorld(t, 1, time.Hour)
	held := make(chan error, 1)
	go func() { held <- w.get(context.Background(), "held", nil) }()
	<-w.started
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan error, 1)
	go func() { gone <- w.get(ctx, "gone", nil) }()
	until(t, "one waiting", func() bool { return w.turns.waiting.Load() == 1 })
	cancel()
	if err := <-gone; err == nil {
		t.Fatal("the cancelled request was answered")
	}
	until(t, "none waiting", func() bool { return w.turns.waiting.Load() == 0 })
	close(w.release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if got := w.maxInside.Load(); got != 1 || len(w.started) != 0 {
		t.Fatalf("%d ran at once, %d more started: the gone client's request ran", got, len(w.started))
	}
}

// A websocket, an unbounded gateway, and an operation that waited its
// longest all run while another holds the only turn.
func TestGraphQLTurnsLetSomeRunAnyway(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		maxConcurrent int
		maxWait       time.Duration
		header        http.Header
		unturned      uint64
	}{
		{"a websocket upgrade", 1, time.Hour, http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}, 0},
		{"no bound", -1, time.Hour, nil, 0},
		{"a wait past its longest", 1, time.Millisecond, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newTurnsWorld(t, tc.maxConcurrent, tc.maxWait)
			errs := make(chan error, 2)
			go func() { errs <- w.get(context.Background(), "first", nil) }()
			<-w.started
			go func() { errs <- w.get(context.Background(), "second", tc.header) }()
			if n := <-w.started; n != "second" {
				t.Fatalf("started %q", n)
			}
			close(w.release)
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if got := w.turns.unturned.Load(); got != tc.unturned {
				t.Fatalf("%d ran without a turn, want %d", got, tc.unturned)
			}
		})
	}
}

func TestGraphQLTurnsDefaults(t *testing.T) {
	t.Parallel()
	d := newGraphQLTurns(0, 0)
	if got, want := cap(d.slots), DefaultGraphQLTurnsPerCPU*runtime.GOMAXPROCS(0); got != want || d.maxWait != DefaultGraphQLTurnWait {
		t.Fatalf("%d at once, waiting %v by default, want %d and %v", got, d.maxWait, want, DefaultGraphQLTurnWait)
	}
	if newGraphQLTurns(-1, 0).slots != nil {
		t.Fatal("a negative bound bounds")
	}
}
