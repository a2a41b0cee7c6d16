package registry_test

import (
	"slices"
	"testing"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/registry"
)

func validSystem(id string) registry.SystemInput {
	return registry.SystemInput{
		ID:             id,
		Name:           registry.Texts{NB: "Sys", NN: "Sys", EN: "Sys"},
		Rights:         []registry.Right{{Resource: "ske-krav"}, {Resource: "ske-mva", Action: "read"}},
		AccessPackages: []string{"urn:altinn:accesspackage:skattnaering"},
		ClientIDs:      []string{"client-" + id},
		RedirectURLs:   []string{"https://vendor.example/cb", "http://localhost:3000/cb"},
		IsVisible:      true,
	}
}

// reasons returns the violation reasons of err (or its Reason).
func reasons(err error) []string {
	e, ok := apperr.As(err)
	if !ok {
		return nil
	}
	if len(e.Violations) == 0 {
		return []string{e.Reason}
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Reason)
	}
	return out
}

func TestRegisterSystem(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.MustSystem(vendorOrg+"_deleted", vendorOrg, true, nil, nil, []string{"taken-client"}, nil)
	if err := f.svc.DeleteSystem(vendorCtx(vendorOrg), vendorOrg+"_deleted"); err != nil {
		t.Fatal(err)
	}
	f.MustSystem(vendorOrg+"_live", vendorOrg, true, nil, nil, []string{"live-client"}, nil)

	tests := []struct {
		name   string
		mutate func(*registry.SystemInput)
		want   []string // violation reasons, nil = OK
		code   apperr.Code
	}{
		{"OK", func(*registry.SystemInput) {}, nil, ""},
		{"ErrInvalidSystemID", func(in *registry.SystemInput) { in.ID = otherVendor + "_x" }, []string{"INVALID_SYSTEM_ID"}, apperr.Invalid},
		{"ErrSpaces", func(in *registry.SystemInput) { in.ID = vendorOrg + "_a b" }, []string{"SYSTEM_ID_HAS_SPACES"}, apperr.Invalid},
		{"ErrExistsDeleted", func(in *registry.SystemInput) { in.ID = vendorOrg + "_deleted" }, []string{"SYSTEM_EXISTS"}, apperr.Invalid},
		{"ErrForbiddenVendor", func(in *registry.SystemInput) { in.VendorOrg = otherVendor; in.ID = otherVendor + "_x" }, []string{"NOT_SYSTEM_VENDOR"}, apperr.Forbidden},
		{"ErrResourceNotFound", func(in *registry.SystemInput) { in.Rights = []registry.Right{{Resource: "nope"}} }, []string{"RESOURCE_NOT_FOUND"}, apperr.Invalid},
		{"ErrActionNotFound", func(in *registry.SystemInput) { in.Rights = []registry.Right{{Resource: "ske-mva", Action: "sign"}} }, []string{"ACTION_NOT_FOUND"}, apperr.Invalid},
		{"ErrDuplicateRight", func(in *registry.SystemInput) { in.Rights = append(in.Rights, registry.Right{Resource: "ske-krav"}) }, []string{"DUPLICATE_RIGHT"}, apperr.Invalid},
		{"ErrPackageNotFound", func(in *registry.SystemInput) { in.AccessPackages = []string{"urn:altinn:accesspackage:nope"} }, []string{"PACKAGE_NOT_FOUND"}, apperr.Invalid},
		{"ErrDuplicatePackage", func(in *registry.SystemInput) { in.AccessPackages = append(in.AccessPackages, in.AccessPackages[0]) }, []string{"DUPLICATE_PACKAGE"}, apperr.Invalid},
		{"ErrClientOnlyPackageVisible", func(in *registry.SystemInput) {
			in.AccessPackages = []string{"urn:altinn:accesspackage:regnskapsforer-lonn"}
		}, []string{"PACKAGE_NOT_ASSIGNABLE"}, apperr.Invalid},
		{"OKClientOnlyPackageInvisible", func(in *registry.SystemInput) {
			in.AccessPackages = []string{"urn:altinn:accesspackage:regnskapsforer-lonn"}
			in.IsVisible = false
		}, nil, ""},
		{"OKClientIDOfDeletedSystem", func(in *registry.SystemInput) { in.ClientIDs = []string{"taken-client"} }, nil, ""},
		{"ErrClientIDTaken", func(in *registry.SystemInput) { in.ClientIDs = []string{"live-client"} }, []string{"CLIENT_ID_TAKEN"}, apperr.Invalid},
		{"ErrDuplicateClientID", func(in *registry.SystemInput) { in.ClientIDs = []string{"a", "a"} }, []string{"DUPLICATE_CLIENT_ID"}, apperr.Invalid},
		{"ErrRedirectHTTP", func(in *registry.SystemInput) { in.RedirectURLs = []string{"http://vendor.example/cb"} }, []string{"REDIRECT_URL_INVALID"}, apperr.Invalid},
		{"ErrRedirectRelative", func(in *registry.SystemInput) { in.RedirectURLs = []string{"/cb"} }, []string{"REDIRECT_URL_INVALID"}, apperr.Invalid},
		{"ErrNameMissing", func(in *registry.SystemInput) { in.Name.NN = "" }, []string{"NAME_REQUIRED"}, apperr.Invalid},
		{"ErrAllAtOnce", func(in *registry.SystemInput) {
			in.ID = vendorOrg + "_deleted"
			in.Rights = []registry.Right{{Resource: "nope"}}
			in.ClientIDs = []string{"live-client"}
			in.RedirectURLs = []string{"ftp://x"}
		}, []string{"SYSTEM_EXISTS", "RESOURCE_NOT_FOUND", "CLIENT_ID_TAKEN", "REDIRECT_URL_INVALID"}, apperr.Invalid},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := validSystem(vendorOrg + "_sys" + string(rune('a'+i)))
			tt.mutate(&in)
			sys, err := f.svc.RegisterSystem(vendorCtx(vendorOrg), in)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("err = %v (%v)", err, reasons(err))
				}
				if sys.ID != in.ID || sys.VendorOrg != vendorOrg || len(sys.Rights) != len(in.Rights) || !slices.Equal(sys.ClientIDs, in.ClientIDs) {
					t.Errorf("system = %+v", sys)
				}
				return
			}
			if apperr.CodeOf(err) != tt.code || !slices.Equal(reasons(err), tt.want) {
				t.Errorf("err = %v, reasons %v; want %s %v", err, reasons(err), tt.code, tt.want)
			}
		})
	}
}

func TestRegisterSystemAuth(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.svc.RegisterSystem(anonCtx(), validSystem(vendorOrg+"_a")); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("anonymous: %v", err)
	}
	if _, err := f.svc.RegisterSystem(vendorCtx(vendorOrg, "other:scope"), validSystem(vendorOrg+"_a")); apperr.CodeOf(err) != apperr.Forbidden {
		t.Errorf("no scope: %v", err)
	}
	in := validSystem(vendorOrg + "_admin")
	in.VendorOrg = vendorOrg
	if _, err := f.svc.RegisterSystem(adminCtx(), in); err != nil {
		t.Errorf("admin for another vendor: %v", err)
	}
}

func TestUpdateAndDeleteSystem(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := vendorCtx(vendorOrg)
	id := vendorOrg + "_upd"
	if _, err := f.svc.RegisterSystem(ctx, validSystem(id)); err != nil {
		t.Fatal(err)
	}
	in := validSystem(id)
	in.Name.EN = "Renamed"
	in.Rights = []registry.Right{{Resource: "ske-mva"}}
	in.AccessPackages = nil
	in.ClientIDs = []string{"new-client"}
	in.RedirectURLs = nil
	sys, err := f.svc.UpdateSystem(ctx, id, in)
	if err != nil {
		t.Fatal(err)
	}
	if sys.Name.EN != "Renamed" || len(sys.Rights) != 1 || len(sys.AccessPackages) != 0 || !slices.Equal(sys.ClientIDs, []string{"new-client"}) || len(sys.RedirectURLs) != 0 {
		t.Errorf("after full replace: %+v", sys)
	}
	if _, err := f.svc.UpdateSystem(vendorCtx(otherVendor), id, in); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("other vendor update: %v", err)
	}
	if _, err := f.svc.UpdateSystem(ctx, id, validSystem(vendorOrg+"_other")); !slices.Equal(reasons(err), []string{"SYSTEM_ID_MISMATCH"}) {
		t.Errorf("id mismatch: %v", err)
	}
	sys, err = f.svc.UpdateSystemRights(ctx, id, []registry.Right{{Resource: "ske-krav", Action: "read"}, {Resource: "ske-krav", Action: "write"}})
	if err != nil || len(sys.Rights) != 2 || !slices.Equal(sys.ClientIDs, []string{"new-client"}) {
		t.Errorf("UpdateSystemRights = %+v, %v", sys, err)
	}
	if _, err := f.svc.UpdateSystemRights(ctx, id, []registry.Right{{Resource: "nope"}}); !slices.Equal(reasons(err), []string{"RESOURCE_NOT_FOUND"}) {
		t.Errorf("bad rights: %v", err)
	}
	sys, err = f.svc.UpdateSystemAccessPackages(ctx, id, []string{"urn:altinn:accesspackage:both"})
	if err != nil || !slices.Equal(sys.AccessPackages, []string{"urn:altinn:accesspackage:both"}) || len(sys.Rights) != 2 {
		t.Errorf("UpdateSystemAccessPackages = %+v, %v", sys, err)
	}
	if err := f.svc.DeleteSystem(vendorCtx(otherVendor), id); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("other vendor delete: %v", err)
	}
	if err := f.svc.DeleteSystem(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateSystem(ctx, id, in); !slices.Equal(reasons(err), []string{"SYSTEM_DELETED"}) {
		t.Errorf("update deleted: %v", err)
	}
	// The client id is free again; the system id is not.
	again := validSystem(vendorOrg + "_new")
	again.ClientIDs = []string{"new-client"}
	if _, err := f.svc.RegisterSystem(ctx, again); err != nil {
		t.Errorf("client id not released: %v", err)
	}
	if _, err := f.svc.RegisterSystem(ctx, validSystem(id)); !slices.Equal(reasons(err), []string{"SYSTEM_EXISTS"}) {
		t.Errorf("id reuse: %v", reasons(err))
	}
	got, err := f.svc.GetSystem(ctx, id)
	if err != nil || !got.IsDeleted || len(got.ClientIDs) != 0 {
		t.Errorf("vendor GET deleted = %+v, %v", got, err)
	}
	if _, err := f.svc.GetSystem(anonCtx(), id); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("anonymous GET deleted: %v", err)
	}
}

// Altinn does not look vendors up: a vendor nobody seeded registers a system
// and exists from then on; an org number that cannot exist is refused.
func TestRegisterSystemCreatesVendorOnFirstUse(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	t.Run("OK", func(t *testing.T) {
		org := newOrgNumber()
		if _, err := f.svc.GetOrganization(anonCtx(), org); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("vendor %s before its first system: %v, want not found", org, err)
		}
		sys, err := f.svc.RegisterSystem(vendorCtx(org), validSystem(org+"_first"))
		if err != nil {
			t.Fatalf("register with an unseeded vendor: %v (%v)", err, reasons(err))
		}
		if sys.VendorOrg != org {
			t.Errorf("vendor = %s, want %s", sys.VendorOrg, org)
		}
		if o, err := f.svc.GetOrganization(anonCtx(), org); err != nil || o.OrgNumber != org {
			t.Errorf("vendor after its first system: %+v, %v", o, err)
		}
		// The second system finds it.
		if _, err := f.svc.RegisterSystem(vendorCtx(org), validSystem(org+"_second")); err != nil {
			t.Errorf("second system: %v", err)
		}
	})
	t.Run("ErrVendorOrgInvalid", func(t *testing.T) {
		const bad = "123456789" // fails the mod-11 check
		_, err := f.svc.RegisterSystem(vendorCtx(bad), validSystem(bad+"_x"))
		if apperr.CodeOf(err) != apperr.Invalid || !slices.Contains(reasons(err), "VENDOR_ORG_INVALID") {
			t.Fatalf("err = %v, reasons %v; want VENDOR_ORG_INVALID", err, reasons(err))
		}
		if _, err := f.svc.GetOrganization(anonCtx(), bad); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("refused vendor was created: %v", err)
		}
	})
}
