package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/systemuser-gateway/systemuser/dataloaders"
)

// A resolver field as the tests schedule it: what it resolves to, whether
// the schema says non-null, and whether @defer holds it.
type fieldCase struct {
	result   string // "int", "null", "required-null" or "panic"
	nonNull  bool
	deferred bool
}

func (c fieldCase) resolve(i int) func(context.Context) graphql.Marshaler {
	return func(context.Context) graphql.Marshaler {
		switch c.result {
		case "null":
			return graphql.Null
		case "required-null":
			return graphql.RequiredNull
		case "panic":
			panic(fmt.Sprint("field ", i))
		}
		return graphql.MarshalInt(i)
	}
}

// scheduled is one object's fields after its resolver fields were
// scheduled and dispatched (and its deferred group dispatched too, as
// ProcessDeferredGroup would later).
type scheduled struct {
	values, deferredValues []string
	invalids               uint32
	errors                 int
}

func schedule(t *testing.T, ours, underList bool, ec *executionContext, cases []fieldCase) scheduled {
	t.Helper()
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter,
		func(context.Context, any) error { return errors.New("recovered") })
	if underList {
		ctx = dataloaders.WithWaitHook(ctx, func() {}) // as an element of marshalSlice
	}
	oc := &graphql.OperationContext{RecoverFunc: func(context.Context, any) error { return errors.New("recovered") }}
	ctx = graphql.WithOperationContext(ctx, oc)
	ec.OperationContext = oc
	fields := make([]graphql.CollectedField, len(cases))
	for i, c := range cases {
		fields[i] = graphql.CollectedField{Field: &ast.Field{Alias: fmt.Sprint("f", i), Name: fmt.Sprint("f", i)}}
		if c.deferred {
			fields[i].Deferrables = []*graphql.Deferrable{{Label: "later"}}
		}
	}
	deferred := graphql.DeferredGroup{FieldSet: graphql.NewFieldSet(nil), Defers: map[string]*graphql.FieldSetView{}}
	var values []graphql.Marshaler
	var invalids *uint32
	if ours {
		out := newObjectValues(fields)
		var later laterFields
		for i, c := range cases {
			later.resolveConcurrently(oc, &deferred, out, fields[i], i, true, c.nonNull, c.resolve(i))
		}
		ec.dispatch(ctx, &later, out)
		values, invalids = out.Values, &out.Invalids
	} else {
		out := graphql.NewFieldSet(fields)
		for i, c := range cases {
			out.ResolveConcurrently(oc, &deferred, i, true, c.nonNull, c.resolve(i))
		}
		out.Dispatch(ctx)
		values, invalids = out.Values, &out.Invalids
	}
	deferred.FieldSet.Dispatch(ctx)
	text := func(vs []graphql.Marshaler) []string {
		var s []string
		for _, v := range vs {
			var b strings.Builder
			v.MarshalGQL(&b)
			s = append(s, b.String())
		}
		return s
	}
	return scheduled{values: text(values), deferredValues: text(deferred.FieldSet.Values), invalids: *invalids,
		errors: len(graphql.GetErrors(ctx))}
}

// TestDispatchKeepsFieldSetsContract schedules the same fields through
// gqlgen's FieldSet and through laterFields into objectValues, with and without workers,
// under a list and outside one, and wants the same values, the same count
// of invalid fields, the same errors and the same deferred group.
func TestDispatchKeepsFieldSetsContract(t *testing.T) {
	t.Parallel()
	kinds := []fieldCase{
		{result: "int", nonNull: true}, {result: "int"},
		{result: "null", nonNull: true}, {result: "null"},
		{result: "required-null"}, {result: "required-null", nonNull: true},
		{result: "panic", nonNull: true}, {result: "panic"},
		{result: "int", deferred: true}, {result: "null", nonNull: true, deferred: true},
	}
	var sets [][]fieldCase
	for _, k := range kinds {
		sets = append(sets, []fieldCase{k}, []fieldCase{{result: "int"}, k}, []fieldCase{k, {result: "int"}, k})
	}
	sets = append(sets, kinds, nil)
	roots := map[string]ResolverRoot{
		"list workers":    workerRoot{lists: NewListWorkers(DefaultMaxParkedWorkers, time.Minute)},
		"without workers": workerRoot{},
	}
	for name, root := range roots {
		for _, underList := range []bool{true, false} {
			for _, set := range sets {
				t.Run(fmt.Sprintf("%s/under a list %v/%v", name, underList, set), func(t *testing.T) {
					t.Parallel()
					want := schedule(t, false, underList, executionContextWith(root), set)
					got := schedule(t, true, underList, executionContextWith(root), set)
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("got %+v, gqlgen %+v", got, want)
					}
				})
			}
		}
	}
}

// Under a list, an object's resolver fields run one after another in the
// caller's goroutine until one is about to wait; then the rest start at
// once, and so does the rest of the list the object is an element of.
// Outside any list they all run at once, as gqlgen runs them.
func TestDispatchRunsFieldsInTurnUntilOneWaits(t *testing.T) {
	t.Parallel()
	ec := executionContextWith(workerRoot{lists: NewListWorkers(DefaultMaxParkedWorkers, time.Minute)})
	ec.OperationContext = &graphql.OperationContext{}
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, nil)
	fields := func(n int) (*objectValues, []graphql.CollectedField) {
		f := make([]graphql.CollectedField, n)
		for i := range f {
			f[i] = graphql.CollectedField{Field: &ast.Field{Alias: fmt.Sprint("f", i)}}
		}
		return newObjectValues(f), f
	}

	t.Run("in turn under a list", func(t *testing.T) {
		t.Parallel()
		ctx := dataloaders.WithWaitHook(ctx, func() {})
		out, f := fields(4)
		var later laterFields
		finished := 0 // no lock: a race here means the fields overlapped (go test -race)
		for i := range f {
			later.resolveConcurrently(ec.OperationContext, &graphql.DeferredGroup{}, out, f[i], i, true, true,
				func(context.Context) graphql.Marshaler {
					if finished != i {
						t.Errorf("field %d started after %d had finished", i, finished)
					}
					finished++
					return graphql.MarshalInt(i)
				})
		}
		ec.dispatch(ctx, &later, out)
		if finished != 4 {
			t.Fatalf("%d fields ran", finished)
		}
	})

	t.Run("at once outside a list", func(t *testing.T) {
		t.Parallel()
		out, f := fields(3)
		var started sync.WaitGroup
		started.Add(3)
		allStarted := make(chan struct{})
		go func() { started.Wait(); close(allStarted) }()
		var later laterFields
		for i := range f {
			later.resolveConcurrently(ec.OperationContext, &graphql.DeferredGroup{}, out, f[i], i, true, true,
				func(context.Context) graphql.Marshaler {
					started.Done()
					select {
					case <-allStarted:
					case <-time.After(10 * time.Second):
						t.Errorf("field %d: the others never started: the fields ran one after another", i)
					}
					return graphql.MarshalInt(i)
				})
		}
		ec.dispatch(ctx, &later, out)
	})

	t.Run("a wait starts the other fields and the enclosing list's rest", func(t *testing.T) {
		t.Parallel()
		var started sync.WaitGroup
		started.Add(2 + 2) // fields 1 and 2, list elements 1 and 2
		allStarted := make(chan struct{})
		go func() { started.Wait(); close(allStarted) }()
		ec.marshalSlice(ctx, 3, 0, false, func(ctx context.Context, e int) graphql.Marshaler {
			if e > 0 {
				started.Done()
				return graphql.MarshalInt(e)
			}
			out, f := fields(3)
			var later laterFields
			for i := range f {
				later.resolveConcurrently(ec.OperationContext, &graphql.DeferredGroup{}, out, f[i], i, true, true,
					func(ctx context.Context) graphql.Marshaler {
						if i > 0 {
							started.Done()
							return graphql.MarshalInt(i)
						}
						dataloaders.BeforeWait(ctx) // as a load does before it waits for its batch
						select {
						case <-allStarted:
						case <-time.After(10 * time.Second):
							t.Error("the other fields or list elements waited behind the first field's load")
						}
						return graphql.MarshalInt(i)
					})
			}
			ec.dispatch(ctx, &later, out)
			return out
		})
	})
}
