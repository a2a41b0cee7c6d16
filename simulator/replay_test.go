package simulator

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestMemoryReplayStoreBounded(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	c := NewMemoryReplayStore(2)
	k := func(s string) ReplayKey { return sha256.Sum256([]byte(s)) }
	steps := []struct {
		key  string
		exp  time.Duration
		at   time.Duration
		want error
	}{
		{"a", 10 * time.Second, 0, nil},
		{"a", 10 * time.Second, 0, ErrGrantUsed},
		{"b", 20 * time.Second, 0, nil},
		{"c", 20 * time.Second, 0, ErrReplayStoreFull}, // full of live entries: refuse, never forget
		{"a", 10 * time.Second, 5 * time.Second, ErrGrantUsed},
		{"c", 30 * time.Second, 10 * time.Second, nil}, // a expired, its slot is free
		{"b", 20 * time.Second, 15 * time.Second, ErrGrantUsed},
	}
	for i, s := range steps {
		if got := c.Use(t.Context(), k(s.key), now.Add(s.exp), now.Add(s.at)); !errors.Is(got, s.want) {
			t.Fatalf("step %d (%s): got %v, want %v", i, s.key, got, s.want)
		}
	}
	if c.Len() != 2 {
		t.Fatalf("len %d", c.Len())
	}
}

func TestGrantReplayKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b [3]string // clientID, jti, assertion
		same bool
	}{
		{"SameJtiOtherAssertion", [3]string{"c", "j", "h.p.s1"}, [3]string{"c", "j", "h.p2.s2"}, true},
		{"SameJtiOtherClient", [3]string{"c1", "j", "h.p.s"}, [3]string{"c2", "j", "h.p.s"}, false},
		{"NoJtiSignatureReencoded", [3]string{"c", "", "h.p.s1"}, [3]string{"c", "", "h.p.s2"}, true},
		{"NoJtiOtherPayload", [3]string{"c", "", "h.p.s"}, [3]string{"c", "", "h.q.s"}, false},
		{"JtiVersusNoJti", [3]string{"c", "h.p", "x.y.z"}, [3]string{"c", "", "h.p.z"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ka := grantReplayKey(tt.a[0], tt.a[1], tt.a[2])
			kb := grantReplayKey(tt.b[0], tt.b[1], tt.b[2])
			if (ka == kb) != tt.same {
				t.Fatalf("keys equal = %v, want %v", ka == kb, tt.same)
			}
		})
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
