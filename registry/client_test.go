package registry_test

import (
	"context"
	"slices"
	"testing"

	"github.com/systemuser-gateway/systemuser/registry"
)

func TestListAgentSystemUsers(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t)
	agent := approved(t, f, admin, true, registry.RequestInput{SystemID: agentSystem, PartyOrg: customerOrg,
		AccessPackages: []string{"urn:altinn:accesspackage:regnskapsforer-lonn"}})
	approved(t, f, admin, false, stdInput()) // standard users are not listed
	gone := approved(t, f, admin, true, registry.RequestInput{SystemID: agentSystem, PartyOrg: customerOrg, ExternalRef: "gone",
		AccessPackages: []string{"urn:altinn:accesspackage:regnskapsforer-lonn"}})
	if err := f.svc.DeleteSystemUser(personCtx(admin), gone.ID); err != nil {
		t.Fatal(err)
	}
	clientAdmin, stranger := newPID(), newPID()
	f.MustPerson(clientAdmin, customerOrg, "KLADM")
	f.MustPerson(stranger, vendorOrg, "DAGL")

	tests := []struct {
		name   string
		ctx    context.Context
		org    string
		reason string
	}{
		{"OKAdministrator", personCtx(admin), customerOrg, ""},
		{"OKClientAdministrator", personCtx(clientAdmin), customerOrg, ""},
		{"OKPlatformAdmin", adminCtx(), customerOrg, ""},
		{"ErrOtherOrg", personCtx(stranger), customerOrg, "NOT_ADMINISTRATOR"},
		{"ErrUnknownOrg", personCtx(admin), newOrgNumber(), "NOT_ADMINISTRATOR"},
		{"ErrVendor", vendorCtx(vendorOrg), customerOrg, "UNAUTHENTICATED"},
		{"ErrAnonymous", anonCtx(), customerOrg, "UNAUTHENTICATED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := f.svc.ListAgentSystemUsers(tt.ctx, tt.org)
			if tt.reason != "" {
				if !slices.Equal(reasons(err), []string{tt.reason}) {
					t.Errorf("err = %v, want %s", err, tt.reason)
				}
				return
			}
			if err != nil || len(got) != 1 || got[0].ID != agent.ID || got[0].UserType != registry.TypeAgent ||
				!slices.Equal(got[0].AccessPackages, []string{"urn:altinn:accesspackage:regnskapsforer-lonn"}) {
				t.Errorf("agents = %+v, %v", got, err)
			}
		})
	}
	t.Run("GetAgent", func(t *testing.T) {
		t.Parallel()
		if got, err := f.svc.GetAgent(personCtx(clientAdmin), agent.ID); err != nil || got.OwnerOrg != customerOrg {
			t.Errorf("GetAgent = %+v, %v", got, err)
		}
		if _, err := f.svc.GetAgent(personCtx(stranger), agent.ID); !slices.Equal(reasons(err), []string{"SYSTEM_USER_NOT_FOUND"}) {
			t.Errorf("stranger: %v", err)
		}
	})
}
