package graph

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/systemuser-gateway/systemuser/dataloaders"
)

// ListWorkers runs the list elements that cannot wait in line (see
// marshalSlice) on goroutines that outlive one element.
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

// Go runs f on an idle worker, or on a new goroutine when none is idle.
func (w *ListWorkers) Go(f func()) {
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

// marshalSlice is graphql.MarshalSliceConcurrently (graphgen rewrites the
// executor's calls to it) with the same contract: every element gets a
// FieldContext with its index, and one that panics is recovered into an
// error and a Null unless omitPanicHandler. It differs in where elements
// run: one after another in the caller's goroutine, until one of them is
// about to wait for a dataloader batch (dataloaders.BeforeWait). Then the
// elements not yet started go to the resolver root's ListWorkers, each on a
// goroutine of its own as gqlgen runs them, so their loads meet the waiting
// one in its batch. A list whose elements load nothing, or only what the
// catalog and the lookahead hold, costs no goroutine at all. Without
// workers, or with gqlgen's worker limit, it is gqlgen's own.
func (ec *executionContext) marshalSlice(ctx context.Context, length int, workerLimit int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	src, ok := ec.Resolvers.(listWorkerSource)
	if !ok || length < 2 || workerLimit > 0 || src.ListWorkers() == nil {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	l := &listRun{
		ctx: ctx, workers: src.ListWorkers(), n: length, ret: make(graphql.Array, length),
		omitPanicHandler: omitPanicHandler, marshalElement: marshalElement,
		outer: dataloaders.WaitHook(ctx),
	}
	hook := dataloaders.WithWaitHook(ctx, l.spread)
	for {
		i, ok := l.claim()
		if !ok {
			break
		}
		l.run(hook, i)
	}
	l.wg.Wait()
	return l.ret
}

// listRun is one list being marshalled.
type listRun struct {
	ctx              context.Context
	workers          *ListWorkers
	n                int
	ret              graphql.Array
	omitPanicHandler bool
	marshalElement   func(ctx context.Context, i int) graphql.Marshaler
	outer            func() // the enclosing list's hook: its element runs in this goroutine

	mu        sync.Mutex
	next      int  // the first element not yet claimed
	handedOff bool // the rest went to workers
	wg        sync.WaitGroup
}

// claim takes the next element for the caller's goroutine.
func (l *listRun) claim() (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next >= l.n {
		return 0, false
	}
	l.next++
	return l.next - 1, true
}

// spread is the wait hook of the elements the caller's goroutine runs: that
// goroutine is about to wait, so the elements after it start now, each on a
// worker. It does so once; the caller's goroutine waits for them after its
// element. The enclosing list's element is waiting too (it runs in the same
// goroutine), so its hook is called as well.
func (l *listRun) spread() {
	l.mu.Lock()
	if l.handedOff {
		l.mu.Unlock()
		return
	}
	l.handedOff = true
	from := l.next
	l.next = l.n
	l.wg.Add(l.n - from)
	l.mu.Unlock()
	// The workers' elements wait on their own: their hook is nobody's.
	alone := dataloaders.WithWaitHook(l.ctx, nil)
	for i := from; i < l.n; i++ {
		l.workers.Go(func() {
			defer l.wg.Done()
			l.run(alone, i)
		})
	}
	if l.outer != nil {
		l.outer()
	}
}

func (l *listRun) run(ctx context.Context, i int) {
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
	if !l.omitPanicHandler {
		defer func() {
			if r := recover(); r != nil {
				graphql.AddError(ctx, graphql.Recover(ctx, r))
				l.ret[i] = graphql.Null
			}
		}()
	}
	l.ret[i] = l.marshalElement(ctx, i)
}
