package pdp

import (
	"context"
	"testing"
)

// A right without action (a NULL action in system_user_rights) permits
// every action the resource has, and nothing beyond the resource: this is
// what a vendor gets when its request names only the resource and the
// system holds the resource without action (registry.RightAmong). A right
// with an action permits that action only.
func TestRightWithoutActionPermitsEveryAction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := newEngine(t, f.bdb, Options{})
	tests := []struct {
		name     string
		resource string
		action   string
		result   Result
		code     ReasonCode
	}{
		// f.standard holds scoped-res without action and ske-krav:read.
		{"OK/Read", "scoped-res", "read", Permit, PermitRight},
		{"OK/Write", "scoped-res", "write", Permit, PermitRight},
		{"ErrActionNotOfResource", "scoped-res", "sign", NotApplicable, ActionNotSupported},
		{"ErrOtherResource", "pkg-res-none", "read", NotApplicable, ResourceNotFound},
		{"ErrActionRightOtherAction", "ske-krav", "write", Deny, NotGranted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := e.Authorize(context.Background(), Request{SystemUserID: f.standard, ResourceID: tt.resource,
				Action: tt.action, PartyOrg: ownerOrg, CallerOrg: callerOrg})
			if err != nil {
				t.Fatal(err)
			}
			if d.Result != tt.result || d.ReasonCode != tt.code {
				t.Fatalf("got %s %s (%s), want %s %s", d.Result, d.ReasonCode, d.Reason, tt.result, tt.code)
			}
			if tt.result == Permit && d.PermittedBy != "right:scoped-res:*" {
				t.Errorf("permitted by %q, want the right to every action", d.PermittedBy)
			}
		})
	}
}
