package gateway_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// newWSEnv is a gateway with events (so subscriptions stay open) and the
// given GraphQL limits.
func newWSEnv(t *testing.T, cfg gateway.GraphQLConfig) *gatewaytest.Env {
	t.Helper()
	return gatewaytest.New(t, gatewaytest.WithEvents(), gatewaytest.WithConfig(func(c *gateway.Config) {
		c.GraphQL.WebsocketInitTimeout = cfg.WebsocketInitTimeout
		c.GraphQL.WebsocketMaxOperations = cfg.WebsocketMaxOperations
	}))
}

// protoConn is a graphql-transport-ws socket read by a goroutine (a
// cancelled read would close a coder/websocket connection), which answers
// pings and records the close code.
type protoConn struct {
	t    *testing.T
	ctx  context.Context
	c    *websocket.Conn
	in   chan wsMessage
	code websocket.StatusCode // valid once in is closed; -1 if not a close frame
}

// rawWS opens a graphql-transport-ws socket and nothing more.
func rawWS(t *testing.T, e *gatewaytest.Env) *protoConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	p := &protoConn{t: t, ctx: ctx, c: conn, in: make(chan wsMessage, 64)}
	go p.read()
	return p
}

func (p *protoConn) read() {
	defer close(p.in)
	for {
		var m wsMessage
		if err := wsjson.Read(p.ctx, p.c, &m); err != nil {
			p.code = websocket.CloseStatus(err)
			return
		}
		if m.Type == "ping" {
			_ = wsjson.Write(p.ctx, p.c, map[string]string{"type": "pong"})
			continue
		}
		p.in <- m
	}
}

func (p *protoConn) send(v any) {
	p.t.Helper()
	var err error
	if s, ok := v.(string); ok {
		err = p.c.Write(p.ctx, websocket.MessageText, []byte(s))
	} else {
		err = wsjson.Write(p.ctx, p.c, v)
	}
	if err != nil {
		p.t.Fatal(err)
	}
}

// next waits at most d for a message; ok is false on timeout or close.
func (p *protoConn) next(d time.Duration) (wsMessage, bool) {
	select {
	case m, ok := <-p.in:
		return m, ok
	case <-time.After(d):
		return wsMessage{}, false
	}
}

// must is the next message, failing the test on a close or a 15 s silence.
func (p *protoConn) must() wsMessage {
	p.t.Helper()
	m, ok := p.next(15 * time.Second)
	if !ok {
		p.t.Fatalf("no message (closed: %d)", p.code)
	}
	return m
}

// wantClose reads until the socket closes and checks the code.
func (p *protoConn) wantClose(want websocket.StatusCode) {
	p.t.Helper()
	for {
		select {
		case m, ok := <-p.in:
			if ok {
				p.t.Logf("before the close: %s %s %s", m.Type, m.ID, m.Payload)
				continue
			}
			if p.code != want {
				p.t.Fatalf("closed with %d, want %d", p.code, want)
			}
			return
		case <-time.After(15 * time.Second):
			p.t.Fatalf("not closed after 15 s, want %d", want)
		}
	}
}

func (p *protoConn) init(token string) {
	p.t.Helper()
	p.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	if m := p.must(); m.Type != "connection_ack" {
		p.t.Fatalf("after init: %+v, want connection_ack", m)
	}
}

// pong sends a ping and returns the messages that arrived before its pong.
func (p *protoConn) pong() []wsMessage {
	p.t.Helper()
	p.send(map[string]any{"type": "ping"})
	var before []wsMessage
	for {
		m := p.must()
		if m.Type == "pong" {
			return before
		}
		before = append(before, m)
	}
}

const watchOrg = `subscription($org: String!) { systemUserChanged(orgNumber: $org) { kind } }`

// TestWebsocketProtocol drives graphql-transport-ws with a real websocket
// client and checks each of the protocol's close codes.
func TestWebsocketProtocol(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t, gateway.GraphQLConfig{WebsocketInitTimeout: 300 * time.Millisecond, WebsocketMaxOperations: 2})
	w := newLifecycleWorld(t, e)
	admin := e.PersonToken(t, w.custAdmin)
	sub := func(id string) map[string]any {
		return map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": watchOrg, "variables": map[string]any{"org": w.cust}}}
	}

	t.Run("ErrSubscribeBeforeInit", func(t *testing.T) {
		t.Parallel()
		c := rawWS(t, e)
		c.send(sub("1"))
		c.wantClose(4401)
	})
	t.Run("ErrInitTimeout", func(t *testing.T) {
		t.Parallel()
		c := rawWS(t, e)
		c.wantClose(4408)
	})
	t.Run("ErrTooManyInit", func(t *testing.T) {
		t.Parallel()
		c := rawWS(t, e)
		c.init(admin)
		c.send(map[string]any{"type": "connection_init"})
		c.wantClose(4429)
	})
	t.Run("ErrNotJSON", func(t *testing.T) {
		t.Parallel()
		c := rawWS(t, e)
		c.send("{not json")
		c.wantClose(4400)
	})
	t.Run("ErrUnknownType", func(t *testing.T) {
		t.Parallel()
		c := rawWS(t, e)
		c.init(admin)
		c.send(map[string]any{"type": "start", "id": "1"})
		c.wantClose(4400)
	})
	t.Run("ErrInvalidToken", func(t *testing.T) {
		t.Parallel()
		c := rawWS(t, e)
		c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer x.y.z"}})
		c.wantClose(4403)
	})
	t.Run("ErrSubscriberExists", func(t *testing.T) {
		t.Parallel()
		c := rawWS(t, e)
		c.init(admin)
		c.send(sub("1"))
		c.send(sub("1"))
		c.wantClose(4409)
	})
	t.Run("PingPong", func(t *testing.T) {
		t.Parallel()
		c := rawWS(t, e)
		c.init(admin)
		c.send(map[string]any{"type": "ping"})
		if before := c.pong(); len(before) != 0 {
			t.Fatalf("before the pong: %+v", before)
		}
	})
	t.Run("ErrTooManyOperations", func(t *testing.T) {
		t.Parallel()
		c := rawWS(t, e)
		c.init(admin)
		c.send(sub("1"))
		c.send(sub("2"))
		c.send(sub("3"))
		if m := c.must(); m.Type != "error" || m.ID != "3" || !strings.Contains(string(m.Payload), "TOO_MANY_SUBSCRIPTIONS") {
			t.Fatalf("third operation got %+v, want an error message TOO_MANY_SUBSCRIPTIONS", m)
		}
		// The connection and its other operations carry on; completing one
		// makes room.
		c.send(map[string]any{"id": "1", "type": "complete"})
		if before := c.pong(); len(before) != 0 {
			t.Fatalf("after the refusal: %+v", before)
		}
		c.send(sub("4"))
		if before := c.pong(); len(before) != 0 {
			t.Fatalf("a subscribe after a complete got %+v, want it accepted", before)
		}
	})
	t.Run("OKQueryThenComplete", func(t *testing.T) {
		t.Parallel()
		c := rawWS(t, e)
		c.init(admin)
		c.send(map[string]any{"id": "q", "type": "subscribe", "payload": map[string]any{"query": "{ __typename }"}})
		if m := c.must(); m.Type != "next" || m.ID != "q" || !strings.Contains(string(m.Payload), `"__typename":"Query"`) {
			t.Fatalf("query: %+v", m)
		}
		if m := c.must(); m.Type != "complete" || m.ID != "q" {
			t.Fatalf("after the result: %+v, want complete", m)
		}
	})
	t.Run("ErrInvalidDocumentIsAnErrorMessage", func(t *testing.T) {
		t.Parallel()
		c := rawWS(t, e)
		c.init(admin)
		c.send(map[string]any{"id": "bad", "type": "subscribe", "payload": map[string]any{"query": "{ nope }"}})
		if m := c.must(); m.Type != "error" || m.ID != "bad" || !strings.Contains(string(m.Payload), "GRAPHQL_VALIDATION_FAILED") {
			t.Fatalf("invalid document: %+v, want an error message", m)
		}
		if extra := c.pong(); len(extra) != 0 { // no complete after an error, and the socket lives
			t.Fatalf("after the error: %+v", extra)
		}
	})
	t.Run("ErrTokenExpires", func(t *testing.T) {
		t.Parallel()
		short := simulator.NewIssuer(e.Keys, simulator.IssuerOptions{Issuer: gatewaytest.Issuer, PersonTokenLifetime: 2 * time.Second})
		tok, err := short.IssuePerson(context.Background(), simulator.Person{PID: w.custAdmin, Name: "Cust Admin"})
		if err != nil {
			t.Fatal(err)
		}
		c := rawWS(t, e)
		c.init(tok.AccessToken)
		c.send(sub("1"))
		start := time.Now()
		c.wantClose(4403)
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("closed %v after subscribing with a 2 s token", took)
		}
	})
}

// TestSubscriptionsRecheckAccess: a subscription ends when its caller
// stops administering the organisation (or can no longer see the request),
// instead of streaming what access it had when it started.
func TestSubscriptionsRecheckAccess(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t, gateway.GraphQLConfig{})
	w := newLifecycleWorld(t, e)
	const other = "04040412345" // a second administrator of w.cust, who keeps the role
	mustExec(t, e.DB, &db.Person{PID: other, Name: "Other Admin"}, &db.PersonRole{PID: other, OrgNumber: w.cust, Role: "DAGL"})
	vendor := e.VendorToken(t, w.vendor, scopeRegister, scopeReqWrite, scopeReqRead)
	mustData(t, e, vendor, registerMutation, map[string]any{"in": systemInput(w.systemID,
		[]map[string]any{{"resource": "res-a", "action": "read"}}, nil, nil)})
	request := func(ref string) string {
		return decode[struct {
			CreateSystemUserRequest struct{ Request struct{ RequestID string } }
		}](t, mustData(t, e, vendor, `mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) { request { requestId } } }`,
			map[string]any{"in": map[string]any{"systemId": w.systemID, "partyOrgNumber": w.cust, "externalRef": ref,
				"rights": []map[string]any{{"resource": "res-a", "action": "read"}}}})).CreateSystemUserRequest.Request.RequestID
	}
	approve := func(id string) {
		mustData(t, e, e.PersonToken(t, other), `mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }`, map[string]any{"id": id})
	}

	c := rawWS(t, e)
	c.init(e.PersonToken(t, w.custAdmin))
	c.send(map[string]any{"id": "org", "type": "subscribe",
		"payload": map[string]any{"query": watchOrg, "variables": map[string]any{"org": w.cust}}})
	watched := request("watched")
	c.send(map[string]any{"id": "req", "type": "subscribe",
		"payload": map[string]any{"query": `subscription($id: ID!) { requestStatusChanged(id: $id) { status } }`, "variables": map[string]any{"id": watched}}})
	if m := c.must(); m.ID != "req" || m.Type != "next" || !strings.Contains(string(m.Payload), "NEW") {
		t.Fatalf("requestStatusChanged first sent %+v, want NEW", m)
	}
	// systemUserChanged subscribes to events asynchronously: approve probes
	// until one arrives, then it is live.
	live := false
	for i := 0; i < 10 && !live; i++ {
		approve(request(fmt.Sprintf("probe-%d", i)))
		if m, ok := c.next(2 * time.Second); ok {
			live = m.ID == "org" && m.Type == "next"
			if !live {
				t.Fatalf("got %+v", m)
			}
		}
	}
	if !live {
		t.Fatal("systemUserChanged delivered nothing for 10 changes")
	}

	if _, err := e.DB.NewDelete().Model((*db.PersonRole)(nil)).Where("pid = ?", w.custAdmin).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	approve(watched) // a change of the org's system users and of the watched request
	// Events of the probes may still have been built before the role went:
	// "next" on org is tolerated until its complete, nothing after it.
	done := map[string]bool{}
	for len(done) < 2 {
		m := c.must()
		switch {
		case m.Type == "complete":
			done[m.ID] = true
		case m.Type == "next" && m.ID == "org" && !done["org"]:
			t.Logf("in flight before the role went: %s", m.Payload)
		default:
			t.Fatalf("after losing the role: %s %s %s, want each subscription completed", m.Type, m.ID, m.Payload)
		}
	}
	if extra := c.pong(); len(extra) != 0 {
		t.Fatalf("after completing: %+v", extra)
	}
}
