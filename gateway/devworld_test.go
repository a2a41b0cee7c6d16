package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/registry"
)

// TestDevWorldOnlyUnderDev: POST /dev/world writes without a token, so it
// exists only when the dev command hands the gateway a loader; the loader's
// invalid errors are 400 problems.
func TestDevWorldOnlyUnderDev(t *testing.T) {
	t.Parallel()
	bdb := dbtest.New(t)
	var got string
	loader := func(_ context.Context, file []byte) (any, error) {
		got = string(file)
		if strings.Contains(got, "bad") {
			return nil, apperr.New(apperr.Invalid, "INVALID_WORLD", "bad world")
		}
		return map[string]int{"organizations": 1}, nil
	}
	for _, tc := range []struct {
		name   string
		loader gateway.WorldLoader
		body   string
		status int
	}{
		{"ErrGatewayHasNone", nil, "organizations: []", http.StatusNotFound},
		{"OKDev", loader, "organizations: []", http.StatusOK},
		{"ErrInvalidWorld", loader, "bad", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw := gateway.New(gateway.Config{WorldLoader: tc.loader},
				gateway.Deps{DB: db.Probe{DB: bdb}, Registry: registry.New(bdb, registry.Options{})})
			srv := httptest.NewServer(gw)
			defer srv.Close()
			resp, err := srv.Client().Post(srv.URL+"/dev/world", "application/yaml", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if got != "bad" {
		t.Errorf("the loader got %q", got)
	}
}
