//go:build unix

package db

import (
	"errors"
	"syscall"
)

// peekIdle reports whether the socket fd is open with no bytes waiting.
// Recvfrom returns 0 bytes for a connection the server closed, and data for
// one with something unread; only "would block" means open and idle.
func peekIdle(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR)
}
