package ephemeral

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestInitCache(t *testing.T) {
	t.Parallel()
	cache := filepath.Join(filepath.Dir(dataDir(t)), "cache")
	start := func(t *testing.T) (*Server, string) {
		t.Helper()
		s := mustStart(t, Options{DataDir: dataDir(t), InitCache: cache})
		if !s.Initialized() {
			t.Fatal("Initialized() = false for an empty DataDir")
		}
		return s, s.URL()
	}
	var first, second *Server
	build := timed(func() { first, _ = start(t) })
	clone := timed(func() { second, _ = start(t) })
	t.Logf("start with cache: building it %v, copying from it %v", build, clone)

	entries, err := os.ReadDir(cache)
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache holds %v (%v), want one pristine cluster", entries, err)
	}
	// The copies are separate clusters.
	mustExec(t, mustOpen(t, first.URL()), "CREATE TABLE only_in_first (x int)")
	var exists bool
	if err := mustOpen(t, second.URL()).QueryRowContext(context.Background(),
		"SELECT to_regclass('public.only_in_first') IS NOT NULL").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Error("a table created in the first server shows up in the second")
	}
}
