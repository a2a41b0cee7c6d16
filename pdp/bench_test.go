package pdp

import (
	"context"
	"testing"
)

// The decision log is part of every Authorize (its queue; writes are off
// the hot path but back-pressure counts), so these measure it too.
func BenchmarkAuthorizeCached(b *testing.B) {
	f := newFixture(b)
	e := startEngine(b, f.bdb, Options{})
	req := Request{SystemUserID: f.standard, ResourceID: "pkg-res", Action: "read", PartyOrg: ownerOrg, CallerOrg: callerOrg}
	ctx := context.Background()
	if d, _ := e.Authorize(ctx, req); d.Result != Permit {
		b.Fatal(d.ReasonCode)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if d, _ := e.Authorize(ctx, req); d.Result != Permit {
				b.Fatal(d.ReasonCode)
			}
		}
	})
}

// BenchmarkAuthorizeUncached: the system user is dropped before every
// call, so each costs its one SQL round trip (the catalog stays cached).
func BenchmarkAuthorizeUncached(b *testing.B) {
	f := newFixture(b)
	e := startEngine(b, f.bdb, Options{})
	req := Request{SystemUserID: f.standard, ResourceID: "pkg-res", Action: "read", PartyOrg: ownerOrg, CallerOrg: callerOrg}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e.cache.dropSubject(f.standard)
		if d, _ := e.Authorize(ctx, req); d.Result != Permit {
			b.Fatal(d.ReasonCode)
		}
	}
}
