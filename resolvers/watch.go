package resolvers

import (
	"context"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/dataloaders"
	"github.com/systemuser-gateway/systemuser/registry"
)

type eventKey struct{ kind, id, org, status string }

// Unavailable, not internal: a gateway built without a change listener
// cannot serve subscriptions, and nothing in the request is at fault.
var errNoEvents = apperr.New(apperr.Unavailable, "SUBSCRIPTIONS_UNAVAILABLE", "subscriptions are not available")

// watch sends the current value, then the value again after every matching
// event (and after a lost-and-regained event connection, since events may
// have been missed) unless unchanged says it is the same as the last one
// sent: NOTIFY is delivered asynchronously, so the event of a change made
// before the subscription started can arrive after its first value. The
// value is read afresh each time, scoped to the caller; the stream ends
// when it can no longer be read.
func watch[T any](ctx context.Context, src EventSource, read func(context.Context) (*T, error), match func(eventKey) bool, unchanged func(prev, next *T) bool) (<-chan *T, error) {
	if src == nil {
		return nil, errNoEvents
	}
	first, err := read(ctx)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(ctx)
	later, err := watchEvents(ctx, src, func(k eventKey) bool { return k.kind == registry.KindReset || match(k) },
		func(ctx context.Context, _ eventKey) (*T, bool) {
			v, err := read(ctx)
			if err != nil {
				stop() // no longer visible (or the database failed)
				return nil, false
			}
			return v, true
		})
	if err != nil {
		stop()
		return nil, err
	}
	out := make(chan *T, 1)
	out <- first
	go func() {
		defer close(out)
		defer stop()
		last := first
		for v := range later {
			if unchanged(last, v) {
				continue
			}
			last = v
			select {
			case out <- v:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// watchEvents sends one value per matching event, built by build.
func watchEvents[T any](ctx context.Context, src EventSource, match func(eventKey) bool, build func(context.Context, eventKey) (*T, bool)) (<-chan *T, error) {
	if src == nil {
		return nil, errNoEvents
	}
	events, cancel := src.Subscribe(64)
	out := make(chan *T, 1)
	go func() {
		defer close(out)
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				k := eventKey{ev.Kind, ev.ID, ev.Org, ev.Status}
				if !match(k) {
					continue
				}
				dataloaders.Refresh(ctx)
				v, ok := build(ctx, k)
				if !ok {
					continue
				}
				select {
				case out <- v:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
