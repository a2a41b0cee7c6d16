// Package graphqlws is a gqlgen transport for graphql-transport-ws, the
// protocol of the graphql-ws library (GraphQL over WebSocket,
// https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md), with the
// protocol's close codes and the bounds an access-control service needs:
//
//   - 4400 a message that is not JSON, has an unknown type or lacks its id/payload;
//   - 4401 subscribe before connection_ack;
//   - 4403 Init refused the connection, or the caller's token expired;
//   - 4406 the client did not offer graphql-transport-ws;
//   - 4408 no connection_init within InitTimeout;
//   - 4409 a subscribe reuses the id of an operation still running;
//   - 4429 a second connection_init.
//
// gqlgen's own websocket transport closes with 1002 in most of these cases,
// has no notion of a token's expiry and no bound on operations per socket.
package graphqlws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Subprotocol is the only protocol spoken.
const Subprotocol = "graphql-transport-ws"

// Close codes of the protocol.
const (
	CodeBadMessage          websocket.StatusCode = 4400
	CodeUnauthorized        websocket.StatusCode = 4401
	CodeForbidden           websocket.StatusCode = 4403
	CodeSubprotocol         websocket.StatusCode = 4406
	CodeInitTimeout         websocket.StatusCode = 4408
	CodeSubscriberExists    websocket.StatusCode = 4409
	CodeTooManyInitRequests websocket.StatusCode = 4429
)

// TooManyOperations is the extensions.code of the error message a
// subscribe gets beyond MaxOperations. The protocol has no close code for
// this (4429 means a repeated connection_init), and closing would end the
// client's other operations too: refusing the one operation with the
// protocol's Error message is what graphql-ws clients report to that
// operation's sink alone.
const TooManyOperations = "TOO_MANY_SUBSCRIPTIONS"

// InitFunc authenticates a connection from its upgrade request and
// connection_init payload. It returns the context the connection's
// operations run in and the moment the caller's authority ends (the token's
// exp; zero for never). An error closes the socket with 4403.
type InitFunc func(ctx context.Context, r *http.Request, payload map[string]any) (context.Context, time.Time, error)

// Transport serves graphql-transport-ws. The zero value works, with no
// authentication and the defaults below.
type Transport struct {
	Init InitFunc
	// InitTimeout is how long a client has to send connection_init
	// (default 10 s, as graphql-ws's server).
	InitTimeout time.Duration
	// MaxOperations bounds the operations running at once on one socket
	// (default 100).
	MaxOperations int
	// PerOperation, when set, derives each operation's context (e.g. fresh
	// dataloaders, so one operation never sees another's cached reads).
	PerOperation func(context.Context) context.Context
	// ReadLimit bounds one message (default 1 MiB).
	ReadLimit int64
	// OriginPatterns are the cross-origin hosts allowed to open a socket
	// (coder/websocket's AcceptOptions); same-origin and non-browser
	// clients are always allowed.
	OriginPatterns []string
	Now            func() time.Time
	Logger         *slog.Logger
}

var _ graphql.Transport = Transport{}

// Supports takes every websocket upgrade: a client that does not speak
// graphql-transport-ws is closed with 4406 rather than served another way.
func (t Transport) Supports(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Do serves one socket until it closes.
func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	// The server's read and write timeouts are for ordinary requests; they
	// would cut a long-lived socket, whose liveness the protocol handles.
	// net/http clears them when an HTTP/1.1 connection is hijacked; clearing
	// them here also covers a connection that is not hijacked.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{Subprotocol}, OriginPatterns: t.OriginPatterns})
	if err != nil {
		return // Accept has answered the request
	}
	if t.InitTimeout <= 0 {
		t.InitTimeout = 10 * time.Second
	}
	if t.MaxOperations <= 0 {
		t.MaxOperations = 100
	}
	if t.ReadLimit <= 0 {
		t.ReadLimit = 1 << 20
	}
	if t.Now == nil {
		t.Now = time.Now
	}
	if t.Logger == nil {
		t.Logger = slog.New(slog.DiscardHandler)
	}
	if conn.Subprotocol() != Subprotocol {
		_ = conn.Close(CodeSubprotocol, "Subprotocol not acceptable")
		return
	}
	conn.SetReadLimit(t.ReadLimit)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	s := &session{t: t, conn: conn, exec: exec, r: r, connCtx: ctx, cancel: cancel,
		active: map[string]*operation{}, done: make(chan *operation)}
	s.opCtx, s.opCancel = context.WithCancel(ctx)
	defer s.opCancel()
	s.serve()
}

type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// session is one socket. Its state (init, active operations) belongs to
// the serve loop alone; operations run in their own goroutines and report
// their end on done.
type session struct {
	t    Transport
	conn *websocket.Conn
	exec graphql.GraphExecutor
	r    *http.Request
	// connCtx is the socket's lifetime; opCtx (its child) carries the
	// caller after init and ends every operation when cancelled.
	connCtx  context.Context
	cancel   context.CancelFunc
	opCtx    context.Context
	opCancel context.CancelFunc

	initialised, acked bool
	expires            time.Time
	active             map[string]*operation
	done               chan *operation
}

type operation struct {
	id     string
	cancel context.CancelFunc
}

type readResult struct {
	msg message
	err error
}

func (s *session) serve() {
	in := make(chan readResult)
	go s.read(in)
	initTimer := time.NewTimer(s.t.InitTimeout)
	defer initTimer.Stop()
	var expiry <-chan time.Time
	for {
		select {
		case <-s.connCtx.Done():
			return
		case <-initTimer.C:
			if !s.acked {
				s.close(CodeInitTimeout, "Connection initialisation timeout")
				return
			}
		case <-expiry:
			s.close(CodeForbidden, "Forbidden: the token has expired")
			return
		case op := <-s.done:
			if s.active[op.id] == op {
				delete(s.active, op.id)
			}
		case res := <-in:
			if res.err != nil {
				var ce websocket.CloseError
				if errors.As(res.err, &ce) || errors.Is(res.err, context.Canceled) {
					return
				}
				s.close(CodeBadMessage, "Invalid message received")
				return
			}
			if !s.handle(res.msg) {
				return
			}
			if s.acked && expiry == nil && !s.expires.IsZero() {
				t := time.NewTimer(s.expires.Sub(s.t.Now()))
				defer t.Stop()
				expiry = t.C
			}
		}
	}
}

// read feeds messages to the serve loop until the socket fails.
func (s *session) read(in chan<- readResult) {
	for {
		typ, b, err := s.conn.Read(s.connCtx)
		var res readResult
		switch {
		case err != nil:
			res.err = err
		case typ != websocket.MessageText:
			res.err = errors.New("binary message")
		default:
			res.err = json.Unmarshal(b, &res.msg)
			if res.err == nil && res.msg.Type == "" {
				res.err = errors.New("message without type")
			}
		}
		select {
		case in <- res:
		case <-s.connCtx.Done():
			return
		}
		if res.err != nil {
			return
		}
	}
}

// handle applies one client message; false ends the session.
func (s *session) handle(m message) bool {
	switch m.Type {
	case "connection_init":
		if s.initialised {
			s.close(CodeTooManyInitRequests, "Too many initialisation requests")
			return false
		}
		s.initialised = true
		var payload map[string]any
		if len(m.Payload) > 0 && string(m.Payload) != "null" {
			if err := json.Unmarshal(m.Payload, &payload); err != nil {
				s.close(CodeBadMessage, "Invalid message received")
				return false
			}
		}
		if s.t.Init != nil {
			ctx, expires, err := s.t.Init(s.opCtx, s.r, payload)
			if err != nil {
				s.t.Logger.InfoContext(s.connCtx, "websocket connection refused", "error", err)
				s.close(CodeForbidden, "Forbidden")
				return false
			}
			if !expires.IsZero() && !s.t.Now().Before(expires) {
				s.close(CodeForbidden, "Forbidden: the token has expired")
				return false
			}
			s.opCtx, s.expires = ctx, expires
		}
		s.acked = true
		return s.send(message{Type: "connection_ack"})
	case "ping":
		return s.send(message{Type: "pong"})
	case "pong":
		return true
	case "subscribe":
		return s.subscribe(m)
	case "complete":
		if op := s.active[m.ID]; op != nil {
			op.cancel()
			delete(s.active, m.ID)
		}
		return true
	}
	s.close(CodeBadMessage, fmt.Sprintf("Invalid message received: unknown type %q", truncate(m.Type)))
	return false
}

func (s *session) subscribe(m message) bool {
	if !s.acked {
		s.close(CodeUnauthorized, "Unauthorized")
		return false
	}
	var params graphql.RawParams
	if m.ID == "" || len(m.Payload) == 0 || json.Unmarshal(m.Payload, &params) != nil {
		s.close(CodeBadMessage, "Invalid message received: subscribe needs an id and a payload")
		return false
	}
	if !s.expires.IsZero() && !s.t.Now().Before(s.expires) {
		s.close(CodeForbidden, "Forbidden: the token has expired")
		return false
	}
	if _, ok := s.active[m.ID]; ok {
		s.close(CodeSubscriberExists, "Subscriber for "+truncate(m.ID)+" already exists")
		return false
	}
	if len(s.active) >= s.t.MaxOperations {
		err := &gqlerror.Error{
			Message:    fmt.Sprintf("at most %d operations may run at once on one connection", s.t.MaxOperations),
			Extensions: map[string]any{"code": TooManyOperations},
		}
		return s.sendErrors(m.ID, gqlerror.List{err})
	}
	ctx, cancel := context.WithCancel(s.opCtx)
	op := &operation{id: m.ID, cancel: cancel}
	s.active[m.ID] = op
	params.Headers = s.r.Header
	go s.run(ctx, op, &params)
	return true
}

// run executes one operation and streams its results.
func (s *session) run(ctx context.Context, op *operation, params *graphql.RawParams) {
	defer func() {
		op.cancel()
		select {
		case s.done <- op:
		case <-s.connCtx.Done():
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			s.t.Logger.ErrorContext(ctx, "websocket operation panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			s.sendErrors(op.id, gqlerror.List{{Message: "internal error", Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"}}})
		}
	}()
	if s.t.PerOperation != nil {
		ctx = s.t.PerOperation(ctx)
	}
	ctx = graphql.StartOperationTrace(ctx)
	now := graphql.Now()
	params.ReadTime = graphql.TraceTiming{Start: now, End: now}
	rc, errs := s.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		// The operation never ran (parse, validation, complexity): the
		// protocol's Error message, and no complete after it.
		resp := s.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		s.sendErrors(op.id, resp.Errors)
		return
	}
	responses, ctx := s.exec.DispatchOperation(graphql.WithOperationContext(ctx, rc), rc)
	for {
		resp := responses(ctx)
		if resp == nil {
			break
		}
		if ctx.Err() != nil {
			return // the client completed it, or the socket is closing
		}
		b, err := json.Marshal(nextPayload(resp))
		if err != nil {
			s.t.Logger.ErrorContext(ctx, "websocket response encoding", "error", err)
			return
		}
		if !s.send(message{ID: op.id, Type: "next", Payload: b}) {
			return
		}
	}
	if ctx.Err() == nil {
		s.send(message{ID: op.id, Type: "complete"})
	}
}

// incremental is a deferred fragment's payload as incremental delivery
// (deferSpec=20220824) shapes it, what Apollo Client and urql read: the
// same shape gqlgen's multipart/mixed transport writes.
type incremental struct {
	Incremental []*graphql.Response `json:"incremental"`
	HasNext     bool                `json:"hasNext"`
}

// nextPayload is resp as a next message carries it. gqlgen's executor hands
// a deferred fragment (@defer) over as a response of its own with a path;
// it goes out wrapped as over multipart/mixed, not bare.
func nextPayload(resp *graphql.Response) any {
	if len(resp.Path) == 0 {
		return resp
	}
	return incremental{Incremental: []*graphql.Response{resp}, HasNext: resp.HasNext != nil && *resp.HasNext}
}

func (s *session) sendErrors(id string, errs gqlerror.List) bool {
	b, err := json.Marshal(errs)
	if err != nil {
		return false
	}
	return s.send(message{ID: id, Type: "error", Payload: b})
}

// writeTimeout bounds one write: a client that stops reading is dropped
// rather than holding the operation's goroutine.
const writeTimeout = 10 * time.Second

// send writes one message; false (and the session ends) when the socket
// fails.
func (s *session) send(m message) bool {
	b, err := json.Marshal(m)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(s.connCtx, writeTimeout)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, b); err != nil {
		s.cancel()
		return false
	}
	return true
}

// close ends every operation, then the socket with a protocol close code
// (the handshake waits briefly for the client's answer).
func (s *session) close(code websocket.StatusCode, reason string) {
	s.opCancel()
	_ = s.conn.Close(code, reason)
	s.cancel()
}

// truncate keeps client text in a close reason within the 123 bytes a close
// frame allows.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
