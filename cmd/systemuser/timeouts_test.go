package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/systemuser-gateway/systemuser/db/dbtest"
)

// TestServerTimeouts: every server the App runs bounds how long a client
// may take to send a request and to read the answer.
func TestServerTimeouts(t *testing.T) {
	t.Parallel()
	srv := newHTTPServer(nil, testLogger(t), Timeouts{})
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Fatalf("timeouts: header %v read %v write %v idle %v; want all set",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
}

// TestWebsocketOutlivesServerTimeouts: the read and write timeouts are for
// ordinary requests; a graphql-transport-ws socket stays usable past both.
func TestWebsocketOutlivesServerTimeouts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	bdb := dbtest.New(t)
	c := Config{GatewayAddr: "127.0.0.1:0", SimulatorAddr: "127.0.0.1:0", StateDir: t.TempDir(), TrustLocalSimulator: true}
	app := &App{Config: c, DB: bdb, Logger: testLogger(t), RunGateway: true, RunSimulator: true,
		Timeouts: Timeouts{ReadHeader: time.Second, Read: time.Second, Write: time.Second, Idle: time.Second}}
	if err := app.Listen(); err != nil {
		t.Fatal(err)
	}
	if err := app.Build(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	conn, _, err := websocket.Dial(wctx, "ws"+strings.TrimPrefix(app.Config.GatewayURL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.CloseNow() }()
	var m struct{ Type string }
	if err := wsjson.Write(wctx, conn, map[string]string{"type": "connection_init"}); err != nil {
		t.Fatal(err)
	}
	if err := wsjson.Read(wctx, conn, &m); err != nil || m.Type != "connection_ack" {
		t.Fatalf("init: %+v %v", m, err)
	}
	// Let both server deadlines pass (this waits for the clock, not for
	// another goroutine).
	time.Sleep(2500 * time.Millisecond)
	if err := wsjson.Write(wctx, conn, map[string]string{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	if err := wsjson.Read(wctx, conn, &m); err != nil || m.Type != "pong" {
		t.Fatalf("after the server's timeouts: %+v %v, want pong", m, err)
	}
}
