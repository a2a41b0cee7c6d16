package db_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// startListener runs a listener on a fresh database until the test ends and
// waits until it listens.
func startListener(t *testing.T) (*bun.DB, *db.Listener, <-chan db.Event) {
	t.Helper()
	bdb := dbtest.New(t)
	ln := db.NewListenerWithOptions(bdb, slog.New(slog.DiscardHandler), db.ListenerOptions{
		PingInterval: 200 * time.Millisecond, MinBackoff: 10 * time.Millisecond,
	})
	events, cancel := ln.Subscribe(64)
	t.Cleanup(cancel)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ln.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	waitFor(t, events, db.Event{Kind: db.KindReset, Status: db.ResetConnected})
	if !ln.Connected() {
		t.Fatal("Connected() = false after the connected reset")
	}
	return bdb, ln, events
}

// waitFor reads events until want arrives (other events are skipped).
func waitFor(t *testing.T, events <-chan db.Event, want db.Event) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("events closed while waiting for %+v", want)
			}
			if ev == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %+v within 10s", want)
		}
	}
}

func mustExec(t *testing.T, bdb *bun.DB, query string, args ...any) {
	t.Helper()
	if _, err := bdb.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

const vendorOrg = "991825827"

func seedSystem(t *testing.T, bdb *bun.DB) {
	t.Helper()
	mustExec(t, bdb, "INSERT INTO organizations (org_number, name) VALUES (?, 'Vendor')", vendorOrg)
	mustExec(t, bdb, `INSERT INTO systems (id, vendor_org, name_nb, name_nn, name_en)
		VALUES (?, ?, 'S', 'S', 'S')`, vendorOrg+"_sys", vendorOrg)
}

func TestListenerDeliversUpdate(t *testing.T) {
	t.Parallel()
	bdb, _, events := startListener(t)
	seedSystem(t, bdb)
	mustExec(t, bdb, "UPDATE systems SET name_nb = 'T' WHERE id = ?", vendorOrg+"_sys")
	// The insert and the update each announce the system.
	want := db.Event{Kind: "system", ID: vendorOrg + "_sys", Org: vendorOrg}
	waitFor(t, events, want)
	waitFor(t, events, want)
}

func TestListenerResetsAfterKilledConnection(t *testing.T) {
	t.Parallel()
	bdb, ln, events := startListener(t)
	var killed int
	err := bdb.NewRaw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`).
		Scan(context.Background(), &killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminate listener backend: killed %d, %v", killed, err)
	}
	waitFor(t, events, db.Event{Kind: db.KindReset, Status: db.ResetDisconnected})
	waitFor(t, events, db.Event{Kind: db.KindReset, Status: db.ResetConnected})
	if !ln.Connected() {
		t.Fatal("Connected() = false after reconnecting")
	}
	seedSystem(t, bdb)
	waitFor(t, events, db.Event{Kind: "system", ID: vendorOrg + "_sys", Org: vendorOrg})
}

func TestListenerSlowSubscriberGetsResetNotBlocking(t *testing.T) {
	t.Parallel()
	bdb, ln, fast := startListener(t)
	slow, cancel := ln.Subscribe(1)
	defer cancel()
	seedSystem(t, bdb)
	for i := range 5 {
		mustExec(t, bdb, "UPDATE systems SET name_nb = ? WHERE id = ?", "n"+string(rune('a'+i)), vendorOrg+"_sys")
	}
	want := db.Event{Kind: "system", ID: vendorOrg + "_sys", Org: vendorOrg}
	for range 6 { // insert + 5 updates, all delivered to the fast subscriber
		waitFor(t, fast, want)
	}
	// The slow one holds exactly one event, a reset standing for its lost backlog.
	select {
	case ev := <-slow:
		if ev != (db.Event{Kind: db.KindReset, Status: db.ResetOverflow}) {
			t.Fatalf("slow subscriber got %+v, want an overflow reset", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("slow subscriber got nothing")
	}
	cancel()
	// The listener publishes to one subscriber after another: the last
	// update may reach the slow one after its reset was read, and wait in
	// its buffer (as may a reset of a reconnection on a loaded machine).
	// The channel closes after what it holds.
	for deadline := time.After(10 * time.Second); ; {
		select {
		case _, ok := <-slow:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("channel still open 10 s after cancel")
		}
	}
}

func TestListenerClosesSubscriptionsWhenRunEnds(t *testing.T) {
	t.Parallel()
	bdb := dbtest.New(t)
	ln := db.NewListener(bdb, nil)
	events, cancel := ln.Subscribe(1)
	defer cancel()
	ctx, stop := context.WithCancel(context.Background())
	stop()
	if err := ln.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if _, ok := <-events; ok {
		t.Fatal("subscription not closed")
	}
	late, lateCancel := ln.Subscribe(1)
	defer lateCancel()
	if _, ok := <-late; ok {
		t.Fatal("subscription after Run ended is open")
	}
}
