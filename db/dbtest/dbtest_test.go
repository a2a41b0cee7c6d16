package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/systemuser-gateway/systemuser/db"
)

func TestMain(m *testing.M) { Main(m) }

func TestNewIsCloneOfMigratedTemplate(t *testing.T) {
	t.Parallel()
	bdb := New(t)
	ms, err := db.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var applied int
	if err := bdb.NewRaw("SELECT count(*) FROM bun_migrations").Scan(context.Background(), &applied); err != nil {
		t.Fatalf("clone lacks the migrations table: %v", err)
	}
	if want := len(ms.Sorted()); applied != want || want == 0 {
		t.Errorf("clone has %d applied migrations, want %d (all embedded)", applied, want)
	}
}

// TestNewIsolated runs parallel tests writing the same table; each must see only its own row.
func TestNewIsolated(t *testing.T) {
	t.Parallel()
	for i := range 4 {
		t.Run(fmt.Sprintf("DB%d", i), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			bdb := New(t)
			if _, err := bdb.ExecContext(ctx, "CREATE TABLE probe (owner text)"); err != nil {
				t.Fatal(err)
			}
			if _, err := bdb.ExecContext(ctx, "INSERT INTO probe VALUES (?)", t.Name()); err != nil {
				t.Fatal(err)
			}
			var owners []string
			if err := bdb.NewRaw("SELECT owner FROM probe").Scan(ctx, &owners); err != nil {
				t.Fatal(err)
			}
			if len(owners) != 1 || owners[0] != t.Name() {
				t.Errorf("probe holds %q, want only %q", owners, t.Name())
			}
		})
	}
}

func TestNewURLDroppedAtCleanup(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("Use", func(t *testing.T) {
		raw := NewURL(t)
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		name = strings.TrimPrefix(u.Path, "/")
		// A connection left open must not stop the drop.
		bdb := Open(t, raw)
		if err := db.Ping(context.Background(), bdb); err != nil {
			t.Fatal(err)
		}
	})
	c, err := shared.get()
	if err != nil {
		t.Fatal(err)
	}
	var exists bool
	if err := c.admin.NewRaw("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ?)", name).Scan(context.Background(), &exists); err != nil {
		t.Fatal(err)
	}
	if name == "" || exists {
		t.Errorf("database %q still exists after its test ended", name)
	}
}

func TestQueryCounter(t *testing.T) {
	t.Parallel()
	var qc QueryCounter
	bdb := New(t).WithQueryHook(&qc)
	ctx := context.Background()
	for range 3 {
		if err := db.Ping(ctx, bdb); err != nil {
			t.Fatal(err)
		}
	}
	if got := qc.Count(); got != 3 {
		t.Errorf("Count() = %d after 3 queries, want 3: %q", got, qc.Queries())
	}
	qc.Reset()
	if got := qc.Count(); got != 0 {
		t.Errorf("Count() = %d after Reset, want 0", got)
	}
}

// A listener notifies itself through the DB it listens on, on its own clock:
// counted, it would turn up in whatever request a test is measuring.
func TestQueryCounterLeavesOutListenerPings(t *testing.T) {
	t.Parallel()
	var qc QueryCounter
	bdb := New(t).WithQueryHook(&qc)
	ctx := context.Background()
	for _, channel := range []string{db.PingChannelPrefix + "0123456789abcdef", "systemuser_events_other"} {
		if err := pgdriver.Notify(ctx, bdb, channel, ""); err != nil {
			t.Fatal(err)
		}
	}
	if got := qc.Queries(); len(got) != 1 || !strings.Contains(got[0], "systemuser_events_other") {
		t.Errorf("counted %q, want only the notification on another channel", got)
	}
}

// BenchmarkClone measures what each test pays: CREATE DATABASE from the template and DROP.
func BenchmarkClone(b *testing.B) {
	c, err := shared.get()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		name := "t_" + randomSuffix()
		if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+c.template); err != nil {
			b.Fatal(err)
		}
		if _, err := c.admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			b.Fatal(err)
		}
	}
}
