package simulator

import (
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestReplayCacheBounded(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	c := newReplayCache(2)
	steps := []struct {
		key  string
		exp  time.Duration
		at   time.Duration
		want replayResult
	}{
		{"a", 10 * time.Second, 0, replayFresh},
		{"a", 10 * time.Second, 0, replayUsed},
		{"b", 20 * time.Second, 0, replayFresh},
		{"c", 20 * time.Second, 0, replayFull}, // full of live entries: refuse, never forget
		{"a", 10 * time.Second, 5 * time.Second, replayUsed},
		{"c", 30 * time.Second, 10 * time.Second, replayFresh}, // a expired, its slot is free
		{"b", 20 * time.Second, 15 * time.Second, replayUsed},
	}
	for i, s := range steps {
		if got := c.use(s.key, now.Add(s.exp), now.Add(s.at)); got != s.want {
			t.Fatalf("step %d (%s): got %v, want %v", i, s.key, got, s.want)
		}
	}
	if c.len() != 2 {
		t.Fatalf("len %d", c.len())
	}
}

func TestTokenReplayCacheFull(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.ReplayCacheSize = 1 })
	if r := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, e.grant())); r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	r := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, e.grant()))
	if r.status != http.StatusServiceUnavailable || r.header.Get(ReasonHeader) != ErrReplayCacheFull.ID {
		t.Fatalf("status %d %v", r.status, r.body)
	}
	e.clock.Add(80 * time.Second) // first assertion (exp +60 s, leeway 10 s) has expired
	if r := e.exchange(t, mustSign(t, e.key, jose.RS256, e.key.KeyID, e.grant())); r.status != http.StatusOK {
		t.Fatalf("after expiry: status %d %v", r.status, r.body)
	}
}
