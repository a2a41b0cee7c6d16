package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/testclient"
)

// The fault suite stops and starts PostgreSQL, kills the LISTEN session
// and stops gateways, so it has a Stack of its own: the other suites share
// theirs in parallel. Its tests are not parallel with one another.
var faultShared struct {
	once  sync.Once
	stack *Stack
	err   error
}

func faultStackT(t *testing.T) *Stack {
	t.Helper()
	faultShared.once.Do(func() {
		logger := slog.New(slog.DiscardHandler)
		if testing.Verbose() {
			logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		faultShared.stack, faultShared.err = Start(ctx, Options{Logger: logger})
	})
	SkipUnavailable(t, faultShared.err)
	return faultShared.stack
}

func closeFaultStack() error {
	if faultShared.stack == nil {
		return nil
	}
	return faultShared.stack.Close()
}

// outcome is one request of a fault test's load.
type outcome struct {
	kind       string // "authorize", "revoked", "read"
	start, end time.Time
	status     int    // 0: the request failed in transport
	decision   string // authorize's XACML decision
	retryAfter bool
	jsonBody   bool
	err        error
}

func (o outcome) failed() bool { return o.status == 0 || o.status >= 400 }

// success is a request that needed the database and got its answer: a
// Permit for the live system user (the cache is off while the listener is
// down, so a Permit then is a database read).
func (o outcome) success() bool {
	return o.kind == "authorize" && o.status == 200 && o.decision == "Permit"
}

type recorder struct {
	mu  sync.Mutex
	out []outcome
}

func (r *recorder) add(o outcome) {
	r.mu.Lock()
	r.out = append(r.out, o)
	r.mu.Unlock()
}

func (r *recorder) all() []outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]outcome(nil), r.out...)
}

// faultClient sends the load's requests over keep-alive connections.
type faultClient struct {
	base, soToken string
	readToken     string // a vendor's, for "read"
	live, revoked uuid.UUID
	hc            *http.Client
}

func newFaultClient(base, soToken string, live, revoked uuid.UUID) *faultClient {
	return &faultClient{base: base, soToken: soToken, live: live, revoked: revoked,
		hc: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

func xacmlFor(id uuid.UUID) string {
	return `{"Request":{"AccessSubject":[{"Attribute":[{"AttributeId":"urn:altinn:systemuser:uuid","Value":"` + id.String() + `"}]}],` +
		`"Action":[{"Attribute":[{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":"read"}]}],` +
		`"Resource":[{"Attribute":[{"AttributeId":"urn:altinn:resource","Value":"` + demoResource + `"},` +
		`{"AttributeId":"urn:altinn:organization:identifier-no","Value":"` + bakeryOrg + `"}]}]}}`
}

func (c *faultClient) do(ctx context.Context, kind string) outcome {
	o := outcome{kind: kind, start: time.Now()}
	var req *http.Request
	switch kind {
	case "authorize", "revoked":
		id := c.live
		if kind == "revoked" {
			id = c.revoked
		}
		req, _ = http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/authorization/api/v1/authorize", strings.NewReader(xacmlFor(id)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.soToken)
	default:
		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/authentication/api/v1/systemregister/vendor", nil)
		req.Header.Set("Authorization", "Bearer "+c.readToken)
	}
	resp, err := c.hc.Do(req)
	o.end = time.Now()
	if err != nil {
		o.err = err
		return o
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	o.end = time.Now()
	if err != nil {
		o.err = err
		return o
	}
	o.status = resp.StatusCode
	o.retryAfter = resp.Header.Get("Retry-After") != ""
	o.jsonBody = json.Valid(body) && strings.Contains(resp.Header.Get("Content-Type"), "json")
	if kind != "read" && resp.StatusCode == http.StatusOK {
		var out struct {
			Response []struct{ Decision string } `json:"response"`
		}
		if json.Unmarshal(body, &out) == nil && len(out.Response) == 1 {
			o.decision = out.Response[0].Decision
		}
	}
	return o
}

// runLoad sends requests from workers goroutines, round-robin over kinds,
// until ctx ends; stop waits for them and returns what they saw.
func runLoad(ctx context.Context, c *faultClient, workers int, kinds ...string) (stop func() []outcome) {
	ctx, cancel := context.WithCancel(ctx)
	rec := &recorder{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ctx.Err() == nil; i++ {
				o := c.do(ctx, kinds[i%len(kinds)])
				if ctx.Err() != nil && o.status == 0 {
					return // cut off by stop, not by the fault
				}
				rec.add(o)
			}
		}()
	}
	return func() []outcome {
		cancel()
		wg.Wait()
		return rec.all()
	}
}

// tally counts outcomes by what a client would see.
type tally struct {
	total, ok, unavailable, otherErr, transport, nonJSON, permits, indeterminate int
}

func (t tally) String() string {
	return fmt.Sprintf("%d requests: %d ok, %d 503 with Retry-After, %d other errors, %d transport failures, %d non-JSON errors; %d Permit, %d Indeterminate",
		t.total, t.ok, t.unavailable, t.otherErr, t.transport, t.nonJSON, t.permits, t.indeterminate)
}

func count(os []outcome, keep func(outcome) bool) tally {
	var t tally
	for _, o := range os {
		if !keep(o) {
			continue
		}
		t.total++
		switch {
		case o.status == 0:
			t.transport++
		case o.status == 503 && o.retryAfter:
			t.unavailable++
		case o.status >= 400:
			t.otherErr++
		default:
			t.ok++
		}
		if o.status >= 400 && !o.jsonBody {
			t.nonJSON++
		}
		switch o.decision {
		case "Permit":
			t.permits++
		case "Indeterminate":
			t.indeterminate++
		}
	}
	return t
}

// countLogged polls the decision log until it holds want Permits of id or
// timeout passes, and returns the last count.
func countLogged(t *testing.T, s *Stack, id uuid.UUID, want int, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var n int
		err := s.DB.NewRaw(`SELECT count(*) FROM decisions WHERE system_user_id = ? AND result = 'Permit'`, id).Scan(t.Context(), &n)
		if err == nil && (n >= want || time.Now().After(deadline)) {
			return n
		}
		if err != nil && time.Now().After(deadline) {
			t.Fatalf("count decisions: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // the log writes every 200 ms
	}
}

func firstSuccessAfter(os []outcome, ready time.Time) (time.Duration, bool) {
	best, found := time.Duration(0), false
	for _, o := range os {
		if o.success() && !o.end.Before(ready) {
			d := max(o.end.Sub(ready), 0)
			if !found || d < best {
				best, found = d, true
			}
		}
	}
	return best, found
}

func deleteSystemUser(t *testing.T, s *Stack, id uuid.UUID) time.Time {
	t.Helper()
	gql(t, s, personToken(t, s, kariPID), deleteSUDoc, map[string]any{"id": id.String()}, nil)
	return time.Now()
}

// Postgres stops for two seconds and starts again while the gateway is
// under load. During the outage answers are 503 with Retry-After (or
// authorize's 200 Indeterminate), never a 500 and never a Permit for a
// revoked system user; a second after Postgres is back nothing fails; and
// every Permit answered is in the decision log.
func TestFaultPostgresRestartUnderLoad(t *testing.T) {
	s := faultStackT(t)
	live := arrangeSystemUser(t, s, bakeryOrg, kariPID, uniqueRef(t))
	revoked := arrangeSystemUser(t, s, bakeryOrg, kariPID, uniqueRef(t))
	c := newFaultClient(s.GatewayURL, serviceOwnerToken(t, s), live, revoked)
	c.readToken = vendorToken(t, s)
	if o := c.do(t.Context(), "authorize"); o.decision != "Permit" {
		t.Fatalf("before the fault: %+v, want Permit", o)
	}
	stop := runLoad(t.Context(), c, 8, "authorize", "revoked", "read", "authorize")
	time.Sleep(time.Second) // load before the fault
	revokedAt := deleteSystemUser(t, s, revoked)
	time.Sleep(500 * time.Millisecond)
	down := time.Now()
	ok(t, s.StopPostgres(t.Context()))
	stoppedAt := time.Now()
	time.Sleep(2 * time.Second) // the outage
	ready, err := s.StartPostgres(t.Context())
	ok(t, err)
	time.Sleep(2 * time.Second) // load after the fault
	out := stop()

	during := count(out, func(o outcome) bool { return !o.start.Before(down) && o.start.Before(ready) })
	after := count(out, func(o outcome) bool { return !o.start.Before(ready) })
	settled := count(out, func(o outcome) bool { return !o.start.Before(ready.Add(time.Second)) && o.kind != "revoked" })
	var settledFailures int
	for _, o := range out {
		if !o.start.Before(ready.Add(time.Second)) && (o.failed() || (o.kind == "authorize" && o.decision != "Permit")) {
			settledFailures++
		}
	}
	var stale int
	for _, o := range out {
		if o.kind == "revoked" && o.decision == "Permit" && o.start.After(revokedAt.Add(time.Second)) {
			stale++
		}
	}
	first, found := firstSuccessAfter(out, ready)
	answered := count(out, func(o outcome) bool { return o.kind == "authorize" }).permits
	logged := countLogged(t, s, live, answered, 15*time.Second)
	lost := max(answered-logged, 0)

	t.Logf("postgres stopped in %v, down %v", stoppedAt.Sub(down).Round(time.Millisecond), ready.Sub(down).Round(time.Millisecond))
	t.Logf("during the outage: %v", during)
	t.Logf("after Postgres was ready: %v", after)
	t.Logf("from 1 s after ready: %v; failed: %d", settled, settledFailures)
	t.Logf("first success %v after Postgres was ready", first.Round(time.Millisecond))
	t.Logf("stale Permits (revoked system user, > 1 s after the delete): %d", stale)
	t.Logf("decision log: %d Permits answered, %d logged, %d lost", answered, logged, lost)

	if t.Failed() || settledFailures != 0 || !found {
		for _, o := range out {
			if !o.end.Before(ready.Add(-500 * time.Millisecond)) {
				t.Logf("%s at ready%+v took %v: HTTP %d %s %v", o.kind, o.start.Sub(ready).Round(time.Millisecond),
					o.end.Sub(o.start).Round(time.Millisecond), o.status, o.decision, o.err)
			}
		}
		t.Log(logTail(context.Background(), s.gateway))
	}
	if during.otherErr != 0 || after.otherErr != 0 || during.nonJSON != 0 {
		t.Errorf("errors other than 503 with Retry-After, or non-JSON errors: during %v; after %v", during, after)
	}
	if during.transport != 0 {
		t.Errorf("%d requests failed in transport during the outage; want answers", during.transport)
	}
	if settledFailures != 0 {
		t.Errorf("%d requests failed from 1 s after Postgres was ready, want 0", settledFailures)
	}
	if !found || first > time.Second {
		t.Errorf("first success %v after Postgres was ready (found %v), want ≤ 1 s", first, found)
	}
	if stale != 0 {
		t.Errorf("%d stale Permits, want 0", stale)
	}
	if lost != 0 {
		t.Errorf("%d Permits answered but not in the decision log, want 0", lost)
	}
}

// The gateway and the simulator sit idle while Postgres restarts; their
// first requests afterwards all succeed (no dead pooled connection is
// handed out), and readiness follows within a second.
func TestFaultPostgresRestartIdle(t *testing.T) {
	s := faultStackT(t)
	ref := uniqueRef(t)
	live := arrangeSystemUser(t, s, bakeryOrg, kariPID, ref)
	c := newFaultClient(s.GatewayURL, serviceOwnerToken(t, s), live, live)
	c.readToken = vendorToken(t, s)
	// Fill both pools with connections that the restart will kill.
	stop := runLoad(t.Context(), c, 32, "authorize", "read")
	for range 4 {
		_, err := s.SystemUserToken(t.Context(), bakeryOrg, ref)
		ok(t, err)
	}
	time.Sleep(300 * time.Millisecond)
	if warm := count(stop(), func(outcome) bool { return true }); warm.ok != warm.total {
		t.Fatalf("warm-up: %v", warm)
	}

	ok(t, s.StopPostgres(t.Context()))
	time.Sleep(3 * time.Second) // idle; longer than the simulator's client cache
	ready, err := s.StartPostgres(t.Context())
	ok(t, err)

	// Probes start every 10 ms, each on its own, as an orchestrator's do. A
	// probe that went out just before Postgres was back can take up to its
	// 1 s timeout; waiting for it before sending the next measured that
	// timeout, not the gateway (once 1.002 s, in CI).
	readyLag := make(chan time.Duration, 1)
	go func() {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel() // the probes still out
		probe := &http.Client{Timeout: time.Second}
		probeOK := make(chan time.Duration, 1)
		interval := time.NewTicker(10 * time.Millisecond)
		defer interval.Stop()
		giveUp := time.NewTimer(10*time.Second - time.Since(ready))
		defer giveUp.Stop()
		for {
			select {
			case lag := <-probeOK:
				readyLag <- lag
				return
			case <-giveUp.C:
				readyLag <- -1
				return
			case <-interval.C:
				go func() {
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.GatewayURL+"/readyz", nil)
					if resp, err := probe.Do(req); err == nil {
						resp.Body.Close()
						if resp.StatusCode == http.StatusOK {
							select {
							case probeOK <- time.Since(ready):
							default:
							}
						}
					}
				}()
			}
		}
	}()

	var failures []string
	var firstOK time.Duration = -1
	for i := range 40 {
		kind := []string{"authorize", "read"}[i%2]
		o := c.do(t.Context(), kind)
		if o.failed() || (kind == "authorize" && o.decision != "Permit") {
			failures = append(failures, fmt.Sprintf("%s: HTTP %d %s %v", kind, o.status, o.decision, o.err))
		} else if firstOK < 0 {
			firstOK = o.end.Sub(ready)
		}
	}
	var tokenFailures int
	for range 5 {
		if _, err := s.SystemUserToken(t.Context(), bakeryOrg, ref); err != nil {
			tokenFailures++
			failures = append(failures, "token: "+err.Error())
		}
	}
	lag := <-readyLag
	t.Logf("after an idle restart: %d gateway requests and 5 simulator tokens, %d failed (%d tokens); first success %v after Postgres was ready; /readyz 200 after %v",
		40, len(failures)-tokenFailures, tokenFailures, firstOK.Round(time.Millisecond), lag.Round(time.Millisecond))
	if len(failures) > 0 {
		t.Errorf("failures on an idle gateway after the restart, want 0:\n%s", strings.Join(failures, "\n"))
	}
	if firstOK < 0 || firstOK > time.Second {
		t.Errorf("first success %v after Postgres was ready, want ≤ 1 s", firstOK)
	}
	if lag < 0 || lag > time.Second {
		t.Errorf("/readyz answered 200 %v after Postgres was ready, want ≤ 1 s", lag)
	}
}

// The LISTEN session is killed and a system user deleted at once; the
// delete's event is lost with the session, yet no Permit is served from the
// cache for it a second later, and readiness recovers within a second.
func TestFaultListenerKilled(t *testing.T) {
	s := faultStackT(t)
	so := serviceOwnerToken(t, s)
	for round := range 3 {
		id := arrangeSystemUser(t, s, bakeryOrg, kariPID, uniqueRef(t))
		c := newFaultClient(s.GatewayURL, so, id, id)
		for range 3 { // warm the cache
			if o := c.do(t.Context(), "authorize"); o.decision != "Permit" {
				t.Fatalf("before: %+v", o)
			}
		}
		killedAt := time.Now()
		n, err := s.TerminateListeners(t.Context())
		ok(t, err)
		if n == 0 {
			t.Fatal("no LISTEN session to kill")
		}
		readyLag := make(chan time.Duration, 1)
		hc := testclient.New(t)
		var sawNotReady atomic.Bool
		go func() {
			for time.Since(killedAt) < 5*time.Second {
				if resp, err := hc.Get(s.GatewayURL + "/readyz"); err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						readyLag <- time.Since(killedAt)
						return
					}
					sawNotReady.Store(true)
				}
				time.Sleep(10 * time.Millisecond) // a probe interval
			}
			readyLag <- -1
		}()
		revokedAt := deleteSystemUser(t, s, id)
		var firstDeny time.Duration = -1
		stale := 0
		for time.Since(revokedAt) < 1500*time.Millisecond {
			o := c.do(t.Context(), "authorize")
			if o.decision == "Permit" && o.start.After(revokedAt.Add(time.Second)) {
				stale++
			}
			if o.decision != "Permit" && firstDeny < 0 {
				firstDeny = o.end.Sub(revokedAt)
			}
		}
		lag := <-readyLag
		t.Logf("round %d: killed %d LISTEN sessions; first non-Permit %v after the delete; stale Permits %d; /readyz 200 within %v of the kill (503 seen before: %v)",
			round, n, firstDeny.Round(time.Millisecond), stale, lag.Round(time.Millisecond), sawNotReady.Load())
		if firstDeny < 0 || firstDeny > time.Second || stale != 0 {
			t.Errorf("round %d: first non-Permit %v, stale Permits %d; want ≤ 1 s and 0", round, firstDeny, stale)
		}
		if lag < 0 || lag > time.Second {
			t.Errorf("round %d: /readyz back after %v, want ≤ 1 s", round, lag)
		}
	}
}

// SIGTERM reaches a gateway under keep-alive load. A load balancer polling
// /readyz stops sending when it answers 503; every request sent before
// that completes, and the gateway's decisions are all in the log.
func TestFaultSIGTERMUnderKeepAliveLoad(t *testing.T) {
	s := faultStackT(t)
	spec := s.gatewaySpec("gateway-sigterm", s.SimulatorURL)
	spec.env["SYSTEMUSER_DRAIN_PERIOD"] = "1s"
	ctr, port, err := s.opts.runApp(t.Context(), spec)
	ok(t, err)
	t.Cleanup(func() { _ = terminate(ctr) })
	base := "http://127.0.0.1:" + port

	live := arrangeSystemUser(t, s, bakeryOrg, kariPID, uniqueRef(t))
	c := newFaultClient(base, serviceOwnerToken(t, s), live, live)
	var routed atomic.Bool
	routed.Store(true)
	drainingAt := make(chan time.Time, 1)
	go func() {
		probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for {
			resp, err := probe.Get(base + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					routed.Store(false)
					drainingAt <- time.Now()
					return
				}
			}
			if !routed.Load() {
				return
			}
			time.Sleep(20 * time.Millisecond) // a load balancer's probe interval
		}
	}()
	rec := &recorder{}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for routed.Load() {
				rec.add(c.do(context.Background(), "authorize"))
			}
		}()
	}
	time.Sleep(time.Second) // keep-alive load before the signal
	sigterm := time.Now()
	stopped := make(chan error, 1)
	go func() {
		timeout := 20 * time.Second
		stopped <- ctr.Stop(context.Background(), &timeout) // docker stop: SIGTERM
	}()
	var drained time.Time
	select {
	case drained = <-drainingAt:
	case <-time.After(10 * time.Second):
		routed.Store(false)
		t.Error("/readyz never answered 503 after SIGTERM")
	}
	wg.Wait()
	ok(t, <-stopped)
	exited := time.Since(sigterm)
	state, err := ctr.State(context.Background())
	ok(t, err)

	out := rec.all()
	var inFlight, inFlightFailed, failed, permits int
	for _, o := range out {
		if o.start.Before(sigterm) && o.end.After(sigterm) {
			inFlight++
			if o.failed() {
				inFlightFailed++
			}
		}
		if o.failed() || o.decision != "Permit" {
			failed++
		}
		if o.decision == "Permit" {
			permits++
		}
	}
	logged := countLogged(t, s, live, permits, 5*time.Second)
	t.Logf("SIGTERM under keep-alive load (16 connections): %d requests, %d failed; %d in flight at SIGTERM, %d of them failed; /readyz 503 %v after SIGTERM; exited %v after SIGTERM with code %d",
		len(out), failed, inFlight, inFlightFailed, drained.Sub(sigterm).Round(time.Millisecond), exited.Round(time.Millisecond), state.ExitCode)
	t.Logf("decision log: %d Permits answered, %d logged, %d lost", permits, logged, max(permits-logged, 0))
	if failed != 0 || inFlightFailed != 0 {
		for _, o := range out {
			if o.failed() {
				t.Logf("failed: HTTP %d %v at %v after SIGTERM", o.status, o.err, o.start.Sub(sigterm))
				break
			}
		}
		t.Errorf("%d requests failed (%d in flight at SIGTERM), want 0", failed, inFlightFailed)
	}
	if state.ExitCode != 0 {
		t.Errorf("gateway exited with code %d, want 0%s", state.ExitCode, logTail(context.Background(), ctr))
	}
	if logged < permits {
		t.Errorf("%d Permits answered but only %d logged after a graceful stop", permits, logged)
	}
}
