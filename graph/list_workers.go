package graph

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/systemuser-gateway/systemuser/dataloaders"
)

// ListWorkers runs the list elements and object fields that cannot wait in
// line (see runInTurns) on goroutines that outlive one of them.
//
// gqlgen marshals every element of a list on a goroutine of its own, so that
// the elements' dataloader loads meet in one batch. A new goroutine starts
// with a small stack and grows it by copying, several times on the way down
// a nested selection: that copying was about a sixth of a nested read's CPU
// (issue 14). A worker that has run one element already has the stack the
// next one needs.
//
// An element handed to the workers runs at once: on an idle worker if one
// is waiting, else on a new goroutine that becomes a worker when it is done.
// Nothing ever queues, so an element that waits for another (a nested list)
// cannot wait for a worker.
type ListWorkers struct {
	handoff chan func()
	parked  atomic.Int64
	max     int64
	idle    time.Duration
}

// Defaults of NewListWorkers: a worker holds at most its stack (a few KiB)
// while parked, and leaves after a quiet spell.
const (
	DefaultMaxParkedWorkers = 1024
	DefaultWorkerIdle       = 10 * time.Second
)

// NewListWorkers keeps at most maxParked idle workers, each for at most idle.
func NewListWorkers(maxParked int, idle time.Duration) *ListWorkers {
	return &ListWorkers{handoff: make(chan func()), max: int64(maxParked), idle: idle}
}

// Go runs f on an idle worker, or on a new goroutine when none is idle (or
// w is nil).
func (w *ListWorkers) Go(f func()) {
	if w == nil {
		go f()
		return
	}
	select {
	case w.handoff <- f:
	default:
		go w.work(f)
	}
}

func (w *ListWorkers) work(f func()) {
	var quiet *time.Timer
	for {
		f()
		if w.parked.Add(1) > w.max {
			w.parked.Add(-1)
			return
		}
		if quiet == nil {
			quiet = time.NewTimer(w.idle)
		} else {
			quiet.Reset(w.idle)
		}
		select {
		case f = <-w.handoff:
			w.parked.Add(-1)
			quiet.Stop()
		case <-quiet.C:
			w.parked.Add(-1)
			return
		}
	}
}

// Parked is how many workers are idle now.
func (w *ListWorkers) Parked() int { return int(w.parked.Load()) }

// listWorkerSource is a ResolverRoot that brings its ListWorkers.
type listWorkerSource interface {
	ListWorkers() *ListWorkers
}

// workersOf is the resolver root's ListWorkers, or nil.
func (ec *executionContext) workersOf() *ListWorkers {
	if src, ok := ec.Resolvers.(listWorkerSource); ok {
		return src.ListWorkers()
	}
	return nil
}

// marshalSlice is graphql.MarshalSliceConcurrently (graphgen rewrites the
// executor's calls to it) with the same contract: every element gets a
// FieldContext with its index, and one that panics is recovered into an
// error and a Null unless omitPanicHandler. It differs in where elements
// run: in turn (see runInTurns), so a list whose elements load nothing, or only
// what the catalog and the lookahead hold, costs no goroutine at all.
// Without workers, or with gqlgen's worker limit, it is gqlgen's own.
func (ec *executionContext) marshalSlice(ctx context.Context, length int, workerLimit int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	workers := ec.workersOf()
	if length < 2 || workerLimit > 0 || workers == nil {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	ret := make(graphql.Array, length)
	runInTurns(ctx, workers, length, func(ctx context.Context, i int) {
		ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		if !omitPanicHandler {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(ctx, graphql.Recover(ctx, r))
					ret[i] = graphql.Null
				}
			}()
		}
		ret[i] = marshalElement(ctx, i)
	})
	return ret
}

// runInTurns runs job(ctx, 0) … job(ctx, n-1) and returns when all are
// done. They run one after another in the caller's goroutine, until one is
// about to wait for a dataloader batch (dataloaders.BeforeWait): then the
// jobs not yet started go to workers, each on a goroutine of its own as
// gqlgen runs them, so their loads meet the waiting one in its batch.
func runInTurns(ctx context.Context, workers *ListWorkers, n int, job func(ctx context.Context, k int)) {
	t := &turns{ctx: ctx, workers: workers, n: n, job: job, outer: dataloaders.WaitHook(ctx)}
	hook := dataloaders.WithWaitHook(ctx, t.spread)
	for {
		k, ok := t.claim()
		if !ok {
			break
		}
		job(hook, k)
	}
	t.wg.Wait()
}

// turns is one runInTurns.
type turns struct {
	ctx     context.Context
	workers *ListWorkers
	n       int
	job     func(ctx context.Context, k int)
	outer   func() // the enclosing run's hook: its job runs in this goroutine

	mu        sync.Mutex
	next      int  // the first job not yet claimed
	handedOff bool // the rest went to workers
	wg        sync.WaitGroup
}

// claim takes the next job for the caller's goroutine.
func (t *turns) claim() (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.next >= t.n {
		return 0, false
	}
	t.next++
	return t.next - 1, true
}

// spread is the wait hook of the jobs the caller's goroutine runs: that
// goroutine is about to wait, so the jobs after it start now, each on a
// worker. It does so once; the caller's goroutine waits for them after its
// job. The enclosing run's job is waiting too (it runs in the same
// goroutine), so its hook is called as well.
func (t *turns) spread() {
	t.mu.Lock()
	if t.handedOff {
		t.mu.Unlock()
		return
	}
	t.handedOff = true
	from := t.next
	t.next = t.n
	t.wg.Add(t.n - from)
	t.mu.Unlock()
	// The workers' jobs wait on their own: their hook is nobody's.
	alone := dataloaders.WithWaitHook(t.ctx, nil)
	for k := from; k < t.n; k++ {
		t.workers.Go(func() {
			defer t.wg.Done()
			t.job(alone, k)
		})
	}
	if t.outer != nil {
		t.outer()
	}
}
