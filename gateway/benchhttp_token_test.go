package gateway_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/simulator"
	"github.com/systemuser-gateway/systemuser/simulator/mpclient"
)

// tokenBench is system-user token issuance for make bench-http: a
// simulator on loopback whose system-user lookup asks this gateway over
// HTTP (as Maskinporten asks Altinn), driven by a plain Go client replaying
// distinct pre-signed assertions (each may be used once). The client signs
// with ES256 so that pre-signing costs little next to the server's RS256.
type tokenBench struct {
	url    string
	bodies []string
	used   atomic.Int64 // assertions sent so far, over all runs
}

func newTokenBench(tb testing.TB, e *authzEnv, count int) *tokenBench {
	tb.Helper()
	const clientID, scope = "bench-client", "bench:scale"
	if _, err := e.bdb.NewInsert().Model(&db.SystemClient{SystemID: e.systemID, ClientID: clientID}).Exec(context.Background()); err != nil {
		tb.Fatal(err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	key := jose.JSONWebKey{Key: priv, KeyID: "bench", Algorithm: string(jose.ES256), Use: "sig"}
	clients := simulator.NewMemoryClientStore()
	if err := clients.Create(context.Background(), simulator.Client{ID: clientID, OrgNumber: e.vendor, Name: "bench",
		Scopes: []string{scope}, Keys: []jose.JSONWebKey{key.Public()}}); err != nil {
		tb.Fatal(err)
	}
	lookupToken := e.ge.VendorToken(tb, "991825827", identity.ScopeSystemUserLookup)
	// A fixed clock for the simulator and the assertions: an iat may lag the
	// server by 10 s at most, and the assertions are signed before a run of
	// minutes. (As the simulator's own benchmark does.)
	signedAt := time.Now()
	fixed := func() time.Time { return signedAt }
	srv, err := simulator.NewServer(simulator.Config{Issuer: gatewaytest.Issuer, Keys: e.ge.Keys, Clients: clients,
		ReplayCacheSize: 1 << 20, Now: fixed,
		Lookup: &simulator.HTTPSystemUserLookup{BaseURL: e.gatewayURL, Client: e.ge.Client,
			Token: func(context.Context) (string, error) { return lookupToken, nil }}})
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(hs.Close)
	b := &tokenBench{url: hs.URL + "/token", bodies: make([]string, count)}
	for i := range b.bodies {
		a, err := mpclient.Assertion{ClientID: clientID, Key: key, Audience: gatewaytest.Issuer, Scopes: []string{scope},
			SystemUserOrg: e.owner, ExternalRef: e.cachedUser.String(), Lifetime: 120 * time.Second, Now: fixed}.Sign()
		if err != nil {
			tb.Fatal(err)
		}
		b.bodies[i] = url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {a}}.Encode()
	}
	return b
}

// run issues tokens over conns keep-alive connections for d, or until the
// assertions run out, and returns the figures.
func (b *tokenBench) run(d time.Duration, conns int) (wrkResult, int, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	next := &b.used
	deadline := time.Now().Add(d)
	lat := make([][]time.Duration, conns)
	var errs atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for c := range conns {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if int(i) >= len(b.bodies) {
					return
				}
				t0 := time.Now()
				resp, err := hc.Post(b.url, "application/x-www-form-urlencoded", strings.NewReader(b.bodies[i]))
				if err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "access_token") {
						err = fmt.Errorf("status %d: %.300s", resp.StatusCode, body)
					}
				}
				if err != nil {
					errs.Add(1)
					once.Do(func() { firstErr = err })
					continue
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return wrkResult{}, 0, fmt.Errorf("no token issued (%d of %d assertions used): %w", next.Load(), len(b.bodies), firstErr)
	}
	slices.Sort(all)
	r := wrkResult{rps: float64(len(all)) / elapsed.Seconds(), p50: all[len(all)/2], p99: all[len(all)*99/100], errors: int(errs.Load())}
	if firstErr != nil {
		return r, len(all), fmt.Errorf("%d errors, first: %w", errs.Load(), firstErr)
	}
	return r, len(all), nil
}
