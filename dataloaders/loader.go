package dataloaders

import (
	"context"
	"errors"
	"sync"

	"github.com/vikstrous/dataloadgen"
)

// Loader batches the lookups of one kind of object. When peek is set (the
// registry's catalog in memory), a key it knows is answered at once: a
// batch window would only delay an answer that costs a map read, and on
// every nesting level of a query. So is a key primed (a lookahead loaded
// it). Any other key waits for a batch, after BeforeWait.
type Loader[K comparable, V any] struct {
	batch *dataloadgen.Loader[K, V]
	peek  func(K) (V, bool)

	mu     sync.Mutex
	primed map[K]V
}

func newLoader[K comparable, V any](fetch func(context.Context, []K) (map[K]V, error), peek func(K) (V, bool), opts ...dataloadgen.Option) *Loader[K, V] {
	return &Loader[K, V]{batch: dataloadgen.NewMappedLoader(fetch, opts...), peek: peek}
}

// known answers key without a batch: from peek, or primed.
func (l *Loader[K, V]) known(key K) (V, bool) {
	if l.peek != nil {
		if v, ok := l.peek(key); ok {
			return v, true
		}
	}
	l.mu.Lock()
	v, ok := l.primed[key]
	l.mu.Unlock()
	return v, ok
}

// Prime stores the object of key unless key was loaded or primed before,
// as dataloadgen.Loader.Prime; later loads of key are answered at once.
func (l *Loader[K, V]) Prime(key K, v V) {
	if !l.batch.Prime(key, v) {
		return // what the batch holds for key stands, as in dataloadgen
	}
	l.mu.Lock()
	if l.primed == nil {
		l.primed = map[K]V{}
	}
	l.primed[key] = v
	l.mu.Unlock()
}

// Load returns the object of key, as dataloadgen.Loader.Load.
func (l *Loader[K, V]) Load(ctx context.Context, key K) (V, error) {
	if v, ok := l.known(key); ok {
		return v, nil
	}
	wait := l.batch.LoadThunk(ctx, key)
	BeforeWait(ctx)
	return wait()
}

// LoadAll returns the objects of keys in order, as
// dataloadgen.Loader.LoadAll; only the keys neither peek nor a prime knows
// wait for a batch.
func (l *Loader[K, V]) LoadAll(ctx context.Context, keys []K) ([]V, error) {
	out := make([]V, len(keys))
	var missing []K
	var at []int
	for i, k := range keys {
		if v, ok := l.known(k); ok {
			out[i] = v
		} else {
			missing, at = append(missing, k), append(at, i)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	wait := l.batch.LoadAllThunk(ctx, missing)
	BeforeWait(ctx)
	rest, err := wait()
	for j, i := range at {
		out[i] = rest[j]
	}
	var errs dataloadgen.ErrorSlice
	if errors.As(err, &errs) {
		// One error per key, as the batch loader gives, at the keys' places.
		all := make(dataloadgen.ErrorSlice, len(keys))
		for j, i := range at {
			all[i] = errs[j]
		}
		return out, all
	}
	return out, err
}
