package registry_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/registry"
)

func TestRightAmong(t *testing.T) {
	t.Parallel()
	r := func(res, action string) registry.Right { return registry.Right{Resource: res, Action: action} }
	system := []registry.Right{r("every", ""), r("listed", "read"), r("listed", "write")}
	tests := []struct {
		name   string
		want   registry.Right
		grants []registry.Right // nil = not among
	}{
		{"OK/NoActionOnEveryAction", r("every", ""), []registry.Right{r("every", "")}},
		{"OK/NoActionOnListedActions", r("listed", ""), []registry.Right{r("listed", "read"), r("listed", "write")}},
		{"OK/ActionNarrowsEveryAction", r("every", "sign"), []registry.Right{r("every", "sign")}},
		{"OK/ActionListed", r("listed", "write"), []registry.Right{r("listed", "write")}},
		{"ErrActionNotListed", r("listed", "sign"), nil},
		{"ErrOtherResource", r("other", ""), nil},
		{"ErrOtherResourceWithAction", r("other", "read"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := registry.RightAmong(tt.want, system)
			if ok != (tt.grants != nil) || !slices.Equal(got, tt.grants) {
				t.Errorf("RightAmong(%v) = %v, %v; want %v", tt.want, got, ok, tt.grants)
			}
		})
	}
	if _, ok := registry.RightAmong(r("every", ""), nil); ok {
		t.Error("a system without rights holds nothing")
	}
}

// Altinn's documented request body names only the resource; the request
// then asks for exactly what the system's rights on it permit, and the
// approved system user holds that.
func TestRequestRightWithoutAction(t *testing.T) {
	t.Parallel()
	f, pid := requestFixture(t) // stdSystem: ske-krav (every action), ske-mva:read
	tests := []struct {
		name   string
		rights []registry.Right
		want   []registry.Right // nil = RIGHTS_NOT_IN_SYSTEM
	}{
		{"OK/SystemListsAction", []registry.Right{{Resource: "ske-mva"}}, []registry.Right{{Resource: "ske-mva", Action: "read"}}},
		{"OK/SystemHoldsEveryAction", []registry.Right{{Resource: "ske-krav"}}, []registry.Right{{Resource: "ske-krav"}}},
		{"OK/ActionNarrows", []registry.Right{{Resource: "ske-krav", Action: "write"}}, []registry.Right{{Resource: "ske-krav", Action: "write"}}},
		{"ErrRightsNotInSystem/UnknownAction", []registry.Right{{Resource: "ske-krav", Action: "sign"}}, nil},
		{"ErrRightsNotInSystem/ActionNotListed", []registry.Right{{Resource: "ske-mva", Action: "write"}}, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := registry.RequestInput{SystemID: stdSystem, PartyOrg: customerOrg, ExternalRef: "noaction-" + string(rune('a'+i)), Rights: tt.rights}
			req, created, err := f.svc.CreateRequest(vendorCtx(vendorOrg), in)
			if tt.want == nil {
				if !slices.Equal(reasons(err), []string{"RIGHTS_NOT_IN_SYSTEM"}) {
					t.Fatalf("err = %v, want RIGHTS_NOT_IN_SYSTEM", err)
				}
				return
			}
			if err != nil || !created {
				t.Fatalf("create = %v, %v", created, err)
			}
			if !slices.Equal(req.Rights, tt.want) {
				t.Errorf("request rights = %v, want %v", req.Rights, tt.want)
			}
			su, err := f.svc.ApproveRequest(personCtx(pid), req.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(su.Rights, tt.want) {
				t.Errorf("system user rights = %v, want %v", su.Rights, tt.want)
			}
		})
	}
}

func TestSystemRightsDuplicates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name   string
		rights []registry.Right
		dup    bool
	}{
		{"OK/TwoActions", []registry.Right{{Resource: "ske-krav", Action: "read"}, {Resource: "ske-krav", Action: "write"}}, false},
		{"ErrDuplicateRight/Same", []registry.Right{{Resource: "ske-krav", Action: "read"}, {Resource: "ske-krav", Action: "read"}}, true},
		{"ErrDuplicateRight/EveryActionThenAction", []registry.Right{{Resource: "ske-krav"}, {Resource: "ske-krav", Action: "read"}}, true},
		{"ErrDuplicateRight/ActionThenResource", []registry.Right{{Resource: "ske-krav", Action: "read"}, {Resource: "ske-krav"}}, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := validSystem(vendorOrg + "_dup" + string(rune('a'+i)))
			in.Rights = tt.rights
			_, err := f.svc.RegisterSystem(vendorCtx(vendorOrg), in)
			if got := slices.Equal(reasons(err), []string{"DUPLICATE_RIGHT"}); got != tt.dup || (!tt.dup && err != nil) {
				t.Errorf("err = %v, want duplicate %v", err, tt.dup)
			}
		})
	}
}

// Altinn checks client ids only for duplicates: spaces are allowed.
func TestSystemClientIDFreeText(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := validSystem(vendorOrg + "_spaces")
	in.ClientIDs = []string{"my client id", "another one"}
	sys, err := f.svc.RegisterSystem(vendorCtx(vendorOrg), in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sys.ClientIDs, []string{"another one", "my client id"}) {
		t.Errorf("client ids = %v", sys.ClientIDs)
	}
	in = validSystem(vendorOrg + "_spaces2")
	in.ClientIDs = []string{"my client id"}
	if _, err := f.svc.RegisterSystem(vendorCtx(vendorOrg), in); !slices.Equal(reasons(err), []string{"CLIENT_ID_TAKEN"}) {
		t.Errorf("taken client id: err = %v", err)
	}
}

// Change requests use the same rule: a required right without action asks
// for the system's rights on the resource; an unwanted right without action
// removes every right the system user holds on it.
func TestChangeRequestRightsWithoutAction(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t) // stdSystem: ske-krav (every action), ske-mva:read
	in := stdInput()
	in.Rights = []registry.Right{{Resource: "ske-krav", Action: "read"}, {Resource: "ske-krav", Action: "write"}}
	su := approved(t, f, admin, false, in)
	cr, created, err := f.svc.CreateChangeRequest(vendorCtx(vendorOrg), uuid.New(), su.ID, registry.ChangeRequestInput{
		RequiredRights: []registry.Right{{Resource: "ske-mva"}},
		UnwantedRights: []registry.Right{{Resource: "ske-krav"}},
	})
	if err != nil || !created {
		t.Fatalf("create = %v, %v", created, err)
	}
	if want := []registry.Right{{Resource: "ske-mva", Action: "read"}}; !slices.Equal(cr.RequiredRights, want) {
		t.Errorf("required rights = %v, want %v", cr.RequiredRights, want)
	}
	if _, err := f.svc.ApproveChangeRequest(personCtx(admin), cr.ID); err != nil {
		t.Fatal(err)
	}
	after, err := f.svc.GetSystemUser(personCtx(admin), su.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []registry.Right{{Resource: "ske-mva", Action: "read"}}; !slices.Equal(after.Rights, want) {
		t.Errorf("rights after approval = %v, want %v", after.Rights, want)
	}
}
