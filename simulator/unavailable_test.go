package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// downClients is a client store whose database is down.
type downClients struct{ ClientStore }

func (downClients) Get(context.Context, string) (Client, error) {
	return Client{}, fmt.Errorf("pgstore: get client: %w: dial tcp: connection refused", ErrStoreUnavailable)
}

func TestTokenStoreUnavailableIs503(t *testing.T) {
	t.Parallel()
	var store ClientStore
	e := newEnv(t, func(c *Config) {
		store = NewMemoryClientStore()
		c.Clients = downClients{store}
	})
	a := mustSign(t, e.key, jose.RS256, e.key.KeyID, e.grant())
	r := e.exchange(t, a)
	if r.status != http.StatusServiceUnavailable || r.body["error"] != "temporarily_unavailable" {
		t.Fatalf("got %d %v, want 503 temporarily_unavailable", r.status, r.body)
	}
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After on 503")
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/nope", 404, ""},
		{"GET", "/token", 405, "POST"},
		{"DELETE", "/jwk", 405, "GET"},
	} {
		req, _ := http.NewRequest(tc.method, e.ts.URL+tc.path, nil)
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || err != nil || body["error"] != "invalid_request" ||
			resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d %v %v (Allow %q, %s), want %d JSON invalid_request with Allow %q", tc.method, tc.path,
				resp.StatusCode, body, err, resp.Header.Get("Allow"), resp.Header.Get("Content-Type"), tc.status, tc.allow)
		}
	}
}
