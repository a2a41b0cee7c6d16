package main

import (
	"net/http"
	"sync/atomic"
)

// drainer marks every response "Connection: close" once draining starts,
// so keep-alive clients finish the request they sent and reconnect
// elsewhere (through the load balancer, which /readyz's 503 has told to
// stop sending here). http.Server.SetKeepAlivesEnabled(false) would do the
// same but also closes the idle connections at once, racing a client that
// is sending on one: that request would fail.
type drainer struct{ on atomic.Bool }

func (d *drainer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.on.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}
