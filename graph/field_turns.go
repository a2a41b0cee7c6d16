package graph

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"

	"github.com/systemuser-gateway/systemuser/dataloaders"
)

// laterFields holds an object's resolver fields until the object dispatches
// them: graphql.FieldSet's ResolveConcurrently and Dispatch, which graphgen
// rewrites the executor's object functions to call instead, with the same
// contract (each field's value in its slot, a panic recovered into an error
// and a Null when recoverFromPanic, the object invalid when a non-null field
// resolves to Null, or a nullable one to RequiredNull).
//
// gqlgen runs every such field but the first on a new goroutine, whose
// stack then grows by copying on the way down the field's selection: a
// system's systemUsers under a list of systems, the bulk of a nested read
// (issue 14). Under a list these run in turn instead, and spread to
// ListWorkers only when one is about to wait for a load (runInTurns), so
// loads still meet in one batch.
type laterFields struct {
	fields []laterField
}

type laterField struct {
	i                int
	recoverFromPanic bool
	invalid          graphql.Marshaler
	resolve          func(ctx context.Context) graphql.Marshaler
}

// resolveConcurrently is FieldSet.ResolveConcurrently. A deferred field goes
// to gqlgen as before: it is scheduled on the deferred group, and its slot
// in out holds Null until the incremental payload (gqlgen reads only the
// field from the FieldSet it is given).
func (l *laterFields) resolveConcurrently(oc *graphql.OperationContext, deferred *graphql.DeferredGroup,
	out *objectValues, field graphql.CollectedField, i int, recoverFromPanic, nonNull bool,
	resolve func(ctx context.Context) graphql.Marshaler,
) {
	if field.IsDeferred() {
		fs := graphql.NewFieldSet(out.fields)
		fs.ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
		out.Values[i] = fs.Values[i]
		return
	}
	invalid := graphql.Marshaler(graphql.RequiredNull)
	if nonNull {
		invalid = graphql.Null
	}
	l.fields = append(l.fields, laterField{i: i, recoverFromPanic: recoverFromPanic, invalid: invalid, resolve: resolve})
}

// dispatch is FieldSet.Dispatch for an object's fields: it resolves the
// fields held here.
//
// Fields run in turn only under a list (ctx carries its wait hook), where
// the savings are: an object outside any list (a mutation's answer, a root
// field's object) runs its fields as gqlgen does, each but the first on a
// goroutine of its own. Measured with wrk, GraphQL authorize's answer run
// in turn cost less CPU but its p99 rose by a third (about 40 to 55 ms at
// 64 connections, interleaved runs); the goroutine gives that back. Why
// the scheduler does better with it was not pinned down: a new goroutine
// wakes an idle processor, which a request that never blocks does not.
func (ec *executionContext) dispatch(ctx context.Context, l *laterFields, out *objectValues) {
	// The closures take the slice, not l: l stays on its caller's stack.
	fields, oc := l.fields, ec.OperationContext
	switch {
	case len(fields) == 0:
	case len(fields) == 1:
		// Alone, it waits in the enclosing run's turn, as gqlgen runs it
		// in the caller's goroutine.
		fields[0].resolveInto(ctx, oc, out)
	case dataloaders.WaitHook(ctx) == nil:
		var wg sync.WaitGroup
		for k := 1; k < len(fields); k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fields[k].resolveInto(ctx, oc, out)
			}()
		}
		fields[0].resolveInto(ctx, oc, out)
		wg.Wait()
	default:
		runInTurns(ctx, ec.workersOf(), len(fields), func(ctx context.Context, k int) {
			fields[k].resolveInto(ctx, oc, out)
		})
	}
}

// dispatchRoot is the root Query's FieldSet.Dispatch. gqlgen schedules the
// root's fields on its FieldSet (ResolveRootConcurrently), so l holds none.
func (ec *executionContext) dispatchRoot(ctx context.Context, _ *laterFields, out *graphql.FieldSet) {
	out.Dispatch(ctx)
}

// resolveInto is gqlgen's executeDelayed for an object's own field set,
// which no @defer view observes.
func (f *laterField) resolveInto(ctx context.Context, oc *graphql.OperationContext, out *objectValues) {
	v := resolveRecovering(ctx, oc, f.recoverFromPanic, f.resolve)
	out.Values[f.i] = v
	if v == f.invalid {
		atomic.AddUint32(&out.Invalids, 1)
	}
}

// resolveRecovering is gqlgen's recoverToNull: a panic, when recovered, is
// the field's error and its value is Null.
func resolveRecovering(ctx context.Context, oc *graphql.OperationContext, recoverFromPanic bool,
	resolve func(ctx context.Context) graphql.Marshaler,
) (res graphql.Marshaler) {
	if recoverFromPanic {
		defer func() {
			if r := recover(); r != nil {
				oc.Error(ctx, oc.Recover(ctx, r))
				res = graphql.Null
			}
		}()
	}
	return resolve(ctx)
}
