package ephemeral

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	// SIGQUIT is postgres' immediate shutdown: it takes its backends down with it and
	// needs nobody to wait for it; the next Start recovers the cluster from WAL.
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
}

// servesDataDir tells whether pid is a postmaster for dir: a postmaster's working
// directory is its data directory.
func servesDataDir(pid int, dir string) bool {
	cwd, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd"))
	if err != nil {
		// Unreadable (another user's process and we are not root): assume the worst.
		return true
	}
	want, err := filepath.EvalSymlinks(dir)
	if err != nil {
		want = dir
	}
	return cwd == want
}
