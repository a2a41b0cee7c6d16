package db

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// Once a name has resolved, a lookup that hangs or fails (a DNS server that
// lost the name while the database restarted) falls back to the last
// addresses within the lookup budget.
func TestDialerFallsBackToLastAddresses(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	var dnsDown atomic.Bool
	d := newDialer(2 * time.Second)
	d.lookupHost = func(ctx context.Context, host string) ([]string, error) {
		if dnsDown.Load() {
			<-ctx.Done() // a DNS server that does not answer
			return nil, ctx.Err()
		}
		return []string{"127.0.0.1"}, nil
	}
	ctx := context.Background()
	dnsDown.Store(true)
	start := time.Now()
	if _, err := d.dial(ctx, "tcp", "never-resolved.test:"+port); err == nil {
		t.Fatal("a name that never resolved was dialled")
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("a name with no history gave up after %v, want the whole timeout", took)
	}
	dnsDown.Store(false)
	c, err := d.dial(ctx, "tcp", "pg.test:"+port)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	dnsDown.Store(true)
	start = time.Now()
	c, err = d.dial(ctx, "tcp", "pg.test:"+port)
	if err != nil {
		t.Fatalf("DNS down, last address known: %v", err)
	}
	c.Close()
	if took := time.Since(start); took > time.Second {
		t.Errorf("fallback took %v, want about the lookup budget (%v)", took, d.lookupBudget)
	}
	var opErr *net.OpError
	if _, err := d.dial(ctx, "tcp", "unknown.test:"+port); !errors.As(err, &opErr) {
		t.Errorf("failed lookup: %v, want a *net.OpError (so IsUnavailable sees it)", err)
	}
}
