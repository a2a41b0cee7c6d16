package gateway_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// fakeClock is a settable clock for request time-outs.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newFullEnv is newTestEnv plus the event listener and the PDP, with a fake
// clock for the registry.
func newFullEnv(t *testing.T) (*testEnv, *fakeClock) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	bdb := dbtest.New(t)
	keys, trusted := trustedKeySet(t)
	clock := &fakeClock{t: time.Now()}
	reg := registry.New(bdb, registry.Options{PublicURL: "http://gateway.test", Now: clock.Now})
	verifier := auth.NewVerifier(trusted, nil, nil, nil)
	listener := db.NewListener(bdb, nil)
	engine := pdp.New(bdb, pdp.Options{Listener: listener, Verifier: verifier})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = listener.Run(ctx) }()
	go func() { defer wg.Done(); _ = engine.Run(ctx) }()
	gw := gateway.New(gateway.Config{GraphQL: gateway.GraphQLConfig{Introspection: true}},
		gateway.Deps{DB: db.Probe{DB: bdb}, Registry: reg, PDP: engine, Events: listener, Verifier: verifier})
	srv := httptest.NewServer(gw)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		wg.Wait()
		_ = engine.Close(context.Background())
	})
	deadline := time.Now().Add(10 * time.Second)
	for !listener.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("listener did not connect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return &testEnv{DB: bdb, Counter: &dbtest.QueryCounter{}, URL: srv.URL, Keys: keys,
		Issuer: simulator.NewIssuer(keys, simulator.IssuerOptions{Issuer: testIssuer})}, clock
}
