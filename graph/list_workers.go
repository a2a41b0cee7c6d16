package graph

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// ListWorkers runs the elements of the lists the executor marshals on
// goroutines that outlive one element.
//
// gqlgen marshals every element of a list on a goroutine of its own, so that
// the elements' dataloader loads meet in one batch. A new goroutine starts
// with a small stack and grows it by copying, several times on the way down
// a nested selection: that copying was about a sixth of a nested read's CPU
// (issue 14). A worker that has run one element already has the stack the
// next one needs.
//
// The concurrency is gqlgen's: every element still runs at once with the
// others, on an idle worker if one is waiting, else on a new goroutine that
// becomes a worker when it is done. Nothing ever queues, so an element that
// waits for another (a nested list) cannot wait for a worker.
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

// marshalSlice is graphql.MarshalSliceConcurrently on the resolver root's
// ListWorkers (graphgen rewrites the executor's calls to it), with the same
// contract: every element gets a FieldContext with its index and runs at
// once with the others, and one that panics is recovered into an error and
// a Null unless omitPanicHandler. Without workers, or for fewer than two
// elements, it is gqlgen's own.
func (ec *executionContext) marshalSlice(ctx context.Context, length int, workerLimit int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	src, ok := ec.Resolvers.(listWorkerSource)
	if !ok || length < 2 || workerLimit > 0 || src.ListWorkers() == nil {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	workers := src.ListWorkers()
	ret := make(graphql.Array, length)
	var wg sync.WaitGroup
	wg.Add(length)
	for i := range length {
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		workers.Go(func() {
			defer wg.Done()
			if !omitPanicHandler {
				defer func() {
					if r := recover(); r != nil {
						graphql.AddError(childCtx, graphql.Recover(childCtx, r))
						ret[i] = graphql.Null
					}
				}()
			}
			ret[i] = marshalElement(childCtx, i)
		})
	}
	wg.Wait()
	return ret
}
