package gateway_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

// TestGraphQLNamesOneMediaType: a GraphQL answer over HTTP names exactly
// one media type, the one the client's Accept chose (GraphQL over HTTP).
// The gateway presets application/json for the errors of its own
// middleware; gqlgen's transports added theirs, so a client asking for
// application/graphql-response+json read application/json first.
func TestGraphQLNamesOneMediaType(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	tests := []struct{ method, accept, want string }{
		{http.MethodPost, "", "application/json"},
		{http.MethodPost, "application/json", "application/json"},
		{http.MethodPost, "application/graphql-response+json", "application/graphql-response+json"},
		{http.MethodPost, "text/html", "application/graphql-response+json"},
		{http.MethodGet, "", "application/json"},
		{http.MethodGet, "application/graphql-response+json", "application/graphql-response+json"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.accept, func(t *testing.T) {
			t.Parallel()
			var req *http.Request
			if tt.method == http.MethodGet {
				req, _ = http.NewRequest(http.MethodGet, e.URL+"/graphql?query="+url.QueryEscape("{ __typename }"), nil)
			} else {
				req, _ = http.NewRequest(http.MethodPost, e.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
				req.Header.Set("Content-Type", "application/json")
			}
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			resp, err := e.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if got := resp.Header.Values("Content-Type"); resp.StatusCode != http.StatusOK || len(got) != 1 || got[0] != tt.want {
				t.Fatalf("%d, Content-Type %q, want only %q: %s", resp.StatusCode, got, tt.want, body)
			}
			if string(body) != `{"data":{"__typename":"Query"}}` {
				t.Fatalf("body %s", body)
			}
		})
	}
}

// TestGraphQLAnswersWithItsLength: an answer past net/http's 2 KiB buffer
// still says how long it is instead of coming in chunks.
func TestGraphQLAnswersWithItsLength(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/graphql", strings.NewReader(`{"query":"{ __schema { types { name kind } } }"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) <= 2048 {
		t.Fatalf("%d, %d bytes: want an answer past 2 KiB: %.200s", resp.StatusCode, len(body), body)
	}
	if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) > 0 {
		t.Fatalf("Content-Length %d, Transfer-Encoding %v for %d bytes", resp.ContentLength, resp.TransferEncoding, len(body))
	}
}
