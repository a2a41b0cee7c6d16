package registry_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/registry"
)

func TestChangeRequest(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t)
	in := stdInput() // ske-krav:read
	in.AccessPackages = []string{"urn:altinn:accesspackage:both"}
	su := approved(t, f, admin, false, in)
	vctx := vendorCtx(vendorOrg)

	errs := []struct {
		name   string
		corr   uuid.UUID
		in     registry.ChangeRequestInput
		ctxOrg string
		reason string
	}{
		{"ErrNilCorrelation", uuid.Nil, registry.ChangeRequestInput{}, vendorOrg, "INVALID_CORRELATION_ID"},
		{"ErrCorrelationIsSystemUser", su.ID, registry.ChangeRequestInput{}, vendorOrg, "INVALID_CORRELATION_ID"},
		{"ErrOtherVendor", uuid.New(), registry.ChangeRequestInput{RequiredRights: []registry.Right{{Resource: "ske-mva", Action: "read"}}}, otherVendor, "SYSTEM_USER_NOT_FOUND"},
		{"ErrRightsNotInSystem", uuid.New(), registry.ChangeRequestInput{RequiredRights: []registry.Right{{Resource: "ske-mva", Action: "write"}}}, vendorOrg, "RIGHTS_NOT_IN_SYSTEM"},
		{"ErrPackagesNotInSystem", uuid.New(), registry.ChangeRequestInput{RequiredAccessPackages: []string{"urn:altinn:accesspackage:regnskapsforer-lonn"}}, vendorOrg, "PACKAGES_NOT_IN_SYSTEM"},
		{"ErrContradicts", uuid.New(), registry.ChangeRequestInput{RequiredRights: []registry.Right{{Resource: "ske-krav"}}, UnwantedRights: []registry.Right{{Resource: "ske-krav"}}}, vendorOrg, "CHANGE_CONTRADICTS"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.svc.CreateChangeRequest(vendorCtx(tt.ctxOrg), tt.corr, su.ID, tt.in)
			if !slices.Equal(reasons(err), []string{tt.reason}) {
				t.Errorf("err = %v, want %s", err, tt.reason)
			}
		})
	}

	none, created, err := f.svc.CreateChangeRequest(vctx, uuid.New(), su.ID, registry.ChangeRequestInput{})
	if err != nil || created || none.Status != "NoChangeNeeded" {
		t.Errorf("empty = %+v, %v, %v", none, created, err)
	}
	if _, err := f.svc.GetChangeRequest(vctx, none.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("NoChangeNeeded was stored: %v", err)
	}

	corr := uuid.New()
	change := registry.ChangeRequestInput{
		RequiredRights:         []registry.Right{{Resource: "ske-mva", Action: "read"}, {Resource: "ske-krav", Action: "read"}},
		UnwantedRights:         []registry.Right{{Resource: "ske-krav", Action: "write"}},
		UnwantedAccessPackages: []string{"urn:altinn:accesspackage:both"},
		RequiredAccessPackages: []string{"urn:altinn:accesspackage:skattnaering"},
	}
	cr, created, err := f.svc.CreateChangeRequest(vctx, corr, su.ID, change)
	if err != nil || !created || cr.Status != "New" || len(cr.RequiredRights) != 2 || len(cr.UnwantedAccessPackages) != 1 {
		t.Fatalf("create = %+v, %v, %v", cr, created, err)
	}
	if cr.ConfirmURL != "http://localhost:8080/accessmanagement/ui/systemuser/changerequest?id="+corr.String()+"&DONTCHOOSEREPORTEE=true" {
		t.Errorf("confirm url = %s", cr.ConfirmURL)
	}
	again, created, err := f.svc.CreateChangeRequest(vctx, corr, su.ID, registry.ChangeRequestInput{UnwantedRights: []registry.Right{{Resource: "ske-mva"}}})
	if err != nil || created || again.ID != corr || len(again.RequiredRights) != 2 {
		t.Errorf("repeat = %+v, %v, %v", again, created, err)
	}
	if _, err := f.svc.GetChangeRequest(vendorCtx(otherVendor), corr); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("other vendor read: %v", err)
	}
	if _, err := f.svc.GetChangeRequest(personCtx(admin), corr); err != nil {
		t.Errorf("owner read: %v", err)
	}
	outsider := newPID()
	f.MustPerson(outsider, vendorOrg, "DAGL")
	if _, err := f.svc.ApproveChangeRequest(personCtx(outsider), corr); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("approve by outsider: %v", err)
	}
	got, err := f.svc.ApproveChangeRequest(personCtx(admin), corr)
	if err != nil || got.Status != "Accepted" {
		t.Fatalf("approve = %+v, %v", got, err)
	}
	after, err := f.svc.GetSystemUser(personCtx(admin), su.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantRights := []registry.Right{{Resource: "ske-krav", Action: "read"}, {Resource: "ske-mva", Action: "read"}}
	if !slices.Equal(after.Rights, wantRights) || !slices.Equal(after.AccessPackages, []string{"urn:altinn:accesspackage:skattnaering"}) {
		t.Errorf("after approval: rights %v packages %v", after.Rights, after.AccessPackages)
	}
	if _, err := f.svc.RejectChangeRequest(personCtx(admin), corr); !slices.Equal(reasons(err), []string{"REQUEST_NOT_NEW"}) {
		t.Errorf("reject accepted: %v", err)
	}
	// Agent system users cannot be changed.
	agent := approved(t, f, admin, true, registry.RequestInput{SystemID: agentSystem, PartyOrg: customerOrg,
		AccessPackages: []string{"urn:altinn:accesspackage:regnskapsforer-lonn"}})
	if _, _, err := f.svc.CreateChangeRequest(vctx, uuid.New(), agent.ID, change); !slices.Equal(reasons(err), []string{"AGENT_CHANGE_NOT_SUPPORTED"}) {
		t.Errorf("agent change: %v", err)
	}
}
