package db

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// EventsChannel is the NOTIFY channel the triggers of migration
// 20261125000002_events announce every state change on.
const EventsChannel = "systemuser_events"

// KindReset is the listener's own event kind, not the database's: it tells
// subscribers that events may have been missed (the listener connection was
// lost or re-established, or the subscriber fell behind), so anything derived
// from earlier events must be dropped. The domain's kinds, which the
// triggers send, are named in registry.
const KindReset = "reset"

// Status values of a KindReset event.
const (
	ResetConnected    = "connected"    // listening again; events from now on arrive
	ResetDisconnected = "disconnected" // events are being missed until the next "connected"
	ResetOverflow     = "overflow"     // this subscriber fell behind; its backlog was dropped
)

// Event is one state change announced by the database (or a KindReset).
type Event struct {
	Kind   string `json:"kind"`
	ID     string `json:"id,omitempty"`
	Org    string `json:"org,omitempty"`
	Status string `json:"status,omitempty"`
}

// PingChannelPrefix begins the name of the channel each listener notifies
// itself on; a query counter leaves these heartbeats out.
const PingChannelPrefix = "systemuser_ping_"

// ListenerOptions tune a Listener; zero values take the defaults.
type ListenerOptions struct {
	// PingInterval: the listener notifies itself this often; two intervals
	// without any notification mean the connection is dead (a half-open TCP
	// connection never errors on read).
	PingInterval time.Duration // default 2s
	MinBackoff   time.Duration // default 50ms
	// MaxBackoff bounds the wait between reconnection attempts, and so how
	// long readiness (which needs the listener) lags a database that came
	// back. An attempt against a server that is down costs one refused
	// dial, so a short bound is cheap.
	MaxBackoff time.Duration // default 250ms
}

// Listener receives the database's events on one dedicated connection and
// fans them out to any number of subscribers.
//
// A subscriber that falls behind never blocks the others: when its buffer is
// full, its backlog is discarded and replaced by one Event{Kind: KindReset,
// Status: ResetOverflow}. A reset supersedes every event (a cache drops all),
// so the subscriber loses nothing it could act on, only precision.
type Listener struct {
	bdb    *bun.DB
	logger *slog.Logger
	opts   ListenerOptions
	ping   string // this listener's private ping channel

	connected atomic.Bool

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	ch chan Event
}

// NewListener prepares a listener on bdb, which must use bun's pgdriver (the
// only driver with LISTEN support here). Nothing happens before Run.
func NewListener(bdb *bun.DB, logger *slog.Logger) *Listener {
	return NewListenerWithOptions(bdb, logger, ListenerOptions{})
}

// NewListenerWithOptions is NewListener with tuning, for tests and operators.
func NewListenerWithOptions(bdb *bun.DB, logger *slog.Logger, opts ListenerOptions) *Listener {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 2 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 50 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(250*time.Millisecond, opts.MinBackoff)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Listener{
		bdb:    bdb,
		logger: logger,
		opts:   opts,
		ping:   PingChannelPrefix + hex.EncodeToString(b[:]),
		subs:   make(map[*subscriber]struct{}),
	}
}

// Connected reports whether the listener is currently listening, for
// readiness probes: while it is false, events are being missed.
func (l *Listener) Connected() bool { return l.connected.Load() }

// Subscribe returns a channel of events with room for buffer events (at
// least 1) and a cancel func that closes it. The channel is also closed when
// Run returns. The first event may be a KindReset.
func (l *Listener) Subscribe(buffer int) (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event, max(buffer, 1))}
	l.mu.Lock()
	if l.closed {
		close(s.ch)
		l.mu.Unlock()
		return s.ch, func() {}
	}
	l.subs[s] = struct{}{}
	l.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if _, ok := l.subs[s]; ok {
				delete(l.subs, s)
				close(s.ch)
			}
		})
	}
}

// publish delivers ev to every subscriber without blocking.
func (l *Listener) publish(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.subs {
		select {
		case s.ch <- ev:
			continue
		default:
		}
		// Full: we are the only sender (under l.mu), so after draining there
		// is room for the reset.
	drain:
		for {
			select {
			case <-s.ch:
			default:
				break drain
			}
		}
		s.ch <- Event{Kind: KindReset, Status: ResetOverflow}
		l.logger.Warn("event subscriber fell behind; its backlog was replaced by a reset")
	}
}

func (l *Listener) closeSubscribers() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for s := range l.subs {
		delete(l.subs, s)
		close(s.ch)
	}
}

// Run listens until ctx ends, reconnecting with exponential backoff; it
// returns ctx's error. Every loss of the connection is announced to
// subscribers as a reset (ResetDisconnected) and every (re)connection as
// another (ResetConnected), since events in between were missed. Run may be
// called once; when it returns, all subscriptions are closed.
func (l *Listener) Run(ctx context.Context) error {
	defer l.closeSubscribers()
	if _, ok := l.bdb.Driver().(pgdriver.Driver); !ok {
		return errors.New("db: listener needs the pgdriver driver")
	}
	backoff := l.opts.MinBackoff
	// During an outage every attempt fails: one warning when it starts,
	// then one every logEvery with the count, not one per attempt.
	const logEvery = 10 * time.Second
	var failures int
	var lastLog time.Time
	for {
		listened, err := l.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if listened {
			backoff = l.opts.MinBackoff // it was up: a fresh failure
			failures = 0
		}
		failures++
		if failures == 1 || time.Since(lastLog) >= logEvery {
			l.logger.Warn("event listener lost its connection; reconnecting", "error", err, "attempts", failures)
			lastLog = time.Now()
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, l.opts.MaxBackoff)
	}
}

// session is one connection's lifetime: listen, deliver, return on the first
// connection error. Receive runs without a read timeout: on a timeout
// pgdriver would silently swap in a new connection, hiding the gap.
func (l *Listener) session(ctx context.Context) (listened bool, _ error) {
	ln := pgdriver.NewListener(l.bdb)
	var dead atomic.Value                                     // error: why the pinger closed the connection
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() }) // unblocks Receive
	pctx, stopPinger := context.WithCancel(ctx)
	pingerDone := make(chan struct{})
	defer func() {
		stop()
		stopPinger()
		_ = ln.Close()
		<-pingerDone
		if l.connected.Swap(false) {
			l.publish(Event{Kind: KindReset, Status: ResetDisconnected})
		}
	}()
	if err := ln.Listen(ctx, EventsChannel, l.ping); err != nil {
		close(pingerDone)
		return false, fmt.Errorf("db: listen: %w", err)
	}
	// LISTEN was only written, not acknowledged; the first notification
	// through our ping channel proves the server registered it, so only then
	// do we announce that events flow.
	var heard atomic.Bool
	go func() {
		defer close(pingerDone)
		// Until the first ping comes back, ping often: a ping that raced
		// the LISTEN is lost, and readiness waits for one to arrive.
		quick := time.NewTicker(l.opts.PingInterval / 40)
		for first := time.Now(); !heard.Load() && time.Since(first) < l.opts.PingInterval; {
			if err := l.sendPing(pctx); err != nil {
				quick.Stop()
				dead.Store(err)
				_ = ln.Close()
				return
			}
			select {
			case <-pctx.Done():
				quick.Stop()
				return
			case <-quick.C:
			}
		}
		quick.Stop()
		t := time.NewTicker(l.opts.PingInterval)
		defer t.Stop()
		misses := 0
		for {
			if err := l.sendPing(pctx); err != nil {
				dead.Store(err)
				_ = ln.Close()
				return
			}
			select {
			case <-pctx.Done():
				return
			case <-t.C:
			}
			// Two silent intervals: the first ping may race the LISTEN
			// (sent on another connection) and be lost harmlessly.
			if heard.Swap(false) {
				misses = 0
			} else if misses++; misses >= 2 {
				dead.Store(errors.New("db: listener ping timed out"))
				_ = ln.Close()
				return
			}
		}
	}()
	announced := false
	for {
		channel, payload, err := ln.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return announced, ctx.Err()
			}
			if why, ok := dead.Load().(error); ok {
				return announced, why
			}
			return announced, fmt.Errorf("db: receive: %w", err)
		}
		heard.Store(true)
		if !announced {
			// Whatever a subscriber derived before this point may be stale.
			announced = true
			l.connected.Store(true)
			l.publish(Event{Kind: KindReset, Status: ResetConnected})
		}
		if channel != EventsChannel {
			continue
		}
		var ev Event
		if err := json.Unmarshal([]byte(payload), &ev); err != nil || ev.Kind == "" {
			// An event we cannot read is an event we missed.
			l.logger.Error("unreadable event payload; resetting subscribers", "error", err)
			ev = Event{Kind: KindReset, Status: ResetOverflow}
		}
		l.publish(ev)
	}
}

func (l *Listener) sendPing(ctx context.Context) error {
	if err := pgdriver.Notify(ctx, l.bdb, l.ping, ""); err != nil {
		return fmt.Errorf("db: listener ping: %w", err)
	}
	return nil
}
