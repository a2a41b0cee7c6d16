package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/db/seed"
	"github.com/systemuser-gateway/systemuser/testclient"
)

// On shutdown the gateway first drains: /readyz answers 503 while requests
// are still served, each with "Connection: close"; only then do the
// listeners close. Keep-alive clients that stop sending when /readyz says
// so (as a load balancer does) see no failed request.
func TestGracefulShutdownDrainsKeepAliveClients(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bdb := dbtest.New(t)
	state := t.TempDir()
	if _, err := seed.Load(ctx, bdb, filepath.Join(state, "keys")); err != nil {
		t.Fatal(err)
	}
	const drain = 500 * time.Millisecond
	app := &App{Config: Config{GatewayAddr: "127.0.0.1:0", SimulatorAddr: "127.0.0.1:0", StateDir: state,
		DrainPeriod: drain, ShutdownTimeout: 5 * time.Second, TrustLocalSimulator: true}, DB: bdb, Logger: testLogger(t), RunGateway: true, RunSimulator: true}
	if err := app.Listen(); err != nil {
		t.Fatal(err)
	}
	if err := app.Build(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx) }()
	s := &stack{app: app, hc: testclient.New(t)}
	s.hc.Timeout = 10 * time.Second
	s.waitReady(t)
	base := app.Config.GatewayURL

	// The load balancer: polls /readyz, stops routing here on a 503.
	var routed atomic.Bool
	routed.Store(true)
	sawDraining := make(chan struct{})
	go func() {
		probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for {
			resp, err := probe.Get(base + "/readyz")
			if err == nil {
				var body struct {
					Checks map[string]string `json:"checks"`
				}
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable && body.Checks["draining"] == "yes" {
					routed.Store(false)
					close(sawDraining)
					return
				}
			}
			time.Sleep(10 * time.Millisecond) // a probe interval, as a load balancer has
		}
	}()

	// Keep-alive clients, sending back to back.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var ok, failed, closedConns atomic.Int64
	var firstErr sync.Once
	var wg sync.WaitGroup
	started := make(chan struct{})
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; routed.Load(); n++ {
				var resp *http.Response
				var err error
				if i%2 == 0 {
					resp, err = client.Get(base + "/healthz")
				} else {
					resp, err = client.Post(base+"/graphql", "application/json", strings.NewReader(`{"query":"{__typename}"}`))
				}
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.Close {
						closedConns.Add(1)
					}
					if resp.StatusCode != http.StatusOK {
						err = &statusError{resp.StatusCode}
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.Do(func() { t.Errorf("request failed during shutdown: %v", err) })
					continue
				}
				if ok.Add(1) == 200 {
					close(started)
				}
			}
		}()
	}
	<-started
	stopAt := time.Now()
	cancel() // SIGTERM
	select {
	case <-sawDraining:
	case <-time.After(5 * time.Second):
		t.Fatal("/readyz never answered 503 draining")
	}
	wg.Wait()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	took := time.Since(stopAt)
	t.Logf("requests ok %d, failed %d, answered with Connection: close %d; shutdown took %v", ok.Load(), failed.Load(), closedConns.Load(), took)
	if failed.Load() != 0 {
		t.Errorf("%d requests failed, want 0", failed.Load())
	}
	if took < drain {
		t.Errorf("shut down after %v, before the drain period of %v", took, drain)
	}
	if _, err := testclient.New(t).Get(base + "/healthz"); err == nil {
		t.Error("gateway still answers after Serve returned")
	}
}

type statusError struct{ code int }

func (e *statusError) Error() string { return http.StatusText(e.code) }
