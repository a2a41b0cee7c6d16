package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// RestartGateway stops the gateway container and starts it again, then
// waits until /readyz answers 200. The gateway keeps its URL. Tests using
// the gateway meanwhile see connection errors, so run it from a test that
// is not parallel with others on the same Stack.
func (s *Stack) RestartGateway(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	stop := 10 * time.Second
	if err := s.gateway.Stop(ctx, &stop); err != nil {
		return fmt.Errorf("e2e: stop gateway: %w", err)
	}
	if err := s.gateway.Start(ctx); err != nil {
		return fmt.Errorf("e2e: start gateway: %w%s", err, logTail(ctx, s.gateway))
	}
	return s.waitReady(ctx, s.GatewayURL+"/readyz")
}

// StartGateway starts one more gateway instance on the same database and
// simulator (for multi-instance tests) and returns its loopback URL. Close
// removes it.
func (s *Stack) StartGateway(ctx context.Context) (string, error) {
	s.mu.Lock()
	s.instances++
	n := s.instances + 1
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return "", errClosed
	}
	ctr, port, err := s.opts.runApp(ctx, s.gatewaySpec("gateway-"+strconv.Itoa(n), s.SimulatorURL))
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.Join(errClosed, terminate(ctr))
	}
	s.extra = append(s.extra, ctr)
	return "http://127.0.0.1:" + port, nil
}

// waitReady polls url until it answers 200 or the startup timeout passes;
// the engine's "started" says nothing about the listener.
func (s *Stack) waitReady(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.StartupTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := s.HTTP.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("e2e: %s not ready: %w", url, last)
		case <-tick.C:
		}
	}
}
