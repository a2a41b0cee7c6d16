package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// TestJWKSRefreshDoesNotStall: a token with an unknown kid makes the
// verifier refetch the issuer's JWKS. While that (slow) fetch runs, tokens
// signed with known keys still verify at once, and any number of unknown
// kids share the one fetch. Before, the refresh held the key set's write
// lock during the HTTP fetch, so every uncached verification waited for it.
func TestJWKSRefreshDoesNotStall(t *testing.T) {
	t.Parallel()
	keys, err := simulator.NewKeySet(simulator.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := simulator.NewKeySet(simulator.KeyOptions{}) // kids the issuer never published
	if err != nil {
		t.Fatal(err)
	}
	var fetches atomic.Int32
	started, release := make(chan struct{}, 16), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fetches.Add(1) > 1 { // the first fetch answers at once; later ones hang until released
			started <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		_ = json.NewEncoder(w).Encode(keys.PublicJWKS())
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})

	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	v := auth.NewVerifier([]auth.TrustedIssuer{{Issuer: testIssuer, JWKSURL: srv.URL}}, srv.Client(), clock, nil)
	known := simulator.NewIssuer(keys, simulator.IssuerOptions{Issuer: testIssuer, Now: clock})
	unknown := simulator.NewIssuer(other, simulator.IssuerOptions{Issuer: testIssuer, Now: clock})
	mint := func(is *simulator.Issuer, org string) string {
		tok, err := is.IssueMaskinporten(context.Background(), simulator.MaskinportenGrant{ClientID: "c", ConsumerOrg: org, Scopes: []string{"x:y"}})
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	if _, err := v.Verify(context.Background(), mint(known, "310000000")); err != nil {
		t.Fatalf("first verification: %v", err)
	}
	mu.Lock()
	now = now.Add(time.Minute) // past the refresh interval: an unknown kid may refetch
	mu.Unlock()

	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := v.Verify(context.Background(), mint(unknown, "310000000")); err == nil {
				t.Error("a token with an unpublished kid verified")
			}
		}()
	}
	<-started // a refresh is in flight and hangs

	// A token never seen before (so not in the verified-token cache), with
	// a known kid, must not wait for the hanging fetch.
	tok := mint(known, "310000019")
	done := make(chan error, 1)
	go func() { _, err := v.Verify(context.Background(), tok); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("known kid during a refresh: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a known kid waited for another token's JWKS refresh")
	}
	close(release)
	wg.Wait()
	if got := fetches.Load(); got != 2 {
		t.Fatalf("%d JWKS fetches for one start and %d unknown kids, want 2", got, n)
	}
}
