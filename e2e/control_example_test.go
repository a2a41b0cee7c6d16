package e2e_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/e2e"
	"github.com/systemuser-gateway/systemuser/simulator/mpclient"
	"github.com/systemuser-gateway/systemuser/simulator/simctl"
)

// The vendor code under test in these examples: a token client that
// retries when Maskinporten is briefly unavailable, and caches the token
// until shortly before it expires. A vendor's own code would stand here.

type tokenSource struct {
	hc     *http.Client
	url    string
	sign   func() (string, error) // a fresh assertion per attempt
	tries  int
	pause  time.Duration
	mu     sync.Mutex
	cached *mpclient.TokenResponse
	until  time.Time
}

// fetch retries 5xx answers and dropped connections; any 4xx is final.
func (ts *tokenSource) fetch(ctx context.Context) (*mpclient.TokenResponse, int, error) {
	var err error
	for attempt := 1; attempt <= ts.tries; attempt++ {
		var assertion string
		if assertion, err = ts.sign(); err != nil {
			return nil, attempt, err
		}
		var tr *mpclient.TokenResponse
		tr, err = mpclient.Exchange(ctx, ts.hc, ts.url, assertion)
		var mpErr *mpclient.Error
		if err == nil || errors.As(err, &mpErr) && mpErr.StatusCode < 500 {
			return tr, attempt, err
		}
		time.Sleep(ts.pause) // the vendor's backoff, not test synchronisation
	}
	return nil, ts.tries, err
}

// token is the cached token, fetched when missing or about to expire.
func (ts *tokenSource) token(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cached != nil && time.Now().Before(ts.until) {
		return ts.cached.AccessToken, nil
	}
	tr, _, err := ts.fetch(ctx)
	if err != nil {
		return "", err
	}
	ts.cached, ts.until = tr, time.Now().Add(time.Duration(tr.ExpiresIn)*time.Second-10*time.Second)
	return tr.AccessToken, nil
}

// TestControlExamples shows a vendor testing the unhappy paths of its
// Maskinporten integration with the simulator's control API. The subtests
// share one stack and run in parallel: each one's key keeps its faults and
// its request log to itself.
func TestControlExamples(t *testing.T) {
	t.Parallel()
	stack := e2e.StartT(t)

	newSource := func(ctl *simctl.Client, scopes ...string) *tokenSource {
		return &tokenSource{
			// The key travels on every token request, so only this test's
			// faults apply to them.
			hc:  &http.Client{Transport: ctl.Transport(nil), Timeout: 10 * time.Second},
			url: stack.TokenURL(),
			sign: func() (string, error) {
				return stack.SignAssertion(mpclient.Assertion{ClientID: stack.Demo.ClientID, Scopes: scopes})
			},
			tries: 3, pause: 10 * time.Millisecond,
		}
	}

	t.Run("RetryAfter503", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		ctl := stack.ControlT(t)
		if _, err := ctl.ArmFault(ctx, simctl.Fault{Count: 1, Status: 503, Error: "temporarily_unavailable"}); err != nil {
			t.Fatal(err)
		}
		tr, attempts, err := newSource(ctl, e2e.VendorScopes...).fetch(ctx)
		if err != nil || tr.AccessToken == "" || attempts != 2 {
			t.Fatalf("after one 503: token %v, %d attempts, %v; want a token on the second attempt", tr != nil, attempts, err)
		}
		log, err := ctl.Requests(ctx, simctl.RequestQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 2 || log[0].Status != 503 || log[1].Outcome != "issued" {
			t.Fatalf("request log %+v, want the 503 and then the token", log)
		}
	})

	t.Run("RetryAfterDroppedConnection", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		ctl := stack.ControlT(t)
		if _, err := ctl.ArmFault(ctx, simctl.Fault{Drop: true}); err != nil {
			t.Fatal(err)
		}
		src := newSource(ctl, e2e.VendorScopes...)
		src.hc.Transport = ctl.Transport(&http.Transport{DisableKeepAlives: true})
		if _, attempts, err := src.fetch(ctx); err != nil || attempts != 2 {
			t.Fatalf("after a dropped connection: %d attempts, %v", attempts, err)
		}
	})

	t.Run("NoRetryOnMP303", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		ctl := stack.ControlT(t)
		if _, err := ctl.ArmFault(ctx, simctl.Fault{Reason: "no_system_user"}); err != nil {
			t.Fatal(err)
		}
		_, attempts, err := newSource(ctl, e2e.VendorScopes...).fetch(ctx)
		var mpErr *mpclient.Error
		if !errors.As(err, &mpErr) || mpErr.Code != "invalid_altinn_customer_configuration" || attempts != 1 {
			t.Fatalf("MP-303: %d attempts, %v; want one attempt and the MP-303 error", attempts, err)
		}
	})

	t.Run("TokenCacheCallsTokenOnce", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		ctl := stack.ControlT(t)
		src := newSource(ctl, e2e.VendorScopes...)
		first, err := src.token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The cached token works at the gateway, twice, without a new one.
		for range 2 {
			tok, err := src.token(ctx)
			if err != nil || tok != first {
				t.Fatalf("cached token: %v (same: %v)", err, tok == first)
			}
			status, err := stack.Do(ctx, http.MethodGet, "/authentication/api/v1/systemregister/vendor", tok, nil, nil)
			if err != nil || status != http.StatusOK {
				t.Fatalf("gateway with the cached token: %d %v", status, err)
			}
		}
		log, err := ctl.Requests(ctx, simctl.RequestQuery{ClientID: stack.Demo.ClientID})
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 1 {
			t.Fatalf("the cache made %d /token calls, want exactly one: %+v", len(log), log)
		}
	})
}

// TestControlKeyRotation shows a verifier's JWKS refresh tested with the
// control API: the simulator rotates its signing key, and the gateway (the
// verifier here) must accept tokens signed with the new key and, while the
// old key stays published, the old ones too. It has its own stack: key
// rotation is global to a simulator.
func TestControlKeyRotation(t *testing.T) {
	t.Parallel()
	stack := e2e.StartT(t)
	ctx := t.Context()
	ctl := stack.ControlT(t)
	call := func(token string) int {
		t.Helper()
		status, err := stack.Do(ctx, http.MethodGet, "/authentication/api/v1/systemregister/vendor", token, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return status
	}
	before, err := stack.VendorToken(ctx)
	if err != nil || call(before) != http.StatusOK {
		t.Fatalf("before rotation: %v", err)
	}
	keys, err := ctl.RotateKeys(ctx, false)
	if err != nil || len(keys.Retired) != 1 {
		t.Fatalf("rotate: %+v %v", keys, err)
	}
	after, err := stack.VendorToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The gateway refetches the JWKS for an unknown kid at most every few
	// seconds (auth.refreshEvery), so the new key may take that long.
	deadline := time.Now().Add(15 * time.Second)
	for call(after) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the gateway never accepted a token signed with the rotated key")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if call(before) != http.StatusOK {
		t.Fatal("a token signed with the retired, still published key was refused")
	}
}
