package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
)

func TestDecisionRetentionDropsOnlyWholeExpiredDays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	const retention = 90 * 24 * time.Hour
	start := time.Date(2027, 6, 15, 12, 0, 0, 0, time.UTC)
	// Days from start-100d to start+3d exist, each with a decision at its
	// first and its last second, so a partition dropped too early loses rows.
	if _, err := bdb.ExecContext(ctx, "SELECT decisions_ensure_partitions(?::date, ?::date)",
		start.AddDate(0, 0, -100).Format(time.DateOnly), start.AddDate(0, 0, 3).Format(time.DateOnly)); err != nil {
		t.Fatal(err)
	}
	var all []*db.Decision
	for d := -100; d <= 3; d++ {
		day := time.Date(start.Year(), start.Month(), start.Day()+d, 0, 0, 0, 0, time.UTC)
		for _, at := range []time.Time{day, day.Add(24*time.Hour - time.Second)} {
			all = append(all, &db.Decision{ID: uuid.New(), DecidedAt: at, Action: "read", ResourceID: "res",
				Result: "Permit", ReasonCode: "PERMIT_RIGHT", Reason: "ok"})
		}
	}
	if _, err := bdb.NewInsert().Model(&all).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var inDefault int
	if err := bdb.NewRaw("SELECT count(*) FROM decisions_default").Scan(ctx, &inDefault); err != nil {
		t.Fatal(err)
	}
	if inDefault != 0 {
		t.Fatalf("%d decisions in the default partition, want them all in daily ones", inDefault)
	}

	now := start
	m := &db.DecisionMaintainer{DB: bdb, Retention: retention, AheadDays: 2, Now: func() time.Time { return now }}
	// The clock walks in 5-hour steps over two days, crossing midnights at
	// different offsets; after every run no decision inside the window is
	// gone, and no day entirely outside it is left.
	for step := range 10 {
		now = start.Add(time.Duration(step) * 5 * time.Hour)
		if _, err := m.MaintainOnce(ctx); err != nil {
			t.Fatal(err)
		}
		cutoff := now.Add(-retention)
		var kept []time.Time
		if err := bdb.NewRaw("SELECT decided_at FROM decisions").Scan(ctx, &kept); err != nil {
			t.Fatal(err)
		}
		present := map[time.Time]bool{}
		for _, k := range kept {
			present[k.UTC()] = true
		}
		for _, d := range all {
			at := d.DecidedAt
			dayEnd := time.Date(at.Year(), at.Month(), at.Day()+1, 0, 0, 0, 0, time.UTC)
			switch {
			case !at.Before(cutoff) && !present[at]:
				t.Fatalf("now %v: decision at %v is inside the window (cutoff %v) but was dropped", now, at, cutoff)
			case !dayEnd.After(cutoff) && present[at]:
				t.Fatalf("now %v: decision at %v is in a day entirely before the cutoff %v but was kept", now, at, cutoff)
			}
		}
		parts, err := db.DecisionPartitions(ctx, bdb)
		if err != nil {
			t.Fatal(err)
		}
		last := parts[len(parts)-1].Day
		if wantLast := time.Date(now.Year(), now.Month(), now.Day()+2, 0, 0, 0, 0, time.UTC); last.Before(wantLast) {
			t.Fatalf("now %v: newest partition %v, want at least %v (two days ahead)", now, last, wantLast)
		}
		for _, p := range parts {
			if !p.Day.AddDate(0, 0, 1).After(cutoff) {
				t.Fatalf("now %v: partition %s is entirely before the cutoff %v but was kept", now, p.Name, cutoff)
			}
		}
	}
}

func TestDecisionRetentionZeroKeepsEverything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	before, err := db.DecisionPartitions(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	m := &db.DecisionMaintainer{DB: bdb, Now: func() time.Time { return time.Now().AddDate(5, 0, 0) }}
	res, err := m.MaintainOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dropped) != 0 {
		t.Fatalf("dropped %v with no retention", res.Dropped)
	}
	after, err := db.DecisionPartitions(ctx, bdb)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before)+res.Created || res.Created == 0 {
		t.Fatalf("partitions %d -> %d, created %d", len(before), len(after), res.Created)
	}
}

func TestDecisionPartitionsAreAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	d := &db.Decision{ID: uuid.New(), DecidedAt: time.Now(), Action: "read", ResourceID: "res",
		Result: "Permit", ReasonCode: "PERMIT_RIGHT", Reason: "ok"}
	if _, err := bdb.NewInsert().Model(d).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	part := "decisions_p" + d.DecidedAt.UTC().Format("20060102")
	for _, stmt := range []string{
		"DELETE FROM " + part,
		"UPDATE " + part + " SET result = 'Deny'",
		"TRUNCATE " + part,
		"TRUNCATE decisions_default",
	} {
		if _, err := bdb.ExecContext(ctx, stmt); err == nil {
			t.Errorf("%s succeeded on the append-only log", stmt)
		}
	}
	var n int
	if err := bdb.NewRaw("SELECT count(*) FROM decisions").Scan(ctx, &n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d decisions, want 1", n)
	}
}
