package db

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// dialer connects to the database server, remembering the addresses each
// host name last resolved to. While the server restarts, the name may stop
// resolving for a while (Docker's DNS drops a stopped container's name and
// answers only some time after it is back; a cluster DNS can hiccup too),
// though the server answers on its old address at once. So once a name has
// resolved, a lookup gets a short budget, and a failed one falls back to
// the last addresses instead of failing the connection.
type dialer struct {
	timeout      time.Duration // the whole dial, lookup included
	lookupBudget time.Duration // for a lookup when last-known addresses exist
	lookupHost   func(ctx context.Context, host string) ([]string, error)
	net          net.Dialer

	mu   sync.Mutex
	last map[string][]string // host -> addresses of its last good lookup
}

func newDialer(timeout time.Duration) *dialer {
	return &dialer{
		timeout:      timeout,
		lookupBudget: timeout / 4,
		lookupHost:   net.DefaultResolver.LookupHost,
		// Keep-alive probes find a connection whose server vanished without
		// closing it (a dropped VM, a partition) within about a minute.
		net:  net.Dialer{KeepAlive: 15 * time.Second},
		last: map[string][]string{},
	}
}

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	host, port, err := net.SplitHostPort(addr)
	if err != nil || net.ParseIP(host) != nil || network == "unix" {
		return d.net.DialContext(ctx, network, addr)
	}
	ips, err := d.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, ip := range ips {
		c, err := d.net.DialContext(ctx, network, net.JoinHostPort(ip, port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func (d *dialer) lookup(ctx context.Context, host string) ([]string, error) {
	d.mu.Lock()
	last := d.last[host]
	d.mu.Unlock()
	lctx := ctx
	if len(last) > 0 {
		var cancel context.CancelFunc
		lctx, cancel = context.WithTimeout(ctx, d.lookupBudget)
		defer cancel()
	}
	ips, err := d.lookupHost(lctx, host)
	if err == nil && len(ips) > 0 {
		d.mu.Lock()
		d.last[host] = ips
		d.mu.Unlock()
		return ips, nil
	}
	if len(last) > 0 && ctx.Err() == nil {
		return last, nil
	}
	if err == nil {
		err = fmt.Errorf("lookup %s: no addresses", host)
	}
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: err}
}
