package registry_test

import (
	"slices"
	"testing"

	"github.com/systemuser-gateway/systemuser/apperr"
)

// TestClientIDOwnership: a Maskinporten client known to this database can be
// put in a system only by the organisation that owns the client. Before,
// any vendor could claim another's client id for its own system.
func TestClientIDOwnership(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.exec("INSERT INTO maskinporten_clients (client_id, org_number, name, scopes) VALUES (?, ?, 'mine', '{}'), (?, ?, 'theirs', '{}'), (?, ?, 'gone', '{}'), (?, ?, 'theirs too', '{}')",
		"mine", vendorOrg, "theirs", otherVendor, "gone", otherVendor, "theirs2", otherVendor)
	f.exec("UPDATE maskinporten_clients SET deleted_at = now() WHERE client_id = 'gone'")
	for _, tt := range []struct {
		name    string
		clients []string
		want    string // violation reason; "" = OK
	}{
		{"OKOwnClient", []string{"mine"}, ""},
		{"OKUnknownClient", []string{"registered-at-real-maskinporten"}, ""},
		{"OKDeletedClient", []string{"gone"}, ""},
		{"ErrOtherOrgsClient", []string{"unknown-2", "theirs"}, "CLIENT_ID_NOT_OWNED"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := validSystem(vendorOrg + "_" + tt.name)
			in.ClientIDs = tt.clients
			_, err := f.svc.RegisterSystem(vendorCtx(vendorOrg), in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("register: %v", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid || !slices.Contains(reasons(err), tt.want) {
				t.Fatalf("register: %v, want %s", err, tt.want)
			}
			for _, v := range e.Violations {
				if v.Reason == tt.want && v.Altinn != "AUTH.VLD-00004" {
					t.Fatalf("violation %+v, want Altinn code AUTH.VLD-00004", v)
				}
			}
		})
	}
	t.Run("ErrOnUpdate", func(t *testing.T) {
		in := validSystem(vendorOrg + "_upd")
		if _, err := f.svc.RegisterSystem(vendorCtx(vendorOrg), in); err != nil {
			t.Fatal(err)
		}
		in.ClientIDs = append(in.ClientIDs, "theirs")
		if _, err := f.svc.UpdateSystem(vendorCtx(vendorOrg), in.ID, in); !slices.Contains(reasons(err), "CLIENT_ID_NOT_OWNED") {
			t.Fatalf("update: %v, want CLIENT_ID_NOT_OWNED", err)
		}
	})
	t.Run("OKAdminForOwner", func(t *testing.T) {
		// An admin registers for the vendor: what counts is the system's
		// vendor, not the caller.
		in := validSystem(otherVendor + "_byadmin")
		in.VendorOrg = otherVendor
		in.ClientIDs = []string{"theirs2"}
		if _, err := f.svc.RegisterSystem(adminCtx(), in); err != nil {
			t.Fatalf("admin for the owner: %v", err)
		}
	})
}
