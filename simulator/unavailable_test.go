package simulator

import (
	"context"
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
