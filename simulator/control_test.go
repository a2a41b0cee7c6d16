package simulator

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/simulator/simctl"
)

// newControlEnv is newEnv with the control API on, and its client.
func newControlEnv(t *testing.T, mutate ...func(*Config)) (*env, *simctl.Client) {
	t.Helper()
	e := newEnv(t, append([]func(*Config){func(c *Config) { c.Control = true }}, mutate...)...)
	ctl := simctl.New(e.ts.URL, "")
	ctl.HTTP = e.ts.Client()
	return e, ctl
}

// tokenWithKey posts a fresh assertion of the test client, carrying key.
func (e *env) tokenWithKey(t testing.TB, key string, mutate ...func(map[string]any)) tokenResult {
	t.Helper()
	g := e.grant()
	for _, m := range mutate {
		m(g)
	}
	form := url.Values{"grant_type": {grantTypeJWTBearer}, "assertion": {mustSign(t, e.key, jose.RS256, e.key.KeyID, g)}}
	req, err := http.NewRequest(http.MethodPost, e.ts.URL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if key != "" {
		req.Header.Set(simctl.KeyHeader, key)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := tokenResult{status: resp.StatusCode, header: resp.Header}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &r.body); err != nil {
		t.Fatalf("token response %d is not JSON: %q", resp.StatusCode, b)
	}
	return r
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestControlOffAnswers404(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, rt := range e.srv.controlRouteTable() {
		path := strings.ReplaceAll(rt.Path, "{id}", testClientID)
		req, _ := http.NewRequest(rt.Method, e.ts.URL+path, strings.NewReader(`{"count":1,"status":503,"error":"temporarily_unavailable"}`))
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s with control off: HTTP %d, want 404", rt.Method, path, resp.StatusCode)
		}
	}
	if _, err := simctl.New(e.ts.URL, "k").Faults(t.Context()); !errors.Is(err, simctl.ErrDisabled) {
		t.Errorf("simctl on a simulator without control: %v, want ErrDisabled", err)
	}
	// The token endpoint is untouched: no request is logged or faulted.
	if r := e.tokenWithKey(t, ""); r.status != http.StatusOK {
		t.Fatalf("token with control off: %d %v", r.status, r.body)
	}
}

// TestFaultAcceptanceBody posts the exact body the issue names.
func TestFaultAcceptanceBody(t *testing.T) {
	t.Parallel()
	e, _ := newControlEnv(t)
	resp, err := e.ts.Client().Post(e.ts.URL+"/control/faults", "application/json",
		strings.NewReader(`{"count": 1, "status": 503, "error": "temporarily_unavailable"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("arm fault: HTTP %d", resp.StatusCode)
	}
	r := e.tokenWithKey(t, "")
	if r.status != http.StatusServiceUnavailable || r.body["error"] != "temporarily_unavailable" || r.header.Get("Retry-After") == "" {
		t.Fatalf("faulted token: %d %v %v", r.status, r.body, r.header)
	}
	if r := e.tokenWithKey(t, ""); r.status != http.StatusOK {
		t.Fatalf("second token: %d %v (a count-1 fault must be spent)", r.status, r.body)
	}
}

func TestFaultErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      simctl.Fault
		wantStatus int
		wantError  string
		wantDesc   string
	}{
		{"MP303ByReason", simctl.Fault{Reason: "no_system_user"}, 400, "invalid_altinn_customer_configuration", descNoSystemUser},
		{"MP303ByCode", simctl.Fault{Error: "invalid_altinn_customer_configuration"}, 400, "invalid_altinn_customer_configuration", descNoSystemUser},
		{"ReplayedByReason", simctl.Fault{Reason: "jti_replayed"}, 400, "invalid_grant", descReplayed},
		{"ExpiredByReason", simctl.Fault{Reason: "expired"}, 400, "invalid_grant", descExpired},
		{"WrongAudience", simctl.Fault{Reason: "wrong_aud"}, 400, "invalid_grant", descWrongAudience},
		{"UnknownClient", simctl.Fault{Reason: "unknown_client"}, 400, "invalid_grant", descClientAuthFailed},
		{"BadSignature", simctl.Fault{Reason: "bad_signature"}, 400, "invalid_grant", descBadSignature},
		{"IssuedInFuture", simctl.Fault{Reason: "iat_in_future"}, 400, "invalid_grant", descIssuedInFuture},
		{"MalformedGrant", simctl.Fault{Reason: "malformed_assertion"}, 400, "invalid_request", descInvalidParameter},
		{"ScopeNotOnClient", simctl.Fault{Reason: "scope_not_allowed"}, 400, "invalid_scope", descInvalidScopes},
		{"InvalidScope", simctl.Fault{Error: "invalid_scope"}, 400, "invalid_scope", descInvalidScopes},
		{"InvalidGrant", simctl.Fault{Error: "invalid_grant"}, 400, "invalid_grant", descClientAuthFailed},
		{"OwnDescription", simctl.Fault{Error: "invalid_request", ErrorDescription: "custom"}, 400, "invalid_request", "custom"},
		{"Status502", simctl.Fault{Status: 502}, 502, "server_error", ""},
		{"Status500", simctl.Fault{Status: 500, Error: "server_error"}, 500, "server_error", "Internal error"},
		{"Status429", simctl.Fault{Status: 429, Error: "slow_down"}, 429, "slow_down", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, ctl := newControlEnv(t)
			f := must[simctl.Fault](t)(ctl.ArmFault(t.Context(), tt.fault))
			r := e.tokenWithKey(t, "")
			if r.status != tt.wantStatus || r.body["error"] != tt.wantError {
				t.Fatalf("got %d %v, want %d %s", r.status, r.body, tt.wantStatus, tt.wantError)
			}
			if tt.wantDesc != "" && r.body["error_description"] != tt.wantDesc {
				t.Errorf("description %q, want %q", r.body["error_description"], tt.wantDesc)
			}
			if r.header.Get(simctl.FaultHeader) != f.ID {
				t.Errorf("%s = %q, want %q", simctl.FaultHeader, r.header.Get(simctl.FaultHeader), f.ID)
			}
			if r := e.tokenWithKey(t, ""); r.status != http.StatusOK {
				t.Errorf("after the fault: %d %v", r.status, r.body)
			}
		})
	}
}

func TestFaultRejectsBadBodies(t *testing.T) {
	t.Parallel()
	e, _ := newControlEnv(t)
	for _, body := range []string{
		`{}`, `{"count":-1,"status":503}`, `{"status":200}`, `{"status":503,"delay_ms":600000}`,
		`{"reason":"no_such_reason"}`, `{"reason":"expired","status":500}`, `{"drop":true,"status":500}`,
		`{"error":"bad\"code"}`, `{"stauts":503}`, `not json`,
	} {
		resp, err := e.ts.Client().Post(e.ts.URL+"/control/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var ce simctl.Error
		_ = json.NewDecoder(resp.Body).Decode(&ce)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || ce.Code != "invalid" {
			t.Errorf("arm %s: HTTP %d %v, want 400 invalid", body, resp.StatusCode, ce)
		}
	}
	if fs := must[[]simctl.Fault](t)(simctl.New(e.ts.URL, "").Faults(t.Context())); len(fs) != 0 {
		t.Errorf("rejected bodies armed faults: %v", fs)
	}
}

func TestFaultFiltersAndCount(t *testing.T) {
	t.Parallel()
	e, ctl := newControlEnv(t)
	ctx := t.Context()
	must[simctl.Fault](t)(ctl.ArmFault(ctx, simctl.Fault{ClientID: "someone-else", Status: 503}))
	must[simctl.Fault](t)(ctl.ArmFault(ctx, simctl.Fault{Scope: "other:scope", Status: 503}))
	if r := e.tokenWithKey(t, ""); r.status != http.StatusOK {
		t.Fatalf("faults for another client or scope fired: %d %v", r.status, r.body)
	}
	must[simctl.Fault](t)(ctl.ArmFault(ctx, simctl.Fault{ClientID: testClientID, Scope: testScope, Count: 2, Error: "invalid_grant"}))
	for i := range 2 {
		if r := e.tokenWithKey(t, ""); r.status != http.StatusBadRequest {
			t.Fatalf("request %d: %d, want the fault", i, r.status)
		}
	}
	if r := e.tokenWithKey(t, ""); r.status != http.StatusOK {
		t.Fatalf("after count 2: %d", r.status)
	}
	fs := must[[]simctl.Fault](t)(ctl.Faults(ctx))
	if len(fs) != 2 {
		t.Fatalf("left armed: %v, want the two filtered ones", fs)
	}
	if err := ctl.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	if fs := must[[]simctl.Fault](t)(ctl.Faults(ctx)); len(fs) != 0 {
		t.Fatalf("after clear: %v", fs)
	}
}

// TestFaultKeyScoping: a fault armed under one key touches only requests
// carrying that key, and list/clear see only their own key.
func TestFaultKeyScoping(t *testing.T) {
	t.Parallel()
	e, ctl := newControlEnv(t)
	ctx := t.Context()
	a, b := ctl.WithKey("test-a"), ctl.WithKey("test-b")
	must[simctl.Fault](t)(a.ArmFault(ctx, simctl.Fault{Status: 503}))
	must[simctl.Fault](t)(b.ArmFault(ctx, simctl.Fault{Status: 503}))
	if r := e.tokenWithKey(t, ""); r.status != http.StatusOK {
		t.Errorf("unkeyed request hit a keyed fault: %d", r.status)
	}
	if r := e.tokenWithKey(t, "test-c"); r.status != http.StatusOK {
		t.Errorf("request of key c hit another key's fault: %d", r.status)
	}
	if err := b.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	if fs := must[[]simctl.Fault](t)(a.Faults(ctx)); len(fs) != 1 {
		t.Fatalf("b's clear touched a's faults: %v", fs)
	}
	if r := e.tokenWithKey(t, "test-b"); r.status != http.StatusOK {
		t.Errorf("b's cleared fault fired: %d", r.status)
	}
	if r := e.tokenWithKey(t, "test-a"); r.status != http.StatusServiceUnavailable {
		t.Errorf("a's fault did not fire: %d", r.status)
	}
	// The key may also come as a query parameter of the token URL.
	must[simctl.Fault](t)(a.ArmFault(ctx, simctl.Fault{Status: 500}))
	resp, err := e.ts.Client().PostForm(e.ts.URL+"/token?"+simctl.KeyQuery+"=test-a", url.Values{
		"grant_type": {grantTypeJWTBearer}, "assertion": {mustSign(t, e.key, jose.RS256, e.key.KeyID, e.grant())}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("key in the query: %d, want the fault's 500", resp.StatusCode)
	}
}

// TestFaultsParallelTests are two tests sharing one simulator, as parallel
// tests of a suite do: each arms its own fault under its own key, then both
// run their requests at the same time. Neither sees the other's fault or
// requests.
func TestFaultsParallelTests(t *testing.T) {
	t.Parallel()
	e, ctl := newControlEnv(t)
	var armed sync.WaitGroup
	armed.Add(2)
	run := func(key string, fault simctl.Fault, wantStatus int, wantError string) func(*testing.T) {
		return func(t *testing.T) {
			t.Parallel()
			c := ctl.WithKey(key)
			ctx := t.Context()
			must[simctl.Fault](t)(c.ArmFault(ctx, fault))
			armed.Done()
			armed.Wait() // both faults are armed before either test sends a request
			if fs := must[[]simctl.Fault](t)(c.Faults(ctx)); len(fs) != 1 || fs[0].Error != wantError {
				t.Fatalf("own faults: %v", fs)
			}
			first := e.tokenWithKey(t, key)
			second := e.tokenWithKey(t, key)
			if first.status != wantStatus || first.body["error"] != wantError {
				t.Errorf("first request: %d %v, want own fault %d %s", first.status, first.body, wantStatus, wantError)
			}
			if second.status != http.StatusOK {
				t.Errorf("second request: %d %v, want success", second.status, second.body)
			}
			log := must[[]simctl.Request](t)(c.Requests(ctx, simctl.RequestQuery{}))
			if len(log) != 2 || log[0].Outcome != wantError || log[1].Outcome != "issued" {
				t.Errorf("own request log: %+v", log)
			}
		}
	}
	t.Run("A", run("parallel-a", simctl.Fault{Count: 1, Status: 503, Error: "temporarily_unavailable"}, 503, "temporarily_unavailable"))
	t.Run("B", run("parallel-b", simctl.Fault{Count: 1, Reason: "no_system_user"}, 400, "invalid_altinn_customer_configuration"))
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	e, ctl := newControlEnv(t)
	must[simctl.Fault](t)(ctl.ArmFault(t.Context(), simctl.Fault{DelayMS: 300}))
	start := time.Now()
	r := e.tokenWithKey(t, "")
	took := time.Since(start)
	if r.status != http.StatusOK || took < 300*time.Millisecond {
		t.Fatalf("delayed token: %d after %v, want 200 after ≥ 300ms", r.status, took)
	}
	log := must[[]simctl.Request](t)(ctl.Requests(t.Context(), simctl.RequestQuery{}))
	if len(log) != 1 || log[0].LatencyMS < 300 || log[0].Fault == "" {
		t.Fatalf("log %+v", log)
	}
	// A delay followed by an error.
	must[simctl.Fault](t)(ctl.ArmFault(t.Context(), simctl.Fault{DelayMS: 50, Status: 504}))
	if r := e.tokenWithKey(t, ""); r.status != http.StatusGatewayTimeout {
		t.Fatalf("delay+status: %d", r.status)
	}
}

func TestFaultDropsConnection(t *testing.T) {
	t.Parallel()
	e, ctl := newControlEnv(t)
	must[simctl.Fault](t)(ctl.ArmFault(t.Context(), simctl.Fault{Drop: true}))
	form := url.Values{"grant_type": {grantTypeJWTBearer}, "assertion": {mustSign(t, e.key, jose.RS256, e.key.KeyID, e.grant())}}
	// A fresh transport: a reused idle connection would be retried by the
	// client on EOF and hide the drop.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.PostForm(e.ts.URL+"/token", form)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection answered HTTP %d", resp.StatusCode)
	}
	if r := e.tokenWithKey(t, ""); r.status != http.StatusOK {
		t.Fatalf("after the drop: %d", r.status)
	}
	log := must[[]simctl.Request](t)(ctl.Requests(t.Context(), simctl.RequestQuery{}))
	if len(log) != 2 || log[0].Outcome != "dropped" || log[1].Outcome != "issued" {
		t.Fatalf("log %+v", log)
	}
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	e, ctl := newControlEnv(t)
	ctx := t.Context()
	e.lookup.users[SystemUserQuery{ClientID: testClientID, SystemProviderOrgNo: testVendor, SystemUserOwnerOrgNo: testCustomer, ExternalRef: testCustomer}] =
		SystemUser{ID: "su-1", SystemID: testVendor + "_sys"}
	ad := []any{map[string]any{"type": SystemUserType, "systemuser_org": map[string]any{"authority": AuthorityISO6523, "ID": "0192:" + testCustomer}}}

	g := e.grant()
	g["authorization_details"] = ad
	assertion := mustSign(t, e.key, jose.RS256, e.key.KeyID, g)
	ok := e.exchange(t, assertion)
	if ok.status != http.StatusOK {
		t.Fatalf("system-user token: %d %v", ok.status, ok.body)
	}
	replayed := e.exchange(t, assertion)
	if replayed.status != http.StatusBadRequest {
		t.Fatalf("replay: %d", replayed.status)
	}
	e.clock.Add(time.Second)
	other := e.tokenWithKey(t, "", func(g map[string]any) { g["iss"] = "unknown-client" })
	if other.status != http.StatusBadRequest {
		t.Fatalf("unknown client: %d", other.status)
	}

	resp, err := e.ts.Client().Get(e.ts.URL + "/control/requests")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(raw), assertion) || strings.Contains(string(raw), strings.Split(assertion, ".")[2]) ||
		strings.Contains(string(raw), ok.body["access_token"].(string)) {
		t.Fatal("the request log holds an assertion or a token")
	}
	var all simctl.Requests
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	if all.Count != 3 || len(all.Requests) != 3 {
		t.Fatalf("log %s", raw)
	}
	first := all.Requests[0]
	if first.ClientID != testClientID || !slices.Equal(first.Scopes, []string{testScope}) || first.Status != 200 ||
		first.Outcome != "issued" || !strings.Contains(string(first.AuthorizationDetails), "0192:"+testCustomer) || first.LatencyMS <= 0 {
		t.Errorf("first entry %+v", first)
	}
	if r := all.Requests[1]; r.Outcome != "invalid_grant" || r.Reason != "jti_replayed" || r.Status != 400 {
		t.Errorf("replay entry %+v", r)
	}
	if r := all.Requests[2]; r.ClientID != "unknown-client" || r.Reason != "unknown_client" {
		t.Errorf("unknown client entry %+v", r)
	}

	byClient := must[[]simctl.Request](t)(ctl.Requests(ctx, simctl.RequestQuery{ClientID: testClientID}))
	if len(byClient) != 2 {
		t.Errorf("by client: %d entries", len(byClient))
	}
	// Time filters use the simulator's clock; the third request came a
	// second after the first two.
	since := must[[]simctl.Request](t)(ctl.Requests(ctx, simctl.RequestQuery{Since: e.clock.Now()}))
	until := must[[]simctl.Request](t)(ctl.Requests(ctx, simctl.RequestQuery{Until: e.clock.Now().Add(-time.Second)}))
	if len(since) != 1 || since[0].ClientID != "unknown-client" || len(until) != 2 {
		t.Errorf("since: %d entries, until: %d entries", len(since), len(until))
	}
	keyed := must[[]simctl.Request](t)(ctl.WithKey("nobody").Requests(ctx, simctl.RequestQuery{}))
	if len(keyed) != 0 {
		t.Errorf("another key's log: %v", keyed)
	}
	if err := ctl.ClearRequests(ctx); err != nil {
		t.Fatal(err)
	}
	if left := must[[]simctl.Request](t)(ctl.Requests(ctx, simctl.RequestQuery{})); len(left) != 0 {
		t.Errorf("after clear: %v", left)
	}
}

func TestClockOffset(t *testing.T) {
	t.Parallel()
	e, ctl := newControlEnv(t)
	ctx := t.Context()
	c := must[simctl.Clock](t)(ctl.SetClockOffset(ctx, time.Hour))
	if c.OffsetSeconds != 3600 || !c.Now.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("clock %+v, fake now %v", c, e.clock.Now())
	}
	// An assertion made on the caller's (unmoved) clock is an hour old to
	// the simulator.
	if r := e.tokenWithKey(t, ""); r.status != http.StatusBadRequest || r.body["error_description"] != descExpired {
		t.Fatalf("old assertion: %d %v, want expired", r.status, r.body)
	}
	// Issued tokens carry the moved clock.
	r := e.tokenWithKey(t, "", func(g map[string]any) {
		now := e.clock.Now().Add(time.Hour).Unix()
		g["iat"], g["exp"] = now, now+60
	})
	if r.status != http.StatusOK {
		t.Fatalf("token on the moved clock: %d %v", r.status, r.body)
	}
	var claims map[string]any
	claimsOf(t, e, r.body["access_token"].(string), &claims)
	if claims["iat"] != float64(e.clock.Now().Add(time.Hour).Unix()) {
		t.Errorf("iat %v, want the moved clock", claims["iat"])
	}
	c = must[simctl.Clock](t)(ctl.AdvanceClock(ctx, 30*time.Second))
	if c.OffsetSeconds != 3630 {
		t.Errorf("after advance: %+v", c)
	}
	if err := ctl.ResetClock(ctx); err != nil {
		t.Fatal(err)
	}
	if c := must[simctl.Clock](t)(ctl.Clock(ctx)); c.OffsetSeconds != 0 || !c.Now.Equal(e.clock.Now()) {
		t.Errorf("after reset: %+v", c)
	}
	if r := e.tokenWithKey(t, ""); r.status != http.StatusOK {
		t.Fatalf("after reset: %d", r.status)
	}
	for _, body := range []string{`{}`, `{"offset_seconds":1,"advance_seconds":1}`, `{"offset_seconds":999999999999}`} {
		req, _ := http.NewRequest(http.MethodPut, e.ts.URL+"/control/clock", strings.NewReader(body))
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PUT clock %s: %d", body, resp.StatusCode)
		}
	}
}

func jwksKids(t *testing.T, e *env) []string {
	t.Helper()
	resp, err := e.ts.Client().Get(e.ts.URL + "/jwk")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return kids(set)
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	// Its own key set: rotating the shared one would break other tests.
	fresh := func(c *Config) {
		ks, err := NewKeySet(KeyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c.Keys = ks
	}
	t.Run("KeepOld", func(t *testing.T) {
		t.Parallel()
		e, ctl := newControlEnv(t, fresh)
		ctx := t.Context()
		before := e.tokenWithKey(t, "")
		old := jwksKids(t, e)[0]
		k := must[simctl.Keys](t)(ctl.RotateKeys(ctx, false))
		if k.Current == old || len(k.Retired) != 1 || k.Retired[0].KeyID != old {
			t.Fatalf("keys after rotation %+v, old %s", k, old)
		}
		if got := jwksKids(t, e); !slices.Equal(got, []string{k.Current, old}) {
			t.Fatalf("/jwk %v", got)
		}
		var c map[string]any
		claimsOf(t, e, before.body["access_token"].(string), &c) // still verifies
		after := e.tokenWithKey(t, "")
		claimsOf(t, e, after.body["access_token"].(string), &c) // signed by the new key
		// Once every token the old key signed has expired (120 s + leeway),
		// it leaves /jwk.
		e.clock.Add(131 * time.Second)
		if got := jwksKids(t, e); !slices.Equal(got, []string{k.Current}) {
			t.Fatalf("/jwk after the old tokens expired: %v", got)
		}
	})
	t.Run("DropOld", func(t *testing.T) {
		t.Parallel()
		e, ctl := newControlEnv(t, fresh)
		old := jwksKids(t, e)[0]
		k := must[simctl.Keys](t)(ctl.RotateKeys(t.Context(), true))
		if got := jwksKids(t, e); !slices.Equal(got, []string{k.Current}) || k.Current == old || len(k.Retired) != 0 {
			t.Fatalf("/jwk after rotate+drop: %v (%+v)", got, k)
		}
	})
	t.Run("FollowsMovedClock", func(t *testing.T) {
		t.Parallel()
		e, ctl := newControlEnv(t, fresh)
		ctx := t.Context()
		old := jwksKids(t, e)[0]
		must[simctl.Keys](t)(ctl.RotateKeys(ctx, false))
		must[simctl.Clock](t)(ctl.SetClockOffset(ctx, 131*time.Second))
		if got := jwksKids(t, e); slices.Contains(got, old) {
			t.Fatalf("old key still published after the clock passed its tokens' expiry: %v", got)
		}
	})
}

func TestControlClients(t *testing.T) {
	t.Parallel()
	e, ctl := newControlEnv(t)
	ctx := t.Context()
	c := must[simctl.MaskinportenClient](t)(ctl.CreateClient(ctx, simctl.MaskinportenClient{
		ClientID: "runtime-client", OrgNumber: testCustomer, Scopes: []string{"test:scope"}, GenerateKey: true,
		Settings: &simctl.ClientSettings{TokenLifetimeSeconds: 30, ExtraClaims: map[string]any{"pid": "01017012345"}},
	}))
	if c.PrivateJWK == nil || len(c.JWKS.Keys) != 1 || c.Settings == nil {
		t.Fatalf("created %+v", c)
	}
	sign := func() tokenResult {
		now := e.clock.Now().Unix()
		a := mustSign(t, *c.PrivateJWK, jose.RS256, c.PrivateJWK.KeyID, map[string]any{
			"iss": "runtime-client", "aud": DefaultIssuer, "iat": now, "exp": now + 60, "jti": e.grant()["jti"], "scope": "test:scope"})
		return e.exchange(t, a)
	}
	r := sign()
	if r.status != http.StatusOK || r.body["expires_in"] != float64(30) {
		t.Fatalf("token of the runtime client: %d %v", r.status, r.body)
	}
	var claims map[string]any
	claimsOf(t, e, r.body["access_token"].(string), &claims)
	if claims["pid"] != "01017012345" || claims["exp"].(float64)-claims["iat"].(float64) != 30 || claims["client_id"] != "runtime-client" {
		t.Errorf("claims %v", claims)
	}
	list := must[[]simctl.MaskinportenClient](t)(ctl.Clients(ctx))
	i := slices.IndexFunc(list, func(x simctl.MaskinportenClient) bool { return x.ClientID == "runtime-client" })
	if i < 0 || list[i].PrivateJWK != nil || list[i].Settings == nil || list[i].Settings.TokenLifetimeSeconds != 30 {
		t.Fatalf("listed %+v", list)
	}
	// New settings replace the old ones.
	must[simctl.ClientSettings](t)(ctl.SetClientSettings(ctx, "runtime-client", simctl.ClientSettings{ExtraClaims: map[string]any{"scope": "forced"}}))
	r = sign()
	claimsOf(t, e, r.body["access_token"].(string), &claims)
	if r.body["expires_in"] != float64(120) || claims["scope"] != "forced" {
		t.Errorf("after new settings: %v, claims %v", r.body, claims)
	}
	if _, err := ctl.SetClientSettings(ctx, "nobody", simctl.ClientSettings{}); !isStatus(err, 404) {
		t.Errorf("settings of an unknown client: %v", err)
	}
	if _, err := ctl.SetClientSettings(ctx, "runtime-client", simctl.ClientSettings{TokenLifetimeSeconds: -1}); !isStatus(err, 400) {
		t.Errorf("negative lifetime: %v", err)
	}
	if _, err := ctl.CreateClient(ctx, simctl.MaskinportenClient{ClientID: "runtime-client", OrgNumber: testCustomer}); !isStatus(err, 409) {
		t.Errorf("duplicate: %v", err)
	}
	if err := ctl.DeleteClient(ctx, "runtime-client"); err != nil {
		t.Fatal(err)
	}
	if r := sign(); r.status != http.StatusBadRequest || r.header.Get(ReasonHeader) != "unknown_client" {
		t.Errorf("token of a deleted client: %d %v", r.status, r.body)
	}
	if err := ctl.DeleteClient(ctx, "runtime-client"); !isStatus(err, 404) {
		t.Errorf("delete twice: %v", err)
	}
}

func isStatus(err error, status int) bool {
	var ce *simctl.Error
	return errors.As(err, &ce) && ce.StatusCode == status
}

func TestClaimOverride(t *testing.T) {
	t.Parallel()
	e, ctl := newControlEnv(t)
	ctx := t.Context()
	mine := ctl.WithKey("claims-test")
	o := must[simctl.ClaimOverride](t)(mine.OverrideClaims(ctx, simctl.ClaimOverride{Claims: map[string]any{"client_amr": "virksomhetssertifikat", "extra": true}}))
	if o.ID == "" || o.Count != 1 {
		t.Fatalf("override %+v", o)
	}
	if l := must[[]simctl.ClaimOverride](t)(mine.ClaimOverrides(ctx)); len(l) != 1 {
		t.Fatalf("listed %v", l)
	}
	var c map[string]any
	claimsOf(t, e, e.tokenWithKey(t, "other-test").body["access_token"].(string), &c)
	if c["client_amr"] != ClientAMRPrivateKey || c["extra"] != nil {
		t.Fatalf("another key's token got the override: %v", c)
	}
	c = nil
	claimsOf(t, e, e.tokenWithKey(t, "claims-test").body["access_token"].(string), &c)
	if c["client_amr"] != "virksomhetssertifikat" || c["extra"] != true || c["client_id"] != testClientID {
		t.Fatalf("overridden claims %v", c)
	}
	c = nil
	claimsOf(t, e, e.tokenWithKey(t, "claims-test").body["access_token"].(string), &c)
	if c["client_amr"] != ClientAMRPrivateKey {
		t.Fatalf("the override is one-shot, second token %v", c)
	}
	// exp overrides move expires_in with them.
	must[simctl.ClaimOverride](t)(mine.OverrideClaims(ctx, simctl.ClaimOverride{Claims: map[string]any{"exp": e.clock.Now().Unix() + 5}}))
	if r := e.tokenWithKey(t, "claims-test"); r.body["expires_in"] != float64(5) {
		t.Errorf("expires_in with exp overridden: %v", r.body)
	}
	must[simctl.ClaimOverride](t)(mine.OverrideClaims(ctx, simctl.ClaimOverride{Claims: map[string]any{"x": 1}}))
	if err := mine.ClearClaimOverrides(ctx); err != nil {
		t.Fatal(err)
	}
	if l := must[[]simctl.ClaimOverride](t)(mine.ClaimOverrides(ctx)); len(l) != 0 {
		t.Errorf("after clear %v", l)
	}
	if _, err := mine.OverrideClaims(ctx, simctl.ClaimOverride{}); !isStatus(err, 400) {
		t.Errorf("empty override: %v", err)
	}
}

// TestControlTokenBodyLimit: with the request log in front, an oversized
// token request is still refused as malformed, not parsed truncated.
func TestControlTokenBodyLimit(t *testing.T) {
	t.Parallel()
	e, ctl := newControlEnv(t)
	assertion := mustSign(t, e.key, jose.RS256, e.key.KeyID, e.grant())
	r := e.postToken(t, url.Values{"grant_type": {grantTypeJWTBearer}, "assertion": {assertion}, "pad": {strings.Repeat("x", 70<<10)}})
	if r.status != http.StatusBadRequest || r.header.Get(ReasonHeader) != "malformed_request" {
		t.Fatalf("oversized request: %d %v", r.status, r.header.Get(ReasonHeader))
	}
	log := must[[]simctl.Request](t)(ctl.Requests(t.Context(), simctl.RequestQuery{}))
	if len(log) != 1 || log[0].Outcome != "invalid_request" {
		t.Fatalf("log %+v", log)
	}
}

// TestFaultEveryReason: each rejection the token endpoint can produce can
// be armed by its reason id and comes back exactly as the endpoint sends it.
func TestFaultEveryReason(t *testing.T) {
	t.Parallel()
	e, ctl := newControlEnv(t)
	for _, want := range oauthErrors {
		must[simctl.Fault](t)(ctl.ArmFault(t.Context(), simctl.Fault{Reason: want.ID}))
		r := e.tokenWithKey(t, "")
		if r.status != want.Status || r.body["error"] != want.Code || r.body["error_description"] != want.Description || r.header.Get(ReasonHeader) != want.ID {
			t.Errorf("reason %s: %d %v %s", want.ID, r.status, r.body, r.header.Get(ReasonHeader))
		}
	}
}

// TestFaultReasonsCoverEveryRejection reads the package's source: every
// package-level Err* rejection (a grantErr/requestErr/scopeErr call or an
// OAuthError literal) must be in oauthErrors, so a new rejection can be
// armed as a fault without anyone remembering the list.
func TestFaultReasonsCoverEveryRejection(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	//nolint:staticcheck // SA1019: the package has no build-tagged files, so ParseDir sees what the compiler sees
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared, listed := map[string]bool{}, map[string]bool{}
	for _, f := range pkgs["simulator"].Files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					if name.Name == "oauthErrors" {
						for _, el := range vs.Values[i].(*ast.CompositeLit).Elts {
							listed[el.(*ast.Ident).Name] = true
						}
					}
					if strings.HasPrefix(name.Name, "Err") && isRejection(vs.Values[i]) {
						declared[name.Name] = true
					}
				}
			}
		}
	}
	if len(declared) < 20 {
		t.Fatalf("found only %d rejections; the source scan is broken", len(declared))
	}
	for name := range declared {
		if !listed[name] {
			t.Errorf("%s is not in oauthErrors: a fault cannot name it", name)
		}
	}
	for name := range listed {
		if !declared[name] {
			t.Errorf("oauthErrors lists %s, which is not a declared rejection", name)
		}
	}
}

func isRejection(e ast.Expr) bool {
	switch v := e.(type) {
	case *ast.CallExpr:
		id, ok := v.Fun.(*ast.Ident)
		return ok && (id.Name == "grantErr" || id.Name == "requestErr" || id.Name == "scopeErr")
	case *ast.UnaryExpr:
		cl, ok := v.X.(*ast.CompositeLit)
		if !ok {
			return false
		}
		id, ok := cl.Type.(*ast.Ident)
		return ok && id.Name == "OAuthError"
	}
	return false
}

// TestControlRefusesPrivilegedScopes: the control API is as open as the
// dev admin API and follows its rule: no client, claim or debugger token
// with a privileged scope unless AllowPrivilegedScopes.
func TestControlRefusesPrivilegedScopes(t *testing.T) {
	t.Parallel()
	e, ctl := debuggerEnv(t)
	ctx := t.Context()
	if _, err := ctl.CreateClient(ctx, simctl.MaskinportenClient{ClientID: "wannabe-admin", OrgNumber: testCustomer, Scopes: []string{AdminScope}, GenerateKey: true}); !isStatus(err, 403) {
		t.Errorf("client with the admin scope: %v, want 403", err)
	}
	if _, err := ctl.CreateClient(ctx, simctl.MaskinportenClient{ClientID: "sneaky", OrgNumber: testCustomer, Scopes: []string{"x:y"},
		Settings: &simctl.ClientSettings{ExtraClaims: map[string]any{"scope": "x:y " + LookupScope}}}); !isStatus(err, 403) {
		t.Errorf("client whose extra claims hold the lookup scope: %v, want 403", err)
	}
	if _, err := ctl.OverrideClaims(ctx, simctl.ClaimOverride{Claims: map[string]any{"scope": "foo.admin"}}); !isStatus(err, 403) {
		t.Errorf("override to an .admin scope: %v, want 403", err)
	}
	if _, err := ctl.SetClientSettings(ctx, testClientID, simctl.ClientSettings{TokenLifetimeSeconds: 5}); !isStatus(err, 403) {
		t.Errorf("settings of a client holding the admin scope: %v, want 403", err)
	}
	if err := ctl.DeleteClient(ctx, testClientID); !isStatus(err, 403) {
		t.Errorf("deleting a client holding the admin scope: %v, want 403", err)
	}
	if status, _, body := postDebugger(t, e, url.Values{"client_id": {testClientID}, "scope": {AdminScope}}); status != http.StatusForbidden || strings.Contains(body, "access_token") {
		t.Errorf("debugger asked for the admin scope: %d", status)
	}
	if list := must[[]simctl.MaskinportenClient](t)(ctl.Clients(ctx)); len(list) != 1 {
		t.Errorf("refused requests created clients: %+v", list)
	}

	_, ctl2 := newControlEnv(t, func(c *Config) { c.AllowPrivilegedScopes = true })
	if _, err := ctl2.CreateClient(ctx, simctl.MaskinportenClient{ClientID: "admin-2", OrgNumber: testCustomer, Scopes: []string{AdminScope}}); err != nil {
		t.Errorf("with AllowPrivilegedScopes: %v", err)
	}
}
