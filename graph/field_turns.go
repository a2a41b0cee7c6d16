package graph

import (
	"context"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
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
// (issue 14). These run in turn instead, and spread to ListWorkers only
// when one is about to wait for a load (runInTurns), so loads still meet in
// one batch.
type laterFields struct {
	fields []laterField
}

type laterField struct {
	i                int
	recoverFromPanic bool
	invalid          graphql.Marshaler
	resolve          func(ctx context.Context) graphql.Marshaler
}

// resolveConcurrently is out.ResolveConcurrently. A deferred field goes
// to gqlgen as before: it belongs to the deferred group, not to out.
func (l *laterFields) resolveConcurrently(oc *graphql.OperationContext, deferred *graphql.DeferredGroup,
	out *graphql.FieldSet, field graphql.CollectedField, i int, recoverFromPanic, nonNull bool,
	resolve func(ctx context.Context) graphql.Marshaler,
) {
	if field.IsDeferred() {
		out.ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
		return
	}
	invalid := graphql.Marshaler(graphql.RequiredNull)
	if nonNull {
		invalid = graphql.Null
	}
	l.fields = append(l.fields, laterField{i: i, recoverFromPanic: recoverFromPanic, invalid: invalid, resolve: resolve})
}

// dispatch is out.Dispatch: it resolves the fields held here, then lets
// out dispatch whatever gqlgen scheduled on it itself (a root object's
// fields).
func (ec *executionContext) dispatch(ctx context.Context, l *laterFields, out *graphql.FieldSet) {
	// The closure takes the slice, not l: l stays on its caller's stack.
	switch fields := l.fields; len(fields) {
	case 0:
	case 1:
		// Alone, it waits in the enclosing run's turn, as gqlgen runs it
		// in the caller's goroutine.
		fields[0].resolveInto(ctx, ec.OperationContext, out)
	default:
		oc := ec.OperationContext
		runInTurns(ctx, ec.workersOf(), len(fields), func(ctx context.Context, k int) {
			fields[k].resolveInto(ctx, oc, out)
		})
	}
	out.Dispatch(ctx)
}

// resolveInto is gqlgen's executeDelayed for an object's own field set,
// which no @defer view observes.
func (f *laterField) resolveInto(ctx context.Context, oc *graphql.OperationContext, out *graphql.FieldSet) {
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
