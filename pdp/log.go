package pdp

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/systemuser-gateway/systemuser/db"
)

// LogOptions tune the decision log; zero values take the defaults.
//
// Decisions are written off the hot path: Authorize puts them on a bounded
// queue and a writer copies them into the database in batches (by size or
// age). What the log guarantees:
//
//   - A write that fails (the database is down or restarting) is retried
//     with a backoff that doubles from 100ms up to MaxBackoff, for as long
//     as it takes; the batch is kept, nothing is dropped. Only a batch the
//     database refuses for its data (SQLSTATE class 22 or 23) is dropped,
//     counted and logged after three attempts, since it can never succeed.
//   - Meanwhile the queue fills. A full queue makes Authorize wait up to
//     Block (back-pressure). If there is still no room, a Permit is not
//     given: the answer becomes Indeterminate (PROCESSING_ERROR) and is
//     counted (Stats.LogPermitsWithheld); any other decision is dropped and
//     counted (Stats.LogDropped). So every Permit answered is in the
//     database or in this process's queue.
//   - Close writes everything queued, retrying until its context ends;
//     what is still unwritten then is dropped, counted and logged.
//   - A crash (kill -9, power loss) loses what is in memory: the queue and
//     the batch being written, at most Queue+Batch decisions, Permits
//     included. Normally that is the last FlushEvery's; during a database
//     outage it is everything decided since the outage began, up to that
//     bound.
//
// Failures are logged at most once per logEvery per kind, with counts.
type LogOptions struct {
	Queue int // default 8192
	// Batch bounds one COPY. Every COPY costs the database a round of
	// work whatever its size, and the database shares the gateway's
	// cores: under wrk at ~19k cached REST authorizes a second, 500 gave
	// 0.77× the bare handler's req/s with a p99 of 0.97× its p99, where
	// 100 gave 0.69× and 0.74× (make bench-http, issue 14). (The Go load
	// generator of BenchmarkAuthorizeLoad had favoured 100 for p99; wrk
	// loads the server the way clients do.)
	Batch      int           // default 500
	FlushEvery time.Duration // default 200ms
	// Block is how long one Authorize call waits in total for room on a
	// full queue.
	Block time.Duration // default 1s
	// MaxBackoff bounds the wait between retries of a failed write, and so
	// how long after the database's return the backlog starts draining.
	MaxBackoff time.Duration // default 2s
}

// logEvery spaces out repeated error logs of one kind: an outage must not
// write an error line per decision.
const logEvery = 5 * time.Second

type decisionLog struct {
	bdb    *bun.DB
	logger *slog.Logger
	opts   LogOptions

	mu      sync.RWMutex // senders hold R; close holds W so the queue is never sent on after close
	closed  bool
	queue   chan Decision
	flushes chan chan error
	done    chan struct{}
	// dropped counts decisions never written (queue full, closed, or
	// abandoned when Close's context ended), for Engine.Stats.
	dropped atomic.Uint64
	// writeFailures counts failed COPY attempts (each is retried).
	writeFailures atomic.Uint64
	// abort ends the retries of a failed write once Close gives up.
	abortCtx context.Context
	abort    context.CancelFunc

	dropLog, writeLog logLimiter

	// buf is the writer goroutine's COPY payload, reused across batches.
	buf bytes.Buffer
}

func startDecisionLog(bdb *bun.DB, logger *slog.Logger, opts LogOptions) *decisionLog {
	if opts.Queue <= 0 {
		opts.Queue = 8192
	}
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = 200 * time.Millisecond
	}
	if opts.Block <= 0 {
		opts.Block = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 2 * time.Second
	}
	l := &decisionLog{
		bdb: bdb, logger: logger, opts: opts,
		queue:   make(chan Decision, opts.Queue),
		flushes: make(chan chan error),
		done:    make(chan struct{}),
	}
	l.abortCtx, l.abort = context.WithCancel(context.Background())
	// A row is ≈ 250 bytes of text; growing mid-batch would copy the payload.
	l.buf.Grow(opts.Batch * 320)
	go l.run()
	return l
}

// append queues d, waiting until deadline for room; it reports whether d
// was queued. A decision not queued is counted as dropped.
func (l *decisionLog) append(ctx context.Context, d *Decision, deadline time.Time) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		l.drop(1, "decision log closed; decision not logged", d)
		return false
	}
	select {
	case l.queue <- *d:
		return true
	default:
	}
	wait := time.Until(deadline)
	if wait <= 0 {
		l.drop(1, "decision log queue full; decision not logged", d)
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case l.queue <- *d:
		return true
	case <-t.C:
		l.drop(1, "decision log queue full; decision not logged", d)
	case <-ctx.Done():
		l.drop(1, "decision log queue full and caller gone; decision not logged", d)
	}
	return false
}

// drop counts n unwritten decisions and logs it, rate-limited.
func (l *decisionLog) drop(n int, msg string, d *Decision) {
	l.dropped.Add(uint64(n))
	if ok, suppressed := l.dropLog.allow(); ok {
		args := []any{"decisions", n, "dropped_total", l.dropped.Load(), "suppressed_logs", suppressed}
		if d != nil {
			args = append(args, "decision", d.ID, "result", d.Result)
		}
		l.logger.Error(msg, args...)
	}
}

func (l *decisionLog) run() {
	defer close(l.done)
	batch := make([]Decision, 0, l.opts.Batch)
	t := time.NewTicker(l.opts.FlushEvery)
	defer t.Stop()
	for {
		select {
		case d, ok := <-l.queue:
			if !ok {
				_ = l.write(batch) // a failure is logged and counted by write
				return
			}
			batch = append(batch, d)
			// Take what is already queued without a trip through select:
			// under load the queue is rarely empty.
			batch = l.drainInto(batch)
			if len(batch) >= l.opts.Batch {
				_ = l.write(batch)
				batch = batch[:0]
			}
		case <-t.C:
			if len(batch) > 0 {
				_ = l.write(batch)
				batch = batch[:0]
			}
		case reply := <-l.flushes:
			var err error
			// drainInto stops short of a full batch only on an empty queue.
			for batch = l.drainInto(batch); len(batch) >= l.opts.Batch; batch = l.drainInto(batch) {
				err = errors.Join(err, l.write(batch))
				batch = batch[:0]
			}
			err = errors.Join(err, l.write(batch))
			batch = batch[:0]
			reply <- err
		}
	}
}

// drainInto moves queued decisions into batch until it is full or the
// queue is empty. A closed queue is left for run's receive to notice.
func (l *decisionLog) drainInto(batch []Decision) []Decision {
	for len(batch) < l.opts.Batch {
		select {
		case d, ok := <-l.queue:
			if !ok {
				return batch
			}
			batch = append(batch, d)
		default:
			return batch
		}
	}
	return batch
}

// copyDecisions lists the columns in the order appendCopyRow writes them.
const copyDecisions = `COPY decisions (id, decided_at, caller_org, system_user_id, system_id, owner_org,
  action, resource_id, party_org, result, reason_code, reason, permitted_by, latency_us) FROM STDIN`

// write copies batch into the decisions table. COPY rather than a
// multi-row INSERT: the server neither parses nor plans 7000 parameters,
// and the rows are encoded without reflection. A failed write is retried
// with backoff until it succeeds or Close gives up (see LogOptions).
func (l *decisionLog) write(batch []Decision) error {
	if len(batch) == 0 {
		return nil
	}
	l.buf.Reset()
	for i := range batch {
		l.buf.Write(appendCopyRow(l.buf.AvailableBuffer(), &batch[i]))
	}
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(l.abortCtx, 10*time.Second)
		err := l.copy(ctx, l.buf.Bytes())
		cancel()
		if err == nil {
			if attempt > 1 {
				l.logger.Info("decision log writing again", "attempts", attempt, "decisions", len(batch))
			}
			return nil
		}
		l.writeFailures.Add(1)
		if l.abortCtx.Err() != nil {
			l.drop(len(batch), "decision log closed before the database came back; batch not logged", nil)
			return err
		}
		if db.IsDataError(err) && attempt >= 3 {
			// The database refuses these rows themselves: retrying forever
			// would stall the log, and then every Permit, for one bad row.
			l.logger.Error("decision log: the database refuses the batch; dropped", "error", err, "decisions", len(batch))
			l.drop(len(batch), "decision log batch refused by the database; not logged", nil)
			return err
		}
		if ok, suppressed := l.writeLog.allow(); ok {
			l.logger.Error("decision log write failed; retrying", "error", err, "decisions", len(batch),
				"attempt", attempt, "queued", len(l.queue), "suppressed_logs", suppressed)
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-l.abortCtx.Done():
			t.Stop()
		}
		backoff = min(2*backoff, l.opts.MaxBackoff)
	}
}

func (l *decisionLog) copy(ctx context.Context, payload []byte) error {
	conn, err := l.bdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("pdp: decision log connection: %w", err)
	}
	defer conn.Close()
	if _, err := pgdriver.CopyFrom(ctx, conn, bytes.NewReader(payload), copyDecisions); err != nil {
		// A COPY cut short may leave the connection mid-protocol: make
		// database/sql discard it rather than hand it to the next query.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return fmt.Errorf("pdp: copy decisions: %w", err)
	}
	return nil
}

// appendCopyRow appends d as one line of COPY's text format.
func appendCopyRow(b []byte, d *Decision) []byte {
	b = appendUUID(b, d.ID)
	b = append(b, '\t')
	b = d.DecidedAt.UTC().AppendFormat(b, "2006-01-02 15:04:05.999999Z07:00")
	b = append(b, '\t')
	b = appendCopyText(b, d.CallerOrg, true)
	b = append(b, '\t')
	if d.SystemUserID == uuid.Nil {
		b = append(b, `\N`...)
	} else {
		b = appendUUID(b, d.SystemUserID)
	}
	b = append(b, '\t')
	b = appendCopyText(b, d.SystemID, true)
	b = append(b, '\t')
	b = appendCopyText(b, d.OwnerOrg, true)
	b = append(b, '\t')
	b = appendCopyText(b, d.Action, false)
	b = append(b, '\t')
	b = appendCopyText(b, d.ResourceID, false)
	b = append(b, '\t')
	b = appendCopyText(b, d.PartyOrg, true)
	b = append(b, '\t')
	b = appendCopyText(b, string(d.Result), false)
	b = append(b, '\t')
	b = appendCopyText(b, string(d.ReasonCode), false)
	b = append(b, '\t')
	b = appendCopyText(b, d.Reason, false)
	b = append(b, '\t')
	b = appendCopyText(b, d.PermittedBy, true)
	b = append(b, '\t')
	b = strconv.AppendInt(b, max(d.Latency.Microseconds(), 0), 10)
	return append(b, '\n')
}

func appendUUID(b []byte, id uuid.UUID) []byte {
	const hexdigits = "0123456789abcdef"
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexdigits[c>>4], hexdigits[c&0x0f])
	}
	return b
}

// appendCopyText escapes s for COPY's text format; empty is NULL when
// nullable (the columns bun wrote as nullzero). Text columns cannot hold
// NUL or invalid UTF-8, and one such row would fail the whole batch, so
// both become U+FFFD.
func appendCopyText(b []byte, s string, nullable bool) []byte {
	if s == "" && nullable {
		return append(b, `\N`...)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '\\':
				b = append(b, `\\`...)
			case '\t':
				b = append(b, `\t`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case 0:
				b = append(b, "\uFFFD"...)
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

func (l *decisionLog) flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case l.flushes <- reply:
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops taking decisions and writes what is queued. When ctx ends
// first, the writer stops retrying and what is unwritten is dropped (and
// counted); close then returns ctx's error.
func (l *decisionLog) close(ctx context.Context) error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.queue)
	}
	l.mu.Unlock()
	select {
	case <-l.done:
		l.abort()
		return nil
	case <-ctx.Done():
	}
	before := l.dropped.Load()
	l.abort()
	<-l.done // quick now: every write fails at once
	return fmt.Errorf("pdp: decision log closed with %d decisions unwritten: %w", l.dropped.Load()-before, ctx.Err())
}

// logLimiter lets one log line of a kind through per logEvery and counts
// the ones it held back.
type logLimiter struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func (r *logLimiter) allow() (ok bool, suppressed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < logEvery {
		r.suppressed++
		return false, 0
	}
	r.last, suppressed, r.suppressed = now, r.suppressed, 0
	return true, suppressed
}
