package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

// wsClient speaks graphql-transport-ws as graphql-ws clients do: the token
// goes in connection_init, pings are answered.
type wsClient struct {
	t    *testing.T
	ctx  context.Context
	conn *websocket.Conn
	in   chan wsMessage // filled by a reader goroutine, so reads can time out without closing the socket
}

type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

func dialWS(t *testing.T, e *gatewaytest.Env, token string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "graphql-transport-ws" {
		t.Fatalf("Sec-WebSocket-Protocol = %q", got)
	}
	c := &wsClient{t: t, ctx: ctx, conn: conn, in: make(chan wsMessage, 64)}
	go c.read()
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	if m := c.next(); m.Type != "connection_ack" {
		t.Fatalf("first message %+v, want connection_ack", m)
	}
	return c
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := wsjson.Write(c.ctx, c.conn, v); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) read() {
	defer close(c.in)
	for {
		var m wsMessage
		if err := wsjson.Read(c.ctx, c.conn, &m); err != nil {
			return
		}
		if m.Type == "ping" {
			_ = wsjson.Write(c.ctx, c.conn, map[string]string{"type": "pong"})
			continue
		}
		c.in <- m
	}
}

func (c *wsClient) next() wsMessage {
	c.t.Helper()
	m, ok := c.nextWithin(15 * time.Second)
	if !ok {
		c.t.Fatal("no message from the server")
	}
	return m
}

// nextWithin waits at most d for a message.
func (c *wsClient) nextWithin(d time.Duration) (wsMessage, bool) {
	select {
	case m, ok := <-c.in:
		return m, ok
	case <-time.After(d):
		return wsMessage{}, false
	}
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
}

// nextData reads the next message of subscription id into out; it fails the
// test on anything but a "next" without errors.
func (c *wsClient) nextData(id string, out any) {
	c.t.Helper()
	m := c.next()
	if m.Type != "next" || m.ID != id {
		c.t.Fatalf("got %s %s, want next for %s", m.Type, m.Payload, id)
	}
	var p struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		c.t.Fatalf("payload %s: %v", m.Payload, err)
	}
	if err := json.Unmarshal(p.Data, out); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) close() {
	_ = c.conn.Close(websocket.StatusNormalClosure, "")
}
