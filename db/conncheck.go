package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/uptrace/bun/driver/pgdriver"
)

// checkConn runs each time database/sql hands out a pooled connection
// (pgdriver's ResetSessionFunc). A connection whose server went away (a
// Postgres restart, a failover, pg_terminate_backend) looks healthy to the
// pool until it is used, and pgdriver then fails that one query with EOF,
// which database/sql does not retry. Peeking at the socket finds the
// closed ones first: ErrBadConn makes database/sql discard the connection
// and take another or dial a new one, so an idle gateway's first request
// after a restart succeeds instead of failing once per pooled connection.
//
// An idle connection has nothing to read. Bytes waiting are either the
// server's goodbye (FATAL 57P01) or an unsolicited message; in both cases
// the connection is not worth keeping.
func checkConn(_ context.Context, cn *pgdriver.Conn) error {
	if !alive(cn.Conn()) {
		return driver.ErrBadConn
	}
	return nil
}

// alive reports whether c is open with nothing unread, without consuming
// anything: a non-blocking MSG_PEEK on the socket. A connection that is not
// a plain socket (or a platform without the syscall) counts as alive; the
// pool's lifetime limits and the retry in the callers cover it.
func alive(c net.Conn) bool {
	if tc, ok := c.(interface{ NetConn() net.Conn }); ok { // TLS
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	ok = true
	if err := rc.Read(func(fd uintptr) bool {
		ok = peekIdle(fd)
		return true // never wait for readability
	}); err != nil {
		return false
	}
	return ok
}

// IsUnavailable reports whether err means the database could not be
// reached or went away mid-request (connection refused or reset, a server
// shutting down or starting up, a dead pooled connection), as opposed to a
// query the database rejected. Such work may succeed when retried later, so
// transports answer it as "unavailable" (REST 503 with Retry-After, GraphQL
// UNAVAILABLE) rather than as an internal error.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		code := pgErr.Field('C')
		switch {
		case len(code) == 5 && code[:2] == "08": // connection_exception
			return true
		case code == "57P01", code == "57P02", code == "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		case code == "53300": // too_many_connections
			return true
		}
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// IsDataError reports whether err is Postgres refusing the data itself
// (SQLSTATE class 22, data exception, or 23, integrity constraint
// violation): sending the same rows again cannot succeed.
func IsDataError(err error) bool {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		c := pgErr.Field('C')
		return len(c) == 5 && (c[:2] == "22" || c[:2] == "23")
	}
	return false
}
