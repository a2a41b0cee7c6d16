package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/simulator/simctl"
)

// Control is the simulator's control API (faults, request log, clock, keys,
// clients and claims) for the test that owns key: faults and claim
// overrides armed through it apply only to token requests carrying key
// (simctl.KeyHeader; ctl.Transport adds it), and its log queries see only
// those requests. The clock and the signing keys are global to the stack:
// tests that move them should not share a Stack with parallel tests.
func (s *Stack) Control(key string) *simctl.Client {
	return &simctl.Client{BaseURL: s.SimulatorURL, Key: key, HTTP: s.HTTP}
}

// ControlT is Control with a key unique to tb, whose faults and claim
// overrides are removed when tb ends.
//
//	ctl := stack.ControlT(t)
//	ctl.ArmFault(ctx, simctl.Fault{Count: 1, Status: 503, Error: "temporarily_unavailable"})
//	hc := &http.Client{Transport: ctl.Transport(nil)} // your token client's HTTP client
func (s *Stack) ControlT(tb testing.TB) *simctl.Client {
	tb.Helper()
	key := strings.NewReplacer(" ", "_", "/", ".").Replace(tb.Name()) + "-" + time.Now().Format("150405.000000")
	ctl := s.Control(key)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ctl.ClearFaults(ctx); err != nil {
			tb.Errorf("e2e: clear faults: %v", err)
		}
		if err := ctl.ClearClaimOverrides(ctx); err != nil {
			tb.Errorf("e2e: clear claim overrides: %v", err)
		}
	})
	return ctl
}
