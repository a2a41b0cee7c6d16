package e2e_test

import (
	"net/http"
	"testing"

	"github.com/systemuser-gateway/systemuser/e2e"
)

// A vendor's integration test: start the stack, get a token for the demo
// client, call the gateway. This runs its own Stack, as a vendor's would.
func TestVendorUsesHarness(t *testing.T) {
	t.Parallel()
	stack := e2e.StartT(t)
	token, err := stack.VendorToken(t.Context())
	status, err2 := stack.Do(t.Context(), http.MethodGet, "/authentication/api/v1/systemregister/vendor", token, nil, nil)

	if err != nil || err2 != nil || status != http.StatusOK {
		t.Fatalf("vendor's systems: HTTP %d, %v, %v", status, err, err2)
	}
}

// Example shows the three lines a vendor's test needs. (It is compiled, not
// run: it needs a *testing.T.)
func Example() {
	var t *testing.T // your test's t

	stack := e2e.StartT(t)
	token, _ := stack.VendorToken(t.Context())
	_, _ = stack.Do(t.Context(), http.MethodGet, "/authentication/api/v1/systemregister/vendor", token, nil, nil)
}
