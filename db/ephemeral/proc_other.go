//go:build unix && !linux

package ephemeral

import "syscall"

func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}

// servesDataDir cannot inspect another process's working directory portably; a live PID
// is treated as a postmaster so we never start a second one on the same files.
func servesDataDir(int, string) bool { return true }
