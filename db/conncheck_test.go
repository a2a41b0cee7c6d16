package db_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
)

// terminateOthers ends every backend of bdb's database except admin's own,
// as a Postgres restart would, and waits until they are gone.
func terminateOthers(t *testing.T, admin *bun.DB) {
	t.Helper()
	ctx := context.Background()
	const others = `FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`
	if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) `+others); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := admin.NewRaw(`SELECT count(*) `+others).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backends still there after terminate", n)
		}
		time.Sleep(10 * time.Millisecond) // polling the server, not synchronising goroutines
	}
}

// fillPool makes the pool hold n idle connections.
func fillPool(t *testing.T, bdb *bun.DB, n int) {
	t.Helper()
	ctx := context.Background()
	conns := make([]bun.Conn, n)
	for i := range conns {
		c, err := bdb.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ExecContext(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		c.Close()
	}
	if idle := bdb.Stats().Idle; idle < n {
		t.Fatalf("pool holds %d idle connections, want %d", idle, n)
	}
}

// A pool whose every connection was closed by the server (a Postgres
// restart) must not fail the next requests: each pooled connection is
// checked when handed out.
func TestPoolSurvivesTerminatedBackends(t *testing.T) {
	t.Parallel()
	url := dbtest.NewURL(t)
	bdb, admin := dbtest.Open(t, url), dbtest.Open(t, url)
	const n = 8
	fillPool(t, bdb, n)
	terminateOthers(t, admin)
	for i := range 2 * n {
		if err := db.Ping(context.Background(), bdb); err != nil {
			t.Fatalf("query %d after the backends were terminated: %v", i, err)
		}
	}
}

func TestIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewURL(t)
	bdb, admin := dbtest.Open(t, url), dbtest.Open(t, url)

	// A connection held across its backend's termination fails with the
	// server's goodbye or EOF: unavailable.
	conn, err := bdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	terminateOthers(t, admin)
	_, terminated := conn.ExecContext(ctx, "SELECT 1")

	_, refused := db.Open(ctx, "postgres://postgres@127.0.0.1:1/x?sslmode=disable")
	_, syntax := admin.ExecContext(ctx, "SELEC 1")
	_, missing := admin.ExecContext(ctx, "SELECT * FROM no_such_table")

	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"terminated backend", terminated, true},
		{"connection refused", refused, true},
		{"syntax error", syntax, false},
		{"undefined table", missing, false},
		{"nil", nil, false},
		{"no rows", sql.ErrNoRows, false},
		{"canceled", context.Canceled, false},
	} {
		if tc.want && tc.err == nil {
			t.Errorf("%s: no error to classify", tc.name)
			continue
		}
		if got := db.IsUnavailable(tc.err); got != tc.want {
			t.Errorf("%s: IsUnavailable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestIsDataError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	_, badUUID := bdb.ExecContext(ctx, "SELECT 'x'::uuid")
	_, notNull := bdb.ExecContext(ctx, "INSERT INTO organizations (org_number, name) VALUES (NULL, 'x')")
	_, syntax := bdb.ExecContext(ctx, "SELEC 1")
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{{"invalid text for uuid", badUUID, true}, {"not null violation", notNull, true}, {"syntax error", syntax, false}, {"nil", nil, false}} {
		if got := db.IsDataError(tc.err); got != tc.want {
			t.Errorf("%s: IsDataError(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
