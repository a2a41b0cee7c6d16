package graph

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/systemuser-gateway/systemuser/dataloaders"
)

// workerRoot is a ResolverRoot that brings list workers (its resolvers are
// never called here).
type workerRoot struct {
	ResolverRoot
	lists *ListWorkers
}

func (r workerRoot) ListWorkers() *ListWorkers { return r.lists }

func executionContextWith(root ResolverRoot) *executionContext {
	return &executionContext{ExecutionContextState: &graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]{
		ExecutableSchemaState: &graphql.ExecutableSchemaState[ResolverRoot, DirectiveRoot, ComplexityRoot]{Resolvers: root},
	}}
}

// TestMarshalSliceKeepsGqlgensContract runs marshalSlice with and without
// workers: each element sees its index, the results keep their order, every
// element that waits as a load does (BeforeWait, then until all have
// started, as loads wait for their batch) runs at once with the others, and
// a panicking element is an error and a Null in its place.
func TestMarshalSliceKeepsGqlgensContract(t *testing.T) {
	t.Parallel()
	roots := map[string]ResolverRoot{
		"list workers":        workerRoot{lists: NewListWorkers(DefaultMaxParkedWorkers, time.Minute)},
		"without workers":     workerRoot{},
		"root without method": nil,
	}
	for name, root := range roots {
		for _, n := range []int{0, 1, 2, 7, 64} {
			for _, panicAt := range []int{-1, n / 2} {
				if panicAt >= n {
					continue
				}
				t.Run(fmt.Sprintf("%s/%d elements/panic at %d", name, n, panicAt), func(t *testing.T) {
					t.Parallel()
					ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter,
						func(context.Context, any) error { return errors.New("recovered") })
					ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{})
					var started sync.WaitGroup
					started.Add(n)
					allStarted := make(chan struct{})
					go func() { started.Wait(); close(allStarted) }()
					got := executionContextWith(root).marshalSlice(ctx, n, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
						fc := graphql.GetFieldContext(ctx)
						if fc.Index == nil || *fc.Index != i {
							t.Errorf("element %d: field context index %v", i, fc.Index)
						}
						started.Done()
						dataloaders.BeforeWait(ctx) // as a load does before it waits for its batch
						select {                    // every element must be running at once
						case <-allStarted:
						case <-time.After(10 * time.Second):
							t.Errorf("element %d: the others never started: the elements ran one after another", i)
						}
						if i == panicAt {
							panic("element " + strconv.Itoa(i))
						}
						return graphql.MarshalInt(i)
					})
					if len(got) != n {
						t.Fatalf("%d results, want %d", len(got), n)
					}
					for i, m := range got {
						want := strconv.Itoa(i)
						if i == panicAt {
							want = "null"
						}
						var b strings.Builder
						m.MarshalGQL(&b)
						if b.String() != want {
							t.Errorf("result %d: %s, want %s", i, b.String(), want)
						}
					}
					errs := graphql.GetErrors(ctx)
					if wantErrs := map[bool]int{true: 1, false: 0}[panicAt >= 0]; len(errs) != wantErrs {
						t.Errorf("errors %v, want %d", errs, wantErrs)
					}
				})
			}
		}
	}
}

// Elements that never wait run one after another, in the caller's
// goroutine; one that is about to wait starts the rest, in its own list and
// in the list around it (whose element waits with it).
func TestMarshalSliceRunsInTurnUntilAnElementWaits(t *testing.T) {
	t.Parallel()
	ec := executionContextWith(workerRoot{lists: NewListWorkers(DefaultMaxParkedWorkers, time.Minute)})
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, nil)

	t.Run("in turn", func(t *testing.T) {
		t.Parallel()
		finished := 0 // no lock: a race here means the elements overlapped (go test -race)
		ec.marshalSlice(ctx, 5, 0, false, func(_ context.Context, i int) graphql.Marshaler {
			if finished != i {
				t.Errorf("element %d started after %d had finished", i, finished)
			}
			finished++
			return graphql.MarshalInt(i)
		})
		if finished != 5 {
			t.Fatalf("%d elements ran", finished)
		}
	})

	t.Run("a wait in an inner list starts the outer list's rest", func(t *testing.T) {
		t.Parallel()
		var outerStarted sync.WaitGroup
		outerStarted.Add(2) // outer elements 1 and 2
		allStarted := make(chan struct{})
		go func() { outerStarted.Wait(); close(allStarted) }()
		ec.marshalSlice(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
			if i > 0 {
				outerStarted.Done()
				return graphql.MarshalInt(i)
			}
			return ec.marshalSlice(ctx, 2, 0, false, func(ctx context.Context, j int) graphql.Marshaler {
				if j == 0 {
					dataloaders.BeforeWait(ctx)
					select {
					case <-allStarted:
					case <-time.After(10 * time.Second):
						t.Error("the outer list's other elements waited behind the inner list's load")
					}
				}
				return graphql.MarshalInt(j)
			})
		})
	})
}

// waitFor polls cond without sleeping, for the workers' own goroutines to
// get where the test looks.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		runtime.Gosched()
	}
}

func TestListWorkersPark(t *testing.T) {
	t.Parallel()
	w := NewListWorkers(4, time.Minute)
	done := make(chan struct{})
	w.Go(func() { close(done) })
	<-done
	waitFor(t, "one worker parked", func() bool { return w.Parked() == 1 })
}

// TestListWorkersLeave counts goroutines, so it does not run in parallel:
// a parked worker and one that left both leave Parked at what the test
// wants for a moment, only the goroutine count tells them apart.
func TestListWorkersLeave(t *testing.T) {
	t.Run("no more than the limit park", func(t *testing.T) {
		base := runtime.NumGoroutine()
		w := NewListWorkers(2, time.Minute)
		var running sync.WaitGroup
		running.Add(5)
		release := make(chan struct{})
		for range 5 {
			w.Go(func() { running.Done(); <-release })
		}
		running.Wait() // five at once: none of them queued behind another
		close(release)
		waitFor(t, "two parked, three gone", func() bool { return w.Parked() == 2 && runtime.NumGoroutine() == base+2 })
	})
	t.Run("an idle worker leaves", func(t *testing.T) {
		base := runtime.NumGoroutine()
		w := NewListWorkers(4, time.Millisecond)
		done := make(chan struct{})
		w.Go(func() { close(done) })
		<-done
		waitFor(t, "the worker gone", func() bool { return w.Parked() == 0 && runtime.NumGoroutine() == base })
	})
}
