package ephemeral

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrDataDirInUse means a running postmaster already serves the data directory.
var ErrDataDirInUse = errors.New("ephemeral: data directory in use by a running postgres")

// clusterVersion returns the major version recorded in dir/PG_VERSION, "" when dir holds
// no cluster.
func clusterVersion(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("ephemeral: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// wipe removes a previous cluster. Anything that is neither empty nor a cluster is left
// alone: a mistyped DataDir must not cost someone their files.
func wipe(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	v, err := clusterVersion(dir)
	if err != nil {
		return err
	}
	if v == "" {
		return fmt.Errorf("ephemeral: refusing to wipe %s: not empty and not a PostgreSQL cluster", dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("ephemeral: wipe data directory: %w", err)
	}
	return nil
}

// makeDataDir creates dir 0700 (postgres insists) and its parents 0755 so the server
// account can traverse them.
func makeDataDir(acc account, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("ephemeral: %w", err)
	}
	if err := checkReachable(acc, dir); err != nil {
		return err
	}
	return chownTree(acc, dir)
}

// initdbFlagsVersion changes whenever initdb's arguments below do, invalidating cached
// clusters.
const initdbFlagsVersion = "1"

// initdb creates a cluster in the empty dir with user as trusted superuser.
func initdb(ctx context.Context, bin binaries, acc account, dir, user string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("ephemeral: %s is neither empty nor a PostgreSQL cluster (no PG_VERSION); use another DataDir", dir)
	}
	cmd := exec.CommandContext(ctx, bin.initdb,
		"--pgdata="+dir,
		"--username="+user,
		"--auth=trust",
		"--encoding=UTF8",
		"--locale=C",
		"--no-sync",
		"--no-instructions",
	)
	cmd.Dir = dir
	cmd.SysProcAttr = sysProcAttr(acc.cred)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ephemeral: initdb: %w: %s", err, tail(string(out), 2000))
	}
	return nil
}

// clearStalePID removes a postmaster.pid left behind by a crash. Postgres would also
// notice a dead PID, but not one reused by an unrelated process, which is common in
// containers where PIDs start low on every boot.
func clearStalePID(dir string) error {
	f, err := os.Open(filepath.Join(dir, "postmaster.pid"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	var pid int
	_, scanErr := fmt.Fscan(io.LimitReader(f, 64), &pid)
	f.Close()
	if scanErr == nil && pid > 0 && processAlive(pid) && servesDataDir(pid, dir) {
		return fmt.Errorf("%w: pid %d serves %s; stop it or use another DataDir", ErrDataDirInUse, pid, dir)
	}
	if err := os.Remove(filepath.Join(dir, "postmaster.pid")); err != nil {
		return fmt.Errorf("ephemeral: remove stale postmaster.pid: %w", err)
	}
	return nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
