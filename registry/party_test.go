package registry_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
)

// partyNamespace is the namespace of the name-based party UUIDs (migration
// party_uuids); scripts may derive a party's UUID the same way.
var partyNamespace = uuid.MustParse("3fdb8cbf-25c4-4879-8f1b-44db75107fa5")

func TestPartyUUIDs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	want := uuid.NewMD5(partyNamespace, []byte("organization:"+customerOrg))
	org, err := f.svc.GetOrganization(anonCtx(), customerOrg)
	if err != nil {
		t.Fatal(err)
	}
	if org.PartyUUID != want {
		t.Fatalf("party uuid = %s, want UUIDv3 %s", org.PartyUUID, want)
	}
	pid := newPID()
	f.MustPerson(pid, customerOrg, "DAGL")
	p, err := f.svc.PersonByPID(anonCtx(), pid)
	if err != nil {
		t.Fatal(err)
	}
	if p.PartyUUID != uuid.NewMD5(partyNamespace, []byte("person:"+pid)) {
		t.Errorf("person party uuid = %s", p.PartyUUID)
	}
	// An insert that brings its own UUID keeps it.
	own, other := uuid.New(), newOrgNumber()
	f.exec("INSERT INTO organizations (org_number, name, party_uuid) VALUES (?, 'Own AS', ?)", other, own)

	tests := []struct {
		name string
		ref  string
		org  string // "" = not found
	}{
		{"OK/OrgNumber", customerOrg, customerOrg},
		{"OK/PartyUUID", want.String(), customerOrg},
		{"OK/OwnUUID", own.String(), other},
		{"ErrUnknownUUID", uuid.NewString(), ""},
		{"ErrUnknownOrg", newOrgNumber(), ""},
		{"ErrPersonUUID", p.PartyUUID.String(), ""},
		{"ErrGarbage", "abc", ""},
		{"ErrUUIDWithoutDashes", want.String()[:8] + want.String()[9:13] + want.String()[14:18] + want.String()[19:23] + want.String()[24:], ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := f.svc.ResolveParty(anonCtx(), tt.ref)
			if tt.org == "" {
				if apperr.CodeOf(err) != apperr.NotFound {
					t.Fatalf("err = %v, want not_found", err)
				}
				return
			}
			if err != nil || got.OrgNumber != tt.org {
				t.Fatalf("ResolveParty(%s) = %+v, %v", tt.ref, got, err)
			}
		})
	}
}
