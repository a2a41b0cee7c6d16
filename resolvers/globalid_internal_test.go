package resolvers

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestGlobalIDIsTheBase64OfTypeAndKey: ids handed out before stay valid,
// a key longer than the stack buffer included, and parse back.
func TestGlobalIDIsTheBase64OfTypeAndKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"4ef5b94c-b9b1-4721-9fab-00d13a70eb19", "310000027_ledger", strings.Repeat("k", 200)} {
		got := globalID(typeSystemUser, key)
		if want := base64.StdEncoding.EncodeToString([]byte(typeSystemUser + ":" + key)); got != want {
			t.Fatalf("%s: %s, want %s", key, got, want)
		}
		if typ, k, ok := parseGlobalID(got); !ok || typ != typeSystemUser || k != key {
			t.Fatalf("%s: parsed %q %q %v", key, typ, k, ok)
		}
	}
}
