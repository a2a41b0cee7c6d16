package pdp

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
)

// cache holds subjects and the catalog while the event listener is
// connected ("live"); otherwise every decision reads the database, because
// a missed event would leave a revoked system user permitted.
//
// A load that started before an invalidation must not store its (possibly
// stale) result: every in-flight load is a call, and an invalidation that
// may concern it marks it stale. Concurrent misses for one key share one
// call, but a caller never joins a stale call (it started before the
// invalidation the caller has seen).
type cache struct {
	mu       sync.RWMutex
	live     bool
	max      int
	subjects map[uuid.UUID]*subject
	catalog  *catalog
	inflight map[uuid.UUID]*call // subject loads
	catCall  *call               // catalog load
	timeout  time.Duration
	// joined, when set (tests), is called when a caller joins a load in flight.
	joined func()
}

type call struct {
	done     chan struct{}
	stale    bool // written under cache.mu
	subjects map[uuid.UUID]*subject
	catalog  *catalog
	err      error
}

func newCache(maxEntries int) *cache {
	return &cache{
		max:      maxEntries,
		subjects: make(map[uuid.UUID]*subject),
		inflight: make(map[uuid.UUID]*call),
		timeout:  10 * time.Second,
	}
}

type subjectLoader func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*subject, error)
type catalogLoader func(ctx context.Context) (*catalog, error)

// subjects returns a subject for every id: hits from memory, all misses in
// one load (plus waits on loads already under way).
func (c *cache) getSubjects(ctx context.Context, ids []uuid.UUID, load subjectLoader) (map[uuid.UUID]*subject, error) {
	out := make(map[uuid.UUID]*subject, len(ids))
	c.mu.RLock()
	if !c.live {
		c.mu.RUnlock()
		return load(ctx, ids)
	}
	miss := false
	for _, id := range ids {
		if s, ok := c.subjects[id]; ok {
			out[id] = s
		} else {
			miss = true
		}
	}
	c.mu.RUnlock()
	if !miss {
		return out, nil
	}

	c.mu.Lock()
	var waits []*call
	var mine *call
	var toLoad []uuid.UUID
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		if s, ok := c.subjects[id]; ok {
			out[id] = s
			continue
		}
		if cl, ok := c.inflight[id]; ok {
			waits = append(waits, cl)
			if c.joined != nil {
				c.joined()
			}
			continue
		}
		if mine == nil {
			mine = &call{done: make(chan struct{})}
		}
		c.inflight[id] = mine
		toLoad = append(toLoad, id)
	}
	live := c.live
	c.mu.Unlock()
	if !live {
		return load(ctx, ids)
	}

	if mine != nil {
		c.runSubjects(ctx, mine, toLoad, load)
		if mine.err != nil {
			return nil, mine.err
		}
		for id, s := range mine.subjects {
			out[id] = s
		}
	}
	for _, cl := range waits {
		select {
		case <-cl.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if cl.err != nil {
			return nil, cl.err
		}
		for id, s := range cl.subjects {
			out[id] = s
		}
	}
	return out, nil
}

func (c *cache) runSubjects(ctx context.Context, cl *call, ids []uuid.UUID, load subjectLoader) {
	// Others may be waiting on this load: one caller's cancellation must
	// not fail theirs.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	cl.subjects, cl.err = load(lctx, ids)
	cancel()
	c.mu.Lock()
	for _, id := range ids {
		if c.inflight[id] == cl {
			delete(c.inflight, id)
		}
		if cl.err == nil && !cl.stale && c.live {
			c.store(id, cl.subjects[id])
		}
	}
	c.mu.Unlock()
	close(cl.done)
}

func (c *cache) store(id uuid.UUID, s *subject) {
	if s == nil {
		return
	}
	if len(c.subjects) >= c.max {
		for k := range c.subjects { // map order is random: a random eviction
			delete(c.subjects, k)
			break
		}
	}
	c.subjects[id] = s
}

func (c *cache) getCatalog(ctx context.Context, load catalogLoader) (*catalog, error) {
	c.mu.RLock()
	cat, live := c.catalog, c.live
	c.mu.RUnlock()
	if !live {
		return load(ctx)
	}
	if cat != nil {
		return cat, nil
	}
	c.mu.Lock()
	if c.catalog != nil {
		cat = c.catalog
		c.mu.Unlock()
		return cat, nil
	}
	cl := c.catCall
	owner := cl == nil
	if owner {
		cl = &call{done: make(chan struct{})}
		c.catCall = cl
	}
	c.mu.Unlock()
	if owner {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		cl.catalog, cl.err = load(lctx)
		cancel()
		c.mu.Lock()
		if c.catCall == cl {
			c.catCall = nil
		}
		if cl.err == nil && !cl.stale && c.live {
			c.catalog = cl.catalog
		}
		c.mu.Unlock()
		close(cl.done)
	}
	select {
	case <-cl.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return cl.catalog, cl.err
}

// dropSubject forgets one system user.
func (c *cache) dropSubject(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.subjects, id)
	if cl, ok := c.inflight[id]; ok {
		cl.stale = true
		delete(c.inflight, id)
	}
}

// dropSystem forgets every system user of a system (a deleted system, or
// one whose rights changed).
func (c *cache) dropSystem(systemID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, s := range c.subjects {
		if s.systemID == systemID {
			delete(c.subjects, id)
		}
	}
	// In-flight loads do not know their system yet: all may be stale.
	c.staleInflight()
}

// dropAll forgets everything; live says whether caching may resume.
func (c *cache) dropAll(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	c.subjects = make(map[uuid.UUID]*subject)
	c.catalog = nil
	c.staleInflight()
	if c.catCall != nil {
		c.catCall.stale = true
		c.catCall = nil
	}
}

func (c *cache) staleInflight() {
	for id, cl := range c.inflight {
		cl.stale = true
		delete(c.inflight, id)
	}
}

func (c *cache) isLive() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.live
}
