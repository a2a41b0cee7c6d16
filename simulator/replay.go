package simulator

import (
	"container/heap"
	"sync"
	"time"
)

// replayCache remembers assertion ids until their assertion has expired, so
// each can be used once. It is bounded: when full of live entries it refuses
// new ones rather than forgetting old ones, which would reopen replay.
type replayCache struct {
	mu    sync.Mutex
	max   int
	seen  map[string]time.Time
	byExp expiryHeap
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: make(map[string]time.Time)}
}

type replayResult int

const (
	replayFresh replayResult = iota
	replayUsed
	replayFull
)

// use records key until exp, reporting whether it was fresh, already used or
// could not be recorded.
func (c *replayCache) use(key string, exp, now time.Time) replayResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.byExp) > 0 && !c.byExp[0].exp.After(now) {
		e := heap.Pop(&c.byExp).(expiryEntry)
		delete(c.seen, e.key)
	}
	if _, ok := c.seen[key]; ok {
		return replayUsed
	}
	if len(c.seen) >= c.max {
		return replayFull
	}
	c.seen[key] = exp
	heap.Push(&c.byExp, expiryEntry{key: key, exp: exp})
	return replayFresh
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type expiryEntry struct {
	key string
	exp time.Time
}

type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].exp.Before(h[j].exp) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
