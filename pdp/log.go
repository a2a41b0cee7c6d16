package pdp

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
)

// LogOptions tune the decision log; zero values take the defaults.
//
// Decisions are written off the hot path: Authorize puts them on a bounded
// queue and a writer inserts them in batches (by size or age). A full queue
// makes Authorize wait up to Block (back-pressure); only then is a decision
// dropped, and each drop is logged as an error. What a crash loses: the
// queue and the batch being built (at most Queue+Batch decisions, normally
// those of the last FlushEvery). A failed insert is retried once, then the
// batch is dropped with an error log.
type LogOptions struct {
	Queue      int           // default 8192
	Batch      int           // default 500
	FlushEvery time.Duration // default 200ms
	Block      time.Duration // default 1s
}

type decisionLog struct {
	bdb    *bun.DB
	logger *slog.Logger
	opts   LogOptions

	mu      sync.RWMutex // senders hold R; close holds W so the queue is never sent on after close
	closed  bool
	queue   chan db.Decision
	flushes chan chan error
	done    chan struct{}
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
	l := &decisionLog{
		bdb: bdb, logger: logger, opts: opts,
		queue:   make(chan db.Decision, opts.Queue),
		flushes: make(chan chan error),
		done:    make(chan struct{}),
	}
	go l.run()
	return l
}

func (l *decisionLog) append(ctx context.Context, d *Decision) {
	row := db.Decision{
		ID: d.ID, DecidedAt: d.DecidedAt, CallerOrg: d.CallerOrg, SystemUserID: d.SystemUserID,
		SystemID: d.SystemID, OwnerOrg: d.OwnerOrg, Action: d.Action, ResourceID: d.ResourceID,
		PartyOrg: d.PartyOrg, Result: string(d.Result), ReasonCode: string(d.ReasonCode),
		Reason: d.Reason, PermittedBy: d.PermittedBy, LatencyUS: d.Latency.Microseconds(),
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		l.logger.Error("decision log closed; decision not logged", "decision", d.ID)
		return
	}
	select {
	case l.queue <- row:
		return
	default:
	}
	t := time.NewTimer(l.opts.Block)
	defer t.Stop()
	select {
	case l.queue <- row:
	case <-t.C:
		l.logger.Error("decision log queue full; decision not logged", "decision", d.ID)
	case <-ctx.Done():
		l.logger.Error("decision log queue full and caller gone; decision not logged", "decision", d.ID)
	}
}

func (l *decisionLog) run() {
	defer close(l.done)
	batch := make([]db.Decision, 0, l.opts.Batch)
	t := time.NewTicker(l.opts.FlushEvery)
	defer t.Stop()
	for {
		select {
		case row, ok := <-l.queue:
			if !ok {
				l.write(batch)
				return
			}
			batch = append(batch, row)
			if len(batch) >= l.opts.Batch {
				l.write(batch)
				batch = batch[:0]
			}
		case <-t.C:
			if len(batch) > 0 {
				l.write(batch)
				batch = batch[:0]
			}
		case reply := <-l.flushes:
			var err error
		drain:
			for {
				select {
				case row, ok := <-l.queue:
					if !ok {
						break drain
					}
					batch = append(batch, row)
					if len(batch) >= l.opts.Batch {
						err = errors.Join(err, l.write(batch))
						batch = batch[:0]
					}
				default:
					break drain
				}
			}
			err = errors.Join(err, l.write(batch))
			batch = batch[:0]
			reply <- err
		}
	}
}

func (l *decisionLog) write(batch []db.Decision) error {
	if len(batch) == 0 {
		return nil
	}
	var err error
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = l.bdb.NewInsert().Model(&batch).Exec(ctx)
		cancel()
		if err == nil {
			return nil
		}
	}
	l.logger.Error("decision log write failed; batch dropped", "error", err, "decisions", len(batch))
	return err
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

func (l *decisionLog) close(ctx context.Context) error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.queue)
	}
	l.mu.Unlock()
	select {
	case <-l.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
