package main

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/systemuser-gateway/systemuser/telemetry"
)

// otlpReceiver is an OTLP/HTTP trace collector in the test process: it
// decodes the protobuf export requests the SDK's exporter sends.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (rc *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		http.NotFound(w, r)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	var req coltrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(raw, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			rc.spans = append(rc.spans, ss.GetSpans()...)
		}
	}
	rc.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (rc *otlpReceiver) all() []*tracepb.Span {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*tracepb.Span(nil), rc.spans...)
}

func attr(s *tracepb.Span, key string) string {
	for _, a := range s.GetAttributes() {
		if a.GetKey() == key {
			return a.GetValue().GetStringValue()
		}
	}
	return ""
}

// TestTraceOfOneAuthorize: with an OTLP endpoint configured, one XACML
// authorize exports the gateway's HTTP server span (named after its route)
// and, in the same trace below it, the SQL span of the PDP's lookup; a
// GraphQL query exports its operation and root-field spans.
func TestTraceOfOneAuthorize(t *testing.T) {
	rc := &otlpReceiver{}
	collector := httptest.NewServer(rc)
	t.Cleanup(collector.Close)
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL}
	tr, err := telemetry.Start(context.Background(), "systemuser-test", "test",
		func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Enabled() {
		t.Fatal("tracing off with an endpoint set")
	}
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	s := startStack(t, func(a *App) {
		a.Tracing = tr
		a.DB = tr.InstrumentDB(a.DB, "systemuser")
	})
	d := s.demo
	owner, err := s.token(t, d.ServiceOwnerClientID, d.ServiceOwnerKeyFile, "", "altinn:authorization/authorize")
	if err != nil {
		t.Fatal(err)
	}
	// A system user the PDP has never seen: it must ask the database.
	if st := s.do(t, http.MethodPost, "/authorization/api/v1/authorize", owner,
		xacml(uuid.NewString(), d.Action, d.ResourceID, d.CustomerOrgNumber), nil); st != http.StatusOK {
		t.Fatalf("authorize: %d", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}

	spans := rc.all()
	byID := map[string]*tracepb.Span{}
	var server *tracepb.Span
	for _, sp := range spans {
		byID[hex.EncodeToString(sp.GetSpanId())] = sp
		if sp.GetKind() == tracepb.Span_SPAN_KIND_SERVER && sp.GetName() == "POST /authorization/api/v1/authorize" {
			server = sp
		}
	}
	if server == nil {
		names := make([]string, 0, len(spans))
		for _, sp := range spans {
			names = append(names, sp.GetName())
		}
		t.Fatalf("no server span for the authorize route among %d spans: %q", len(spans), names)
	}
	if attr(server, "http.route") != "/authorization/api/v1/authorize" {
		t.Errorf("server span http.route = %q", attr(server, "http.route"))
	}
	// under reports whether sp descends from the server span.
	under := func(sp *tracepb.Span) bool {
		for p := sp; p != nil; p = byID[hex.EncodeToString(p.GetParentSpanId())] {
			if p == server {
				return true
			}
		}
		return false
	}
	var sql *tracepb.Span
	for _, sp := range spans {
		if attr(sp, "db.system") == "postgresql" && under(sp) {
			sql = sp
			break
		}
	}
	if sql == nil {
		t.Fatalf("no SQL span under the authorize span (%d spans exported)", len(spans))
	}
	if hex.EncodeToString(sql.GetTraceId()) != hex.EncodeToString(server.GetTraceId()) || attr(sql, "db.statement") == "" {
		t.Errorf("SQL span %q: trace %x, statement %q", sql.GetName(), sql.GetTraceId(), attr(sql, "db.statement"))
	}
	t.Logf("authorize trace %x: server span %q, SQL span %q", server.GetTraceId(), server.GetName(), sql.GetName())

	// A GraphQL query: the operation and its root field get spans below
	// the request's, and the resolver's SQL below the field.
	var out struct{ Systems struct{ TotalCount int } }
	s.graphql(t, "", `query Sys { systems(first: 1) { totalCount } }`, nil, &out)
	if err := tr.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	spans = rc.all()
	find := func(name string) *tracepb.Span {
		for _, sp := range spans {
			byID[hex.EncodeToString(sp.GetSpanId())] = sp
		}
		for _, sp := range spans {
			if sp.GetName() == name {
				return sp
			}
		}
		names := []string{}
		for _, sp := range spans {
			if sp.GetKind() != tracepb.Span_SPAN_KIND_CLIENT {
				names = append(names, sp.GetName())
			}
		}
		t.Fatalf("no span %q among %q", name, names)
		return nil
	}
	gqlServer, op, field := find("POST /graphql"), find("graphql.query Sys"), find("Query.systems")
	parent := func(sp *tracepb.Span) *tracepb.Span { return byID[hex.EncodeToString(sp.GetParentSpanId())] }
	if parent(field) != op || parent(op) == nil {
		t.Fatalf("Query.systems is not under the operation span")
	}
	for p := op; p != gqlServer; p = parent(p) {
		if p == nil {
			t.Fatal("the operation span is not under the POST /graphql server span")
		}
	}
	fieldSQL := false
	for _, sp := range spans {
		for p := parent(sp); p != nil && attr(sp, "db.system") == "postgresql"; p = parent(p) {
			if p == field {
				fieldSQL = true
			}
		}
	}
	if !fieldSQL {
		t.Error("no SQL span under Query.systems")
	}
}
