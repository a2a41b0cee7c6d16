package pdp

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
)

// waitUntil polls cond (an observable counter of the code under test)
// until it holds or 10 s pass.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The decisions table renamed away fails every COPY the way an outage
// does, without stopping the server other tests share.
func breakDecisionsTable(t *testing.T, f *fixture) (restore func()) {
	t.Helper()
	mustExec(t, f.bdb, "ALTER TABLE decisions RENAME TO decisions_away")
	return func() { mustExec(t, f.bdb, "ALTER TABLE decisions_away RENAME TO decisions") }
}

func permitRequest(f *fixture) Request {
	return Request{SystemUserID: f.standard, ResourceID: "ske-krav", Action: "read", PartyOrg: ownerOrg, CallerOrg: callerOrg}
}

func loggedIDs(t *testing.T, f *fixture) map[uuid.UUID]bool {
	t.Helper()
	var ids []uuid.UUID
	if err := f.bdb.NewSelect().Table("decisions").Column("id").Scan(context.Background(), &ids); err != nil {
		t.Fatal(err)
	}
	out := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// Decisions made while the log cannot write are kept and written once it
// can: a failed write is retried, not dropped.
func TestDecisionLogHoldsThroughOutage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := newEngine(t, f.bdb, Options{Log: LogOptions{Batch: 10, FlushEvery: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}})
	ctx := context.Background()
	restore := breakDecisionsTable(t, f)
	var permits []uuid.UUID
	for range 25 {
		d, err := e.Authorize(ctx, permitRequest(f))
		if err != nil || d.Result != Permit {
			t.Fatalf("authorize: %v %v, want Permit", d.Result, err)
		}
		permits = append(permits, d.ID)
	}
	waitUntil(t, "three failed writes", func() bool { return e.Stats().LogWriteFailures >= 3 })
	restore()
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	logged := loggedIDs(t, f)
	for _, id := range permits {
		if !logged[id] {
			t.Errorf("Permit %s decided during the outage was not logged", id)
		}
	}
	if st := e.Stats(); st.LogDropped != 0 || st.LogPermitsWithheld != 0 {
		t.Errorf("dropped %d, withheld %d; want 0, 0", st.LogDropped, st.LogPermitsWithheld)
	}
}

// When an outage outlasts the queue, a Permit the log cannot take is not
// given: it becomes Indeterminate, and is counted. Every Permit answered is
// logged once the database is back.
func TestDecisionLogWithholdsPermitWhenFull(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const queue, batch = 2, 1
	e := newEngine(t, f.bdb, Options{Log: LogOptions{Queue: queue, Batch: batch, FlushEvery: 5 * time.Millisecond,
		Block: 20 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}})
	ctx := context.Background()
	restore := breakDecisionsTable(t, f)
	var permits []uuid.UUID
	withheld := 0
	for range 10 {
		d, err := e.Authorize(ctx, permitRequest(f))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case d.Result == Permit:
			permits = append(permits, d.ID)
		case d.Result == Indeterminate && d.ReasonCode == ProcessingError:
			withheld++
		default:
			t.Fatalf("got %s %s, want Permit or Indeterminate/PROCESSING_ERROR", d.Result, d.ReasonCode)
		}
	}
	if len(permits) == 0 || len(permits) > queue+batch || withheld == 0 {
		t.Fatalf("%d Permits, %d withheld; want 1..%d Permits, the rest withheld", len(permits), withheld, queue+batch)
	}
	if st := e.Stats(); st.LogPermitsWithheld != uint64(withheld) || st.LogDropped != uint64(withheld) {
		t.Errorf("stats withheld %d dropped %d, want %d each", st.LogPermitsWithheld, st.LogDropped, withheld)
	}
	restore()
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	logged := loggedIDs(t, f)
	for _, id := range permits {
		if !logged[id] {
			t.Errorf("Permit %s answered but not logged", id)
		}
	}
	if len(logged) != len(permits) {
		t.Errorf("%d decisions logged, want the %d Permits answered", len(logged), len(permits))
	}
}

// Close gives up at its deadline when the database does not come back, and
// says how many decisions it could not write.
func TestDecisionLogCloseCountsWhatItCouldNotWrite(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := New(f.bdb, Options{Log: LogOptions{FlushEvery: time.Hour, MaxBackoff: 20 * time.Millisecond}})
	restore := breakDecisionsTable(t, f)
	defer restore()
	ctx := context.Background()
	for range 5 {
		if _, err := e.Authorize(ctx, permitRequest(f)); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := e.Close(cctx); err == nil {
		t.Fatal("Close succeeded with the decisions table gone")
	}
	if got := e.Stats().LogDropped; got != 5 {
		t.Errorf("LogDropped = %d, want 5", got)
	}
}
