package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

// BenchmarkNestedRead is issue 14's nested read (issue14NestedRead: two
// systems, ten system users each) through the gateway's whole handler
// in-process, with the catalog served from memory: what one request costs
// the gateway without the HTTP transport (make bench-http measures that).
func BenchmarkNestedRead(b *testing.B) {
	env := newAuthzEnv(b, gatewaytest.WithCatalogCache())
	tg := env.nestedReadWorld(b)
	if err := tg.check(env.ge.Client); err != nil {
		b.Fatal(err)
	}
	rd := bytes.NewReader(tg.body)
	req := httptest.NewRequest(http.MethodPost, "/graphql", io.NopCloser(rd))
	req.Header.Set("Authorization", tg.bearer)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(tg.body))
	w := &recordingWriter{h: http.Header{}}
	serve := func() {
		rd.Reset(tg.body)
		w.status = 0
		r := *req
		env.ge.Gateway.ServeHTTP(w, &r)
	}
	serve()
	if (w.status != 0 && w.status != http.StatusOK) || !bytes.Contains(w.last, []byte(tg.want)) {
		b.Fatalf("nested read: %d %s", w.status, w.last)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		serve()
		if i%1000 == 0 {
			env.counter.Reset() // the harness's statement log, not the gateway's memory
		}
	}
}
