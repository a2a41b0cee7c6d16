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
// element runs at once with the others (each waits until all have started,
// as dataloader loads wait for their batch), and a panicking element is an
// error and a Null in its place.
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
						select { // every element must be running at once
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

func TestListWorkersParkAndLeave(t *testing.T) {
	t.Parallel()
	t.Run("a worker parks after its element", func(t *testing.T) {
		t.Parallel()
		w := NewListWorkers(4, time.Minute)
		done := make(chan struct{})
		w.Go(func() { close(done) })
		<-done
		waitFor(t, "one worker parked", func() bool { return w.Parked() == 1 })
	})
	t.Run("no more than the limit park", func(t *testing.T) {
		t.Parallel()
		w := NewListWorkers(2, time.Minute)
		var running sync.WaitGroup
		running.Add(5)
		release := make(chan struct{})
		for range 5 {
			w.Go(func() { running.Done(); <-release })
		}
		running.Wait() // five at once: none of them queued behind another
		close(release)
		waitFor(t, "two parked, three left", func() bool { return w.Parked() == 2 })
	})
	t.Run("an idle worker leaves", func(t *testing.T) {
		t.Parallel()
		w := NewListWorkers(4, time.Millisecond)
		done := make(chan struct{})
		w.Go(func() { close(done) })
		<-done
		waitFor(t, "the worker left", func() bool { return w.Parked() == 0 })
	})
}
