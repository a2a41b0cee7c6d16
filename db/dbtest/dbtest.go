package dbtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/ephemeral"
)

// New returns a connection to a fresh, migrated database of its own. The connection is
// closed and the database dropped when tb ends.
func New(tb testing.TB) *bun.DB {
	tb.Helper()
	return Open(tb, NewURL(tb))
}

// NewURL creates a fresh, migrated database and returns its URL, for code under test that
// opens its own connections (a gateway started in-process). The database is dropped, with
// any connections still open, when tb ends.
func NewURL(tb testing.TB) string {
	tb.Helper()
	c, err := shared.get()
	if err != nil {
		tb.Fatal(err)
	}
	name := "t_" + randomSuffix()
	ctx := context.Background()
	// PostgreSQL 15's default WAL_LOG strategy: FILE_COPY measured the same here (median
	// ≈ 220 ms each, interleaved, loaded 2-core host) and its checkpoints would flush
	// the writes of every parallel test.
	q := "CREATE DATABASE " + ephemeral.QuoteIdent(name) + " TEMPLATE " + ephemeral.QuoteIdent(c.template)
	if _, err := c.admin.ExecContext(ctx, q); err != nil {
		tb.Fatalf("dbtest: clone template: %v", err)
	}
	tb.Cleanup(func() {
		q := "DROP DATABASE IF EXISTS " + ephemeral.QuoteIdent(name) + " WITH (FORCE)"
		if _, err := c.admin.ExecContext(context.Background(), q); err != nil {
			tb.Errorf("dbtest: drop %s: %v", name, err)
		}
	})
	return withDatabase(c.adminURL, name)
}

// Open connects to url with the production pool settings (db.Open) and closes the
// connection when tb ends.
func Open(tb testing.TB, url string) *bun.DB {
	tb.Helper()
	if err := checkURL(url); err != nil {
		tb.Fatal(err)
	}
	bdb, err := db.Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("dbtest: open %s: %v", redact(url), err)
	}
	tb.Cleanup(func() {
		if err := bdb.Close(); err != nil {
			tb.Errorf("dbtest: close: %v", err)
		}
	})
	return bdb
}

// Main runs the tests, then drops the template and stops the server this binary started.
// Use it as TestMain's body:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := shared.shutdown(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest: shutdown:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
