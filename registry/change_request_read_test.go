package registry_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"

	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

// crFixture is a standard system user of customerOrg (system stdSystem)
// and its administrator.
func crFixture(t *testing.T) (*fixture, *registry.SystemUser, string) {
	t.Helper()
	f, admin := requestFixture(t)
	return f, approved(t, f, admin, false, stdInput()), admin
}

// mustChangeRequest creates a New change request asking for ske-mva:read.
func (f *fixture) mustChangeRequest(t *testing.T, su uuid.UUID) *registry.ChangeRequest {
	t.Helper()
	cr, created, err := f.svc.CreateChangeRequest(vendorCtx(vendorOrg), uuid.New(), su,
		registry.ChangeRequestInput{RequiredRights: []registry.Right{{Resource: "ske-mva", Action: "read"}}})
	if err != nil || !created {
		t.Fatalf("create change request: %v (created %v)", err, created)
	}
	return cr
}

func TestChangeRequestCorrelationID(t *testing.T) {
	t.Parallel()
	f, su, admin := crFixture(t)
	f.MustSystem(vendorOrg+"_second", vendorOrg, true, []registry.Right{{Resource: "ske-krav"}}, nil, nil, nil)
	other, err := f.svc.CreateSystemUser(personCtx(admin), vendorOrg+"_second", customerOrg, "")
	if err != nil {
		t.Fatal(err)
	}
	pending := f.mustChangeRequest(t, su.ID)
	decided := f.mustChangeRequest(t, su.ID)
	if _, err := f.svc.RejectChangeRequest(personCtx(admin), decided.ID); err != nil {
		t.Fatal(err)
	}
	deleted := f.mustChangeRequest(t, su.ID)
	if err := f.svc.DeleteChangeRequest(vendorCtx(vendorOrg), deleted.ID); err != nil {
		t.Fatal(err)
	}
	change := registry.ChangeRequestInput{UnwantedRights: []registry.Right{{Resource: "ske-krav", Action: "read"}}}

	tests := []struct {
		name   string
		corr   uuid.UUID
		su     uuid.UUID
		reason string // "" = the stored change request, created=false
	}{
		{"OKRepeatWhileNew", pending.ID, su.ID, ""},
		{"ErrDecided", decided.ID, su.ID, "CORRELATION_ID_USED"},
		{"ErrDeleted", deleted.ID, su.ID, "CORRELATION_ID_USED"},
		{"ErrOtherSystemUser", pending.ID, other.ID, "CORRELATION_ID_USED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cr, created, err := f.svc.CreateChangeRequest(vendorCtx(vendorOrg), tt.corr, tt.su, change)
			if tt.reason != "" {
				if !slices.Equal(reasons(err), []string{tt.reason}) {
					t.Fatalf("err = %v, want %s", err, tt.reason)
				}
				if ae := altinnCode(err); ae != "AUTH-00061" {
					t.Errorf("altinn code %q", ae)
				}
				return
			}
			if err != nil || created || cr.ID != tt.corr || len(cr.RequiredRights) != 1 || len(cr.UnwantedRights) != 0 {
				t.Fatalf("repeat = %+v, %v, %v", cr, created, err)
			}
		})
	}
}

func TestChangeRequestReads(t *testing.T) {
	t.Parallel()
	f, su, admin := crFixture(t)
	first := f.mustChangeRequest(t, su.ID)
	f.now = f.now.Add(time.Second)
	second := f.mustChangeRequest(t, su.ID)
	vendor := vendorCtx(vendorOrg)

	t.Run("ByExternalRefNewest", func(t *testing.T) {
		for _, ref := range []string{"", customerOrg} {
			got, err := f.svc.GetChangeRequestByExternalRef(vendor, stdSystem, customerOrg, ref)
			if err != nil || got.ID != second.ID || got.SystemUserID != su.ID || got.ExternalRef != customerOrg {
				t.Errorf("ref %q: %+v, %v", ref, got, err)
			}
		}
	})
	byRefErrs := []struct {
		name   string
		ctx    context.Context
		system string
		ref    string
		reason string
	}{
		{"ErrOtherVendor", vendorCtx(otherVendor), stdSystem, "", "CHANGE_REQUEST_NOT_FOUND"},
		{"ErrUnknownRef", vendor, stdSystem, "nope", "CHANGE_REQUEST_NOT_FOUND"},
		{"ErrNoScope", vendorCtx(vendorOrg, identity.ScopeSystemRegisterWrite), stdSystem, "", "MISSING_SCOPE"},
		{"ErrAnonymous", anonCtx(), stdSystem, "", "UNAUTHENTICATED"},
	}
	for _, tt := range byRefErrs {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.svc.GetChangeRequestByExternalRef(tt.ctx, tt.system, customerOrg, tt.ref); !slices.Equal(reasons(err), []string{tt.reason}) {
				t.Errorf("err = %v, want %s", err, tt.reason)
			}
		})
	}
	t.Run("OwnerReadsByExternalRef", func(t *testing.T) {
		if got, err := f.svc.GetChangeRequestByExternalRef(personCtx(admin), stdSystem, customerOrg, ""); err != nil || got.ID != second.ID {
			t.Errorf("%+v, %v", got, err)
		}
	})

	t.Run("BySystemPages", func(t *testing.T) {
		page1, err := f.svc.ListChangeRequestsBySystem(vendor, stdSystem, registry.Page{First: 1})
		if err != nil || page1.TotalCount != 2 || !page1.HasNextPage || len(page1.Items) != 1 || page1.Items[0].ID != first.ID {
			t.Fatalf("page 1 = %+v, %v", page1, err)
		}
		page2, err := f.svc.ListChangeRequestsBySystem(vendor, stdSystem, registry.Page{First: 1, After: page1.Cursor(0)})
		if err != nil || page2.HasNextPage || len(page2.Items) != 1 || page2.Items[0].ID != second.ID ||
			!slices.Equal(page2.Items[0].RequiredRights, []registry.Right{{Resource: "ske-mva", Action: "read"}}) {
			t.Fatalf("page 2 = %+v, %v", page2, err)
		}
	})
	listErrs := []struct {
		name   string
		ctx    context.Context
		system string
		page   registry.Page
		reason string
	}{
		{"ErrOtherVendorsSystem", vendor, otherSystem, registry.Page{}, "SYSTEM_NOT_FOUND"},
		{"ErrUnknownSystem", vendor, vendorOrg + "_none", registry.Page{}, "SYSTEM_NOT_FOUND"},
		{"ErrPerson", personCtx(admin), stdSystem, registry.Page{}, "MISSING_SCOPE"},
		{"ErrBadCursor", vendor, stdSystem, registry.Page{After: "garbage"}, "INVALID_CURSOR"},
	}
	for _, tt := range listErrs {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.svc.ListChangeRequestsBySystem(tt.ctx, tt.system, tt.page); !slices.Equal(reasons(err), []string{tt.reason}) {
				t.Errorf("err = %v, want %s", err, tt.reason)
			}
		})
	}
	t.Run("AdminListsAny", func(t *testing.T) {
		if conn, err := f.svc.ListChangeRequestsBySystem(adminCtx(), stdSystem, registry.Page{}); err != nil || conn.TotalCount != 2 {
			t.Errorf("%+v, %v", conn, err)
		}
	})
}

func TestDeleteChangeRequest(t *testing.T) {
	t.Parallel()
	f, su, admin := crFixture(t)
	cr := f.mustChangeRequest(t, su.ID)

	tests := []struct {
		name   string
		ctx    context.Context
		id     uuid.UUID
		reason string
	}{
		{"ErrOtherVendor", vendorCtx(otherVendor), cr.ID, "CHANGE_REQUEST_NOT_FOUND"},
		{"ErrReadScopeOnly", vendorCtx(vendorOrg, identity.ScopeRequestRead), cr.ID, "MISSING_SCOPE"},
		{"ErrPerson", personCtx(admin), cr.ID, "MISSING_SCOPE"},
		{"ErrUnknown", vendorCtx(vendorOrg), uuid.New(), "CHANGE_REQUEST_NOT_FOUND"},
		{"OK", vendorCtx(vendorOrg), cr.ID, ""},
		{"ErrTwice", vendorCtx(vendorOrg), cr.ID, "CHANGE_REQUEST_NOT_FOUND"},
	}
	for _, tt := range tests { // in order: the OK case changes state
		t.Run(tt.name, func(t *testing.T) {
			err := f.svc.DeleteChangeRequest(tt.ctx, tt.id)
			if tt.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !slices.Equal(reasons(err), []string{tt.reason}) {
				t.Errorf("err = %v, want %s", err, tt.reason)
			}
		})
	}
	if _, err := f.svc.GetChangeRequest(vendorCtx(vendorOrg), cr.ID); !slices.Equal(reasons(err), []string{"CHANGE_REQUEST_NOT_FOUND"}) {
		t.Errorf("deleted change request still readable: %v", err)
	}
	if _, err := f.svc.ApproveChangeRequest(personCtx(admin), cr.ID); !slices.Equal(reasons(err), []string{"CHANGE_REQUEST_NOT_FOUND"}) {
		t.Errorf("deleted change request approvable: %v", err)
	}
}

// altinnCode is the Altinn problem code err carries.
func altinnCode(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Altinn
	}
	return ""
}
