// Package testclient gives tests an HTTP client of their own.
//
// http.DefaultClient shares http.DefaultTransport, and every
// httptest.Server.Close calls CloseIdleConnections on it. A test that
// runs in parallel with another test's cleanup can then take an idle
// connection just as it is closed, and a POST or DELETE (which the
// transport does not retry) fails with "http: CloseIdleConnections
// called". A transport of the test's own is closed only by its test.
package testclient

import (
	"net/http"
	"testing"
)

// New returns a client with a fresh transport, its idle connections
// closed when tb ends.
func New(tb testing.TB) *http.Client {
	tb.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
