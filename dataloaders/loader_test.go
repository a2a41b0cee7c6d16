package dataloaders

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vikstrous/dataloadgen"
)

// A loader with a peek answers the keys the peek knows without a batch,
// sends only the others to the batch, and keeps the batch's per-key errors
// at the keys' places.
func TestLoaderPeeksBeforeBatching(t *testing.T) {
	t.Parallel()
	memory := map[string]string{"a": "A", "c": "C"}
	for _, tc := range []struct {
		name      string
		keys      []string
		want      []string
		fetched   []string // keys the batch was asked for
		errAt     []int    // positions with ErrNotFound
		peekIsNil bool
	}{
		{"OKAllInMemory", []string{"a", "c"}, []string{"A", "C"}, nil, nil, false},
		{"OKMixed", []string{"a", "b", "c", "d"}, []string{"A", "B", "C", "D"}, []string{"b", "d"}, nil, false},
		{"ErrNotFoundKeepsItsPlace", []string{"a", "x", "c", "b"}, []string{"A", "", "C", "B"}, []string{"b", "x"}, []int{1}, false},
		{"OKNoPeek", []string{"a", "b"}, []string{"A", "B"}, []string{"a", "b"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var fetched []string
			fetch := func(_ context.Context, keys []string) (map[string]string, error) {
				mu.Lock()
				fetched = append(fetched, keys...)
				mu.Unlock()
				out := map[string]string{}
				for _, k := range keys {
					if k != "x" {
						out[k] = string(k[0] - 'a' + 'A')
					}
				}
				return out, nil
			}
			peek := func(k string) (string, bool) { v, ok := memory[k]; return v, ok }
			if tc.peekIsNil {
				peek = nil
			}
			l := newLoader(fetch, peek, dataloadgen.WithWait(time.Millisecond))
			got, err := l.LoadAll(t.Context(), tc.keys)
			if !slices.Equal(got, tc.want) {
				t.Errorf("values %q, want %q", got, tc.want)
			}
			slices.Sort(fetched)
			if !slices.Equal(fetched, tc.fetched) {
				t.Errorf("batch fetched %q, want %q", fetched, tc.fetched)
			}
			var errs dataloadgen.ErrorSlice
			if len(tc.errAt) == 0 {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if !errors.As(err, &errs) || len(errs) != len(tc.keys) {
				t.Fatalf("error %#v, want one per key", err)
			}
			for i, e := range errs {
				if want := slices.Contains(tc.errAt, i); errors.Is(e, dataloadgen.ErrNotFound) != want {
					t.Errorf("key %d (%s): error %v, want not found: %v", i, tc.keys[i], e, want)
				}
			}
		})
	}
}

func TestLoaderLoadPeeks(t *testing.T) {
	t.Parallel()
	fetch := func(context.Context, []string) (map[string]string, error) {
		return nil, errors.New("the batch must not run")
	}
	l := newLoader(fetch, func(k string) (string, bool) { return "v-" + k, true })
	if v, err := l.Load(t.Context(), "k"); err != nil || v != "v-k" {
		t.Fatalf("Load: %q, %v", v, err)
	}
}

// A primed key is answered without a batch and without the wait hook; a
// key loaded before keeps what the batch gave, as dataloadgen's Prime does;
// any other key calls the hook before it waits.
func TestLoaderPrimeAndWaitHook(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var fetched []string
	l := newLoader(func(_ context.Context, keys []string) (map[string]string, error) {
		mu.Lock()
		fetched = append(fetched, keys...)
		mu.Unlock()
		out := map[string]string{}
		for _, k := range keys {
			out[k] = "loaded " + k
		}
		return out, nil
	}, nil, dataloadgen.WithWait(time.Microsecond))
	hooks := 0
	ctx := WithWaitHook(context.Background(), func() { hooks++ })

	if v, err := l.Load(ctx, "early"); err != nil || v != "loaded early" {
		t.Fatalf("load: %q %v", v, err)
	}
	l.Prime("early", "primed early")
	l.Prime("p", "primed p")
	for key, want := range map[string]string{"early": "loaded early", "p": "primed p"} {
		if v, err := l.Load(ctx, key); err != nil || v != want {
			t.Errorf("load %s: %q %v, want %q", key, v, err, want)
		}
	}
	if got, err := l.LoadAll(ctx, []string{"p", "late"}); err != nil || !slices.Equal(got, []string{"primed p", "loaded late"}) {
		t.Errorf("load all: %q %v", got, err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Fetched: "early" and "late" once each, "p" never. The hook runs for
	// both loads of "early" (the second is answered from dataloadgen's
	// cache, which the loader cannot tell before it waits) and for "late".
	if !slices.Equal(fetched, []string{"early", "late"}) || hooks != 3 {
		t.Errorf("fetched %v with %d hook calls, want [early late] and 3", fetched, hooks)
	}
}
