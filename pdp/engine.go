package pdp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/registry"
)

// Options configure an Engine; zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// Listener feeds cache invalidation (Engine.Run). Without it, or while
	// it is disconnected, nothing is cached and every decision reads the
	// database.
	Listener *db.Listener
	// Verifier checks Request.Token (share the gateway's, so both use its
	// verified-token cache); without it a request with a token is denied
	// (TOKEN_INVALID).
	Verifier *auth.Verifier
	Now      func() time.Time
	// CacheSize bounds the cached system users (default 100 000).
	CacheSize int
	Log       LogOptions
	// MaxBatch bounds AuthorizeBatch and XACML multi-requests (default 100,
	// what the GraphQL schema and the README document for both).
	MaxBatch int
}

// Engine decides authorize requests. Safe for concurrent use.
type Engine struct {
	bdb      *bun.DB
	logger   *slog.Logger
	listener *db.Listener
	verifier *auth.Verifier
	now      func() time.Time
	maxBatch int
	cache    *cache
	log      *decisionLog
	stats    counters
	failLog  logLimiter
}

// New builds an engine on bdb and starts its decision-log writer; Close
// stops it. Call Run to enable caching.
func New(bdb *bun.DB, opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 100_000
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 100
	}
	return &Engine{
		bdb:      bdb,
		logger:   opts.Logger,
		listener: opts.Listener,
		verifier: opts.Verifier,
		now:      opts.Now,
		maxBatch: opts.MaxBatch,
		cache:    newCache(opts.CacheSize),
		log:      startDecisionLog(bdb, opts.Logger, opts.Log),
	}
}

// Run applies the listener's events to the cache until ctx ends or the
// listener stops; caching is on only while Run runs and the listener is
// connected. It returns ctx's error, or an error when there is no listener
// or the listener stopped.
func (e *Engine) Run(ctx context.Context) error {
	if e.listener == nil {
		return errors.New("pdp: no listener to run")
	}
	events, cancel := e.listener.Subscribe(1024)
	defer cancel()
	defer e.cache.dropAll(false)
	e.cache.dropAll(e.listener.Connected())
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-events:
			if !ok {
				return errors.New("pdp: event listener stopped")
			}
			e.apply(ev)
		}
	}
}

func (e *Engine) apply(ev registry.Event) {
	switch ev.Kind {
	case registry.KindSystemUser:
		id, err := uuid.Parse(ev.ID)
		if err != nil {
			e.cache.dropAll(e.cache.isLive())
			return
		}
		e.cache.dropSubject(id)
	case registry.KindSystem:
		e.cache.dropSystem(ev.ID)
	case registry.KindCatalog:
		e.cache.dropAll(e.cache.isLive())
	case registry.KindReset:
		// Connected again: start afresh. Disconnected or overflowed: events
		// are or were being missed; stop caching until told it is safe.
		e.cache.dropAll(ev.Status == registry.ResetConnected ||
			(ev.Status == registry.ResetOverflow && e.listener.Connected()))
	}
}

// Close flushes the decision log and stops its writer; decisions made
// after Close are not logged.
func (e *Engine) Close(ctx context.Context) error { return e.log.close(ctx) }

// Flush waits until every decision made before the call is in the
// database (tests and graceful shutdown).
func (e *Engine) Flush(ctx context.Context) error { return e.log.flush(ctx) }

// Authorize decides one request and logs the decision. It returns an
// error (apperr Internal) only when the database fails; the decision is
// then Indeterminate/PROCESSING_ERROR, never a Permit.
func (e *Engine) Authorize(ctx context.Context, req Request) (Decision, error) {
	ds, err := e.authorize(ctx, []Request{req})
	e.stats.countDecision(ds[0].Result)
	return ds[0], err
}

// AuthorizeBatch decides several requests with at most one database round
// trip for all their uncached system users. Codes: invalid (more than
// Options.MaxBatch requests), internal (database failure; every decision
// is then Indeterminate).
func (e *Engine) AuthorizeBatch(ctx context.Context, reqs []Request) ([]Decision, error) {
	if len(reqs) > e.maxBatch {
		return nil, &apperr.Error{Code: apperr.Invalid, Reason: ErrBatchTooLarge.Reason,
			Message: fmt.Sprintf("at most %d requests per batch", e.maxBatch)}
	}
	if len(reqs) == 0 {
		return []Decision{}, nil
	}
	ds, err := e.authorize(ctx, reqs)
	for i := range ds {
		e.stats.countDecision(ds[i].Result)
	}
	return ds, err
}

func (e *Engine) authorize(ctx context.Context, reqs []Request) ([]Decision, error) {
	start := time.Now()
	ds := make([]Decision, len(reqs))
	claims := make([]*auth.Claims, len(reqs))
	pending := make([]bool, len(reqs))
	var ids []uuid.UUID
	for i := range reqs {
		req := &reqs[i]
		d := &ds[i]
		d.SystemUserID, d.Action, d.ResourceID, d.PartyOrg, d.CallerOrg =
			req.SystemUserID, req.Action, req.ResourceID, req.PartyOrg, req.CallerOrg
		if v, ok := e.checkToken(ctx, req, d, &claims[i]); !ok {
			d.setVerdict(v)
			continue
		}
		if v, ok := checkAttributes(d); !ok {
			d.setVerdict(v)
			continue
		}
		pending[i] = true
		if !slices.Contains(ids, d.SystemUserID) {
			ids = append(ids, d.SystemUserID)
		}
	}

	var err error
	if len(ids) > 0 {
		var cat *catalog
		var subjects map[uuid.UUID]*subject
		cat, err = e.cache.getCatalog(ctx, func(ctx context.Context) (*catalog, error) { return loadCatalog(ctx, e.bdb) })
		if err == nil {
			// The cache calls the loader on this goroutine, so loaded needs
			// no synchronisation.
			loaded := 0
			subjects, err = e.cache.getSubjects(ctx, ids, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*subject, error) {
				loaded += len(ids)
				return loadSubjects(ctx, e.bdb, ids)
			})
			e.stats.countLookups(len(ids), loaded)
		}
		for i := range reqs {
			if !pending[i] {
				continue
			}
			d := &ds[i]
			if err != nil {
				d.setVerdict(verdict{result: Indeterminate, code: ProcessingError, reason: "the decision could not be made"})
				continue
			}
			s := subjects[d.SystemUserID]
			d.SystemID, d.OwnerOrg = s.systemID, s.ownerOrg
			d.setVerdict(evaluate(&reqs[i], s, cat, claims[i]))
		}
	}
	if err != nil {
		code := apperr.Internal
		if db.IsUnavailable(err) {
			code = apperr.Unavailable
		}
		// An outage fails every uncached decision: one line per logEvery.
		if ok, suppressed := e.failLog.allow(); ok {
			e.logger.ErrorContext(ctx, "authorize failed", "error", err, "suppressed_logs", suppressed)
		}
		err = &apperr.Error{Code: code, Reason: string(ProcessingError), Message: "authorize failed", Err: err}
	}

	now := e.now()
	latency := time.Since(start) / time.Duration(len(reqs))
	// One wait for room on the log's queue per call, however many decisions.
	logDeadline := time.Now().Add(e.log.opts.Block)
	for i := range ds {
		d := &ds[i]
		d.ID = newID()
		d.DecidedAt = now
		d.Latency = latency
		if !e.log.append(ctx, d, logDeadline) && d.Result == Permit {
			// No Permit goes out that the log has not taken: an access
			// nobody can account for later is worse than a retry now.
			d.setVerdict(verdict{result: Indeterminate, code: ProcessingError,
				reason: "the decision could not be logged (the decision log is full); retry later"})
			e.stats.withheld.Add(1)
		}
		// Counted by the entry points, as answered: the XACML route
		// answers some of these differently (Decision.XACMLResult).
	}
	return ds, err
}

func (d *Decision) setVerdict(v verdict) {
	d.Result, d.ReasonCode, d.Reason, d.PermittedBy = v.result, v.code, v.reason, v.permittedBy
}

// checkToken verifies the token (if any) and takes the subject from it
// when the request names none.
func (e *Engine) checkToken(ctx context.Context, req *Request, d *Decision, out **auth.Claims) (verdict, bool) {
	if req.Token == "" {
		return verdict{}, true
	}
	if e.verifier == nil {
		return deny(TokenInvalid, "tokens cannot be verified here"), false
	}
	c, err := e.verifier.Verify(ctx, req.Token)
	if err != nil {
		return deny(TokenInvalid, "the token is not valid: %v", err), false
	}
	if !c.Expiry.IsZero() && !e.now().Before(c.Expiry) {
		return deny(TokenInvalid, "the token expired at %s", c.Expiry.UTC().Format(time.RFC3339)), false
	}
	if len(c.SystemUserIDs) == 0 {
		return deny(TokenInvalid, "the token is not a system-user token"), false
	}
	if d.SystemUserID == uuid.Nil {
		id, err := uuid.Parse(c.SystemUserIDs[0])
		if err != nil {
			return deny(TokenInvalid, "the token's systemuser_id is not a uuid"), false
		}
		d.SystemUserID = id
	} else if !slices.ContainsFunc(c.SystemUserIDs, func(s string) bool { return strings.EqualFold(s, d.SystemUserID.String()) }) {
		return deny(TokenSubjectMismatch, "the token was issued for system user %s, not %s",
			strings.Join(c.SystemUserIDs, ","), d.SystemUserID), false
	}
	*out = c
	return verdict{}, true
}

func checkAttributes(d *Decision) (verdict, bool) {
	var missing []string
	if d.SystemUserID == uuid.Nil {
		missing = append(missing, "system user")
	}
	if d.Action == "" {
		missing = append(missing, "action")
	}
	if d.ResourceID == "" {
		missing = append(missing, "resource")
	}
	if d.PartyOrg == "" {
		missing = append(missing, "party")
	}
	if len(missing) > 0 {
		return verdict{result: Indeterminate, code: MissingAttribute,
			reason: "the request names no " + strings.Join(missing, ", ")}, false
	}
	return verdict{}, true
}

// newID returns a v7 uuid; NewV7 fails only when the system's randomness
// does, and a v4 is then as good an id.
func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}

// Stats are the engine's running totals since New, for metrics.
type Stats struct {
	// Decisions answered, by the result the caller was sent (REST, XACML,
	// GraphQL and Go callers alike): the XACML route's NotApplicable for a
	// Deny counts as NotApplicable, and its Indeterminate for a malformed
	// item counts although no rule ran.
	Permit, Deny, NotApplicable, Indeterminate uint64
	// CacheHits counts subjects a decision found without reading the
	// database itself (in memory, or loaded by a concurrent caller);
	// CacheMisses counts subjects it read, including every one read while
	// caching is off.
	CacheHits, CacheMisses uint64
	// LogQueueLength is the decisions waiting for the log writer, out of
	// LogQueueCapacity.
	LogQueueLength, LogQueueCapacity int
	// LogDropped counts decisions the log never wrote.
	LogDropped uint64
	// LogPermitsWithheld counts Permits answered as Indeterminate because
	// the log's queue stayed full (a database outage outlasting the queue).
	LogPermitsWithheld uint64
	// LogWriteFailures counts failed writes of the log (each is retried).
	LogWriteFailures uint64
}

// Stats returns the running totals; each field is read atomically, the
// set is not one snapshot.
func (e *Engine) Stats() Stats {
	c := &e.stats
	return Stats{
		Permit:           c.permit.Load(),
		Deny:             c.deny.Load(),
		NotApplicable:    c.notApplicable.Load(),
		Indeterminate:    c.indeterminate.Load(),
		CacheHits:        c.hits.Load(),
		CacheMisses:      c.misses.Load(),
		LogQueueLength:   len(e.log.queue),
		LogQueueCapacity: cap(e.log.queue),
		LogDropped:       e.log.dropped.Load(),

		LogPermitsWithheld: e.stats.withheld.Load(),
		LogWriteFailures:   e.log.writeFailures.Load(),
	}
}

// counters are atomics so that counting costs a decision two adds.
type counters struct {
	permit, deny, notApplicable, indeterminate atomic.Uint64
	hits, misses                               atomic.Uint64
	withheld                                   atomic.Uint64
}

func (c *counters) countDecision(r Result) {
	switch r {
	case Permit:
		c.permit.Add(1)
	case Deny:
		c.deny.Add(1)
	case NotApplicable:
		c.notApplicable.Add(1)
	default:
		c.indeterminate.Add(1)
	}
}

func (c *counters) countLookups(requested, loaded int) {
	if loaded > requested { // a disconnected cache reloads every id
		loaded = requested
	}
	c.hits.Add(uint64(requested - loaded))
	c.misses.Add(uint64(loaded))
}
