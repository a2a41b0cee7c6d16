package ephemeral

import "testing"

// The Docker fallback publishes the database's port: each start gets its
// own password, never the well-known default.
func TestRandomPassword(t *testing.T) {
	t.Parallel()
	a, b := randomPassword(), randomPassword()
	if a == b || len(a) != 32 || a == defaultName {
		t.Fatalf("randomPassword gave %q and %q", a, b)
	}
}
