package ephemeral

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
)

// defaultFallbackDir is where a data directory the server account cannot
// reach moves: /var/tmp survives reboots (unlike /tmp on many systems) and
// every user can traverse it.
const defaultFallbackDir = "/var/tmp/systemuser-postgres"

// resolveDataDir returns where the cluster of dir really lives. When we run
// as root, postgres runs as an unprivileged account, and a parent of dir
// denies it (a repository under /root, mode 0700, the default in many dev
// containers), the cluster moves to a directory under fallback named after
// dir, so the same dir always finds the same cluster, and dir becomes a
// symlink to it: `ls` shows where the data went, and the next start follows
// the link. One log line says where.
func resolveDataDir(acc account, dir, fallback string, logger *slog.Logger) (string, error) {
	if acc.cred == nil {
		return dir, nil
	}
	if target, err := filepath.EvalSymlinks(dir); err == nil && target != dir {
		dir = target // a link made by an earlier start, or by the user
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("ephemeral: %w", err)
	}
	blocked := checkReachable(acc, dir)
	if blocked == nil {
		return dir, nil
	}
	if !errors.Is(blocked, ErrDataDirUnreachable) {
		return "", blocked
	}
	// Only an empty or missing dir may become a link; a cluster already
	// there would be orphaned.
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return "", fmt.Errorf("%w; it holds a cluster, so it is not moved: move it under a path every "+
			"user can traverse (the project directory or /tmp) or run as a non-root user", blocked)
	}
	if fallback == "" {
		fallback = defaultFallbackDir
	}
	if err := safeBaseDir(fallback); err != nil {
		return "", errors.Join(blocked, err)
	}
	sum := sha256.Sum256([]byte(dir))
	moved := filepath.Join(fallback, filepath.Base(dir)+"-"+hex.EncodeToString(sum[:6]))
	if err := checkReachable(acc, moved); err != nil {
		return "", errors.Join(blocked, err)
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("ephemeral: %w", err)
	}
	if err := os.Symlink(moved, dir); err != nil {
		return "", fmt.Errorf("ephemeral: link the moved data directory: %w", err)
	}
	logger.Info("postgres data directory moved where the postgres user can reach it",
		slog.String("dir", moved), slog.String("link", dir), slog.String("user", acc.name),
		slog.String("reason", blocked.Error()))
	return moved, nil
}

// safeBaseDir creates base (0755) or checks that an existing one is ours and
// not writable by others: it is in a world-writable place, and a directory
// planted there by another user could redirect our cluster.
func safeBaseDir(base string) error {
	if err := os.MkdirAll(base, 0o755); err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	fi, err := os.Lstat(base)
	if err != nil {
		return fmt.Errorf("ephemeral: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || (ok && int(st.Uid) != os.Geteuid()) || fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("ephemeral: %s must be a directory owned by us and writable by no one else", base)
	}
	return nil
}
