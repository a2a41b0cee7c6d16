package simulator

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"time"
)

// ReplayKey identifies one grant for single-use checking: a SHA-256 digest,
// so a store keeps 32 bytes per grant whatever the client sent.
type ReplayKey [32]byte

// grantReplayKey is the single-use identity of an assertion. With a jti it is
// the client's (client id, jti) pair: Maskinporten's "a JWT cannot be
// reused". Without one (jti is only Recommended, and authlib and Nimbus omit
// it) it is the assertion itself, hashed over the signing input
// (header.payload) rather than the whole compact JWS: base64url decoding in
// go-jose tolerates non-zero trailing bits and ECDSA signatures are
// malleable ((r, s) and (r, n-s) both verify), so the signature segment can
// be re-encoded without the key while the signed bytes cannot.
func grantReplayKey(clientID, jti, assertion string) ReplayKey {
	h := sha256.New()
	if jti != "" {
		h.Write([]byte("jti\x00"))
		h.Write([]byte(clientID))
		h.Write([]byte{0})
		h.Write([]byte(jti))
	} else {
		signed := assertion
		if i := strings.LastIndexByte(assertion, '.'); i >= 0 {
			signed = assertion[:i]
		}
		h.Write([]byte("jws\x00"))
		h.Write([]byte(signed))
	}
	var k ReplayKey
	h.Sum(k[:0])
	return k
}

// ReplayStore remembers used grants until they expire, so each is used once.
// The simulator keeps them in memory by default; pgstore.Replay shares them
// between simulator instances on one database. Implementations must be safe
// for concurrent use; Use is on the token hot path.
type ReplayStore interface {
	// Use records key until exp, judged at now (the simulator's clock). It
	// returns ErrGrantUsed when key is recorded and not yet expired, and
	// ErrReplayStoreFull when it cannot record key without forgetting a live
	// one; other errors mean the store failed.
	Use(ctx context.Context, key ReplayKey, exp, now time.Time) error
}

var (
	// ErrGrantUsed: the grant was used before (Maskinporten's "Grant is used before").
	ErrGrantUsed = errors.New("simulator: grant is used before")
	// ErrReplayStoreFull: the store is full of live grants.
	ErrReplayStoreFull = errors.New("simulator: replay store full")
)

// MemoryReplayStore is a bounded ReplayStore in memory: when full of live
// entries it refuses new ones rather than forgetting old ones, which would
// reopen replay.
type MemoryReplayStore struct {
	mu    sync.Mutex
	max   int
	seen  map[ReplayKey]time.Time
	byExp expiryHeap
}

// NewMemoryReplayStore remembers at most max live grants.
func NewMemoryReplayStore(max int) *MemoryReplayStore {
	return &MemoryReplayStore{max: max, seen: make(map[ReplayKey]time.Time)}
}

func (c *MemoryReplayStore) Use(_ context.Context, key ReplayKey, exp, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.byExp) > 0 && !c.byExp[0].exp.After(now) {
		e := heap.Pop(&c.byExp).(expiryEntry)
		delete(c.seen, e.key)
	}
	if _, ok := c.seen[key]; ok {
		return ErrGrantUsed
	}
	if len(c.seen) >= c.max {
		return ErrReplayStoreFull
	}
	c.seen[key] = exp
	heap.Push(&c.byExp, expiryEntry{key: key, exp: exp})
	return nil
}

// Len is the number of remembered grants, expired ones included until the
// next Use purges them.
func (c *MemoryReplayStore) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type expiryEntry struct {
	key ReplayKey
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
