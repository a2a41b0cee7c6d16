package ephemeral

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestStartStop(t *testing.T) {
	t.Parallel()
	s := mustStart(t, Options{DataDir: dataDir(t), Database: "app"})
	if !s.Initialized() {
		t.Error("Initialized() = false on an empty data dir")
	}
	if !strings.HasPrefix(s.URL(), "postgres://") || !strings.Contains(s.URL(), "sslmode=disable") || !strings.Contains(s.URL(), "/app?") {
		t.Errorf("URL() = %q", s.URL())
	}
	db := mustOpen(t, s.URL())
	var name, addr string
	if err := db.QueryRow("SELECT current_database(), inet_server_addr()::text").Scan(&name, &addr); err != nil {
		t.Fatal(err)
	}
	if name != "app" || !strings.HasPrefix(addr, "127.0.0.1") {
		t.Errorf("connected to %q at %q, want app at 127.0.0.1", name, addr)
	}
	db.Close()

	pid := s.PID()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !processGone(pid) {
		t.Errorf("postmaster %d still exists after Stop", pid)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestReuse covers the three data-dir states across runs: created, reused, wiped.
func TestReuse(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	run := func(fresh bool) (*Server, bool) {
		t.Helper()
		s, err := Start(context.Background(), Options{DataDir: dir, Fresh: fresh, Logger: testLogger(t)})
		if err != nil {
			t.Fatalf("Start(fresh=%v): %v", fresh, err)
		}
		db := mustOpen(t, s.URL())
		var exists bool
		if err := db.QueryRow("SELECT to_regclass('public.marker') IS NOT NULL").Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if !exists {
			mustExec(t, db, "CREATE TABLE marker (v text)")
			mustExec(t, db, "INSERT INTO marker VALUES ('run 1')")
		}
		db.Close()
		if err := s.Stop(context.Background()); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		return s, exists
	}

	var s *Server
	var existed bool
	cold := timed(func() { s, existed = run(false) })
	if !s.Initialized() || existed {
		t.Fatalf("run 1: Initialized=%v, marker existed=%v; want a new cluster", s.Initialized(), existed)
	}
	warm := timed(func() { s, existed = run(false) })
	if s.Initialized() || !existed {
		t.Fatalf("run 2: Initialized=%v, marker existed=%v; want the run 1 cluster", s.Initialized(), existed)
	}
	fresh := timed(func() { s, existed = run(true) })
	if !s.Initialized() || existed {
		t.Fatalf("run 3 (Fresh): Initialized=%v, marker existed=%v; want a wiped cluster", s.Initialized(), existed)
	}
	t.Logf("start+query+stop: cold %v, warm %v, fresh %v", cold, warm, fresh)
}

func TestStalePostmasterPID(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	s := mustStart(t, Options{DataDir: dir})
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pid  int
	}{
		{"DeadPID", dead.Process.Pid},
		{"PIDReusedByOtherProcess", os.Getpid()},
	}
	for _, tt := range tests {
		// Sequential: the cases share one data dir.
		t.Run(tt.name, func(t *testing.T) {
			pidFile := filepath.Join(dir, "postmaster.pid")
			if err := os.WriteFile(pidFile, []byte(strconv.Itoa(tt.pid)+"\n"+dir+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Start(context.Background(), Options{DataDir: dir, Logger: testLogger(t)})
			if err != nil {
				t.Fatalf("Start with stale postmaster.pid: %v", err)
			}
			if err := s.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestErrDataDirInUse(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	first := mustStart(t, Options{DataDir: dir})
	_, err := Start(context.Background(), Options{DataDir: dir})
	if !errors.Is(err, ErrDataDirInUse) {
		t.Fatalf("second Start on a served dir: %v, want ErrDataDirInUse", err)
	}
	if processGone(first.PID()) {
		t.Error("the running server was stopped by the failed second Start")
	}
}

func TestErrNoPostgres(t *testing.T) {
	t.Parallel()
	_, err := Start(context.Background(), Options{DataDir: dataDir(t), searchDirs: []string{}})
	if !errors.Is(err, ErrNoPostgres) {
		t.Fatalf("Start without binaries: %v, want ErrNoPostgres", err)
	}
}

func TestFreshRefusesNonCluster(t *testing.T) {
	t.Parallel()
	dir := dataDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	precious := filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(precious, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, fresh := range []bool{true, false} {
		if _, err := Start(context.Background(), Options{DataDir: dir, Fresh: fresh}); err == nil {
			t.Errorf("Start(Fresh=%v) on a non-cluster, non-empty dir succeeded", fresh)
		}
	}
	if _, err := os.Stat(precious); err != nil {
		t.Errorf("file in DataDir lost: %v", err)
	}
}

// TestUnreachableDataDirMoves: as root, a data directory under a 0700
// directory (a repository under /root) moves where postgres can reach it,
// leaves a symlink, logs one line, and the next start finds the same cluster.
func TestUnreachableDataDirMoves(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root switches to an unprivileged server account")
	}
	base := filepath.Dir(dataDir(t))
	locked := filepath.Join(base, "locked")
	if err := os.Mkdir(locked, 0o700); err != nil {
		t.Fatal(err)
	}
	fallback := filepath.Join(base, "fallback")
	requested := filepath.Join(locked, "pgdata")
	var logs syncLog
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	s := mustStart(t, Options{DataDir: requested, FallbackDir: fallback, Logger: logger})
	target, err := os.Readlink(requested)
	if err != nil || filepath.Dir(target) != fallback {
		t.Fatalf("%s: link to %q (%v), want a directory under %s", requested, target, err, fallback)
	}
	if got := strings.Count(logs.String(), "data directory moved"); got != 1 || !strings.Contains(logs.String(), target) {
		t.Fatalf("want one log line naming %s, got:\n%s", target, logs.String())
	}
	mustExec(t, mustOpen(t, s.URL()), "CREATE TABLE kept (x int)")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	again := mustStart(t, Options{DataDir: requested, FallbackDir: fallback, Logger: logger})
	if again.Initialized() {
		t.Fatal("second start created a new cluster instead of following the link")
	}
	mustExec(t, mustOpen(t, again.URL()), "SELECT * FROM kept")
}

// TestErrDataDirUnreachable: a populated data directory that postgres cannot
// reach is not moved (its cluster would be orphaned); the error names the
// blocking directory.
func TestErrDataDirUnreachable(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root switches to an unprivileged server account")
	}
	base := filepath.Dir(dataDir(t))
	locked := filepath.Join(base, "locked")
	if err := os.MkdirAll(filepath.Join(locked, "pgdata"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(locked, "pgdata", "PG_VERSION"), []byte("15\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{DataDir: filepath.Join(locked, "pgdata"), FallbackDir: filepath.Join(base, "fallback")})
	if !errors.Is(err, ErrDataDirUnreachable) || !strings.Contains(err.Error(), locked) {
		t.Fatalf("Start on a populated dir under a 0700 root dir: %v, want ErrDataDirUnreachable naming %s", err, locked)
	}
}

// syncLog is a log sink safe for the server's log goroutine and the test.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestPortTaken(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = Start(context.Background(), Options{DataDir: dataDir(t), Port: port})
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("Start on a taken port: %v, want an exit error with the server log", err)
	}
}
