package gateway_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

// The change log is written by every System Register mutation and is read
// through System.changeLog by the vendor only; organisations carry their
// party UUID.
func TestGraphQLSystemChangeLogAndPartyUUID(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	systems := world(t, e.DB, 1, "")
	vendorOrg, _, _ := strings.Cut(systems[0], "_")
	vendor := e.VendorToken(t, vendorOrg, scopeRegister)
	id := vendorOrg + "_logged"
	in := systemInput(id, []map[string]any{{"resource": "res-a"}}, nil, []string{"logged client"})
	if resp := e.GraphQL(t, vendor, `mutation($in: SystemInput!) { registerSystem(input: $in) { systemId } }`, map[string]any{"in": in}); len(resp.Errors) > 0 {
		t.Fatalf("register: %+v", resp.Errors)
	}
	in["name"] = map[string]any{"nb": "Ny", "nn": "Ny", "en": "New"}
	if resp := e.GraphQL(t, vendor, `mutation($id: ID!, $in: SystemInput!) { updateSystem(id: $id, input: $in) { systemId } }`, map[string]any{"id": id, "in": in}); len(resp.Errors) > 0 {
		t.Fatalf("update: %+v", resp.Errors)
	}
	q := fmt.Sprintf(`{ system(id: %q) { vendor { orgNumber uuid } changeLog { changeType changedByOrgNumber clientId changedData createdAt } } }`, id)
	var got struct {
		System struct {
			Vendor    struct{ OrgNumber, UUID string }
			ChangeLog []struct{ ChangeType, ChangedByOrgNumber, ClientID, ChangedData, CreatedAt string }
		}
	}
	resp := e.GraphQL(t, vendor, q, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	if err := json.Unmarshal(resp.Data, &got); err != nil {
		t.Fatal(err)
	}
	if u, err := uuid.Parse(got.System.Vendor.UUID); err != nil || u.Version() != 3 {
		t.Errorf("vendor uuid %q is not a name-based party UUID", got.System.Vendor.UUID)
	}
	log := got.System.ChangeLog
	if len(log) != 2 || log[0].ChangeType != "UPDATE" || log[1].ChangeType != "CREATE" {
		t.Fatalf("change log = %+v", log)
	}
	if log[0].ChangedByOrgNumber != vendorOrg || log[0].ClientID != "client-"+vendorOrg || !strings.Contains(log[0].ChangedData, `"New"`) {
		t.Errorf("update entry = %+v", log[0])
	}
	// Others see the system but not its log.
	resp = e.GraphQL(t, "", q, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	if !strings.Contains(string(resp.Data), `"changeLog":null`) {
		t.Errorf("anonymous sees the change log: %s", resp.Data)
	}
}
