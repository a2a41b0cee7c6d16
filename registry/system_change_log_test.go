package registry_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/registry"
)

func TestSystemChangeLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := vendorCtx(vendorOrg)
	id := vendorOrg + "_logged"
	sys, err := f.svc.RegisterSystem(ctx, validSystem(id))
	if err != nil {
		t.Fatal(err)
	}
	in := validSystem(id)
	in.Name.EN = "Renamed"
	if _, err := f.svc.UpdateSystem(ctx, id, in); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateSystemRights(ctx, id, []registry.Right{{Resource: "ske-mva", Action: "read"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateSystemAccessPackages(ctx, id, []string{}); err != nil {
		t.Fatal(err)
	}
	// A refused change writes nothing.
	if _, err := f.svc.UpdateSystemRights(ctx, id, []registry.Right{{Resource: "nope"}}); err == nil {
		t.Fatal("an unknown resource was accepted")
	}
	if err := f.svc.DeleteSystem(ctx, id); err != nil {
		t.Fatal(err)
	}

	log, err := f.svc.SystemChangeLog(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, c := range log {
		types = append(types, c.ChangeType)
		if c.SystemInternalID != sys.InternalID || c.ChangedByOrg != vendorOrg || c.ClientID != "client-"+vendorOrg || c.CreatedAt.IsZero() {
			t.Errorf("entry %+v", c)
		}
	}
	want := []string{"delete", "accesspackageupdate", "rightsupdate", "update", "create"} // newest first
	if !slices.Equal(types, want) {
		t.Fatalf("change types = %v, want %v", types, want)
	}
	var created struct {
		ID     string
		Vendor struct{ ID string }
		Name   struct{ EN string }
		Rights []struct {
			Action   *string
			Resource []struct{ ID, Value string }
		}
		ClientID []string `json:"ClientId"`
	}
	if err := json.Unmarshal(log[4].ChangedData, &created); err != nil {
		t.Fatal(err)
	}
	if created.ID != id || created.Vendor.ID != "0192:"+vendorOrg || len(created.Rights) != 2 || created.Rights[0].Action != nil ||
		created.Rights[0].Resource[0].Value != "ske-krav" || !slices.Equal(created.ClientID, []string{"client-" + id}) {
		t.Errorf("create data = %s", log[4].ChangedData)
	}
	if got := string(log[2].ChangedData); got != `[{"Action": "read", "Resource": [{"id": "urn:altinn:resource", "value": "ske-mva"}]}]` {
		t.Errorf("rights data = %s", got)
	}
	if got := string(log[1].ChangedData); got != `[]` {
		t.Errorf("packages data = %s", got)
	}
	if got := string(log[0].ChangedData); got != `null` {
		t.Errorf("delete data = %s", got)
	}

	t.Run("ErrOtherVendor", func(t *testing.T) {
		if _, err := f.svc.SystemChangeLog(vendorCtx(otherVendor), id); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("err = %v, want not_found", err)
		}
	})
	t.Run("ErrMissingScope", func(t *testing.T) {
		if _, err := f.svc.SystemChangeLog(vendorCtx(vendorOrg, "altinn:authentication/systemuser.request.read"), id); apperr.CodeOf(err) != apperr.Forbidden {
			t.Errorf("err = %v, want forbidden", err)
		}
	})
	t.Run("OKAdmin", func(t *testing.T) {
		if got, err := f.svc.SystemChangeLog(adminCtx(), id); err != nil || len(got) != 5 {
			t.Errorf("admin: %d entries, %v", len(got), err)
		}
	})
	t.Run("ErrAppendOnly", func(t *testing.T) {
		if _, err := f.db.Exec("DELETE FROM system_change_log"); err == nil {
			t.Error("the change log could be deleted")
		}
	})
}
