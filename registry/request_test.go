package registry_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/registry"
)

const (
	stdSystem   = vendorOrg + "_std"
	agentSystem = vendorOrg + "_agent"
	otherSystem = otherVendor + "_sys"
)

// requestFixture adds a standard and an agent system of vendorOrg, one of
// otherVendor, and a person administering customerOrg.
func requestFixture(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t)
	f.MustSystem(stdSystem, vendorOrg, true,
		[]registry.Right{{Resource: "ske-krav"}, {Resource: "ske-mva", Action: "read"}},
		[]string{"urn:altinn:accesspackage:skattnaering", "urn:altinn:accesspackage:both"},
		[]string{"std-client"}, []string{"https://vendor.example/cb"})
	f.MustSystem(agentSystem, vendorOrg, false, nil,
		[]string{"urn:altinn:accesspackage:regnskapsforer-lonn", "urn:altinn:accesspackage:skattnaering"},
		[]string{"agent-client"}, nil)
	f.MustSystem(otherSystem, otherVendor, true, []registry.Right{{Resource: "ske-krav"}}, nil, nil, nil)
	pid := newPID()
	f.MustPerson(pid, customerOrg, "DAGL")
	return f, pid
}

func stdInput() registry.RequestInput {
	return registry.RequestInput{SystemID: stdSystem, PartyOrg: customerOrg,
		Rights: []registry.Right{{Resource: "ske-krav", Action: "read"}}}
}

func TestCreateRequest(t *testing.T) {
	t.Parallel()
	f, _ := requestFixture(t)
	f.MustSystem(vendorOrg+"_gone", vendorOrg, true, []registry.Right{{Resource: "ske-krav"}}, nil, nil, nil)
	f.exec("UPDATE systems SET is_deleted = true WHERE id = ?", vendorOrg+"_gone")

	tests := []struct {
		name   string
		agent  bool
		mutate func(*registry.RequestInput)
		reason string // "" = OK
	}{
		{"OK", false, func(*registry.RequestInput) {}, ""},
		{"OKPackagesOnly", false, func(in *registry.RequestInput) {
			in.Rights = nil
			in.AccessPackages = []string{"urn:altinn:accesspackage:skattnaering"}
		}, ""},
		{"OKRedirectWithQuery", false, func(in *registry.RequestInput) { in.RedirectURL = "https://vendor.example/cb?state=1" }, ""},
		{"ErrRedirectNotAllowed", false, func(in *registry.RequestInput) { in.RedirectURL = "https://vendor.example/other" }, "REDIRECT_URL_NOT_ALLOWED"},
		{"ErrNoRedirectURLs", true, func(in *registry.RequestInput) { in.RedirectURL = "https://vendor.example/cb" }, "NO_REDIRECT_URLS"},
		{"ErrSystemOfOtherVendor", false, func(in *registry.RequestInput) { in.SystemID = otherSystem }, "SYSTEM_NOT_FOUND"},
		{"ErrSystemDeleted", false, func(in *registry.RequestInput) { in.SystemID = vendorOrg + "_gone" }, "SYSTEM_NOT_FOUND"},
		{"ErrSystemUnknown", false, func(in *registry.RequestInput) { in.SystemID = vendorOrg + "_nope" }, "SYSTEM_NOT_FOUND"},
		{"ErrPartyNotFound", false, func(in *registry.RequestInput) { in.PartyOrg = newOrgNumber() }, "PARTY_NOT_FOUND"},
		{"ErrRightsNotInSystem", false, func(in *registry.RequestInput) { in.Rights = []registry.Right{{Resource: "ske-mva", Action: "write"}} }, "RIGHTS_NOT_IN_SYSTEM"},
		{"ErrEmpty", false, func(in *registry.RequestInput) { in.Rights = []registry.Right{} }, "REQUEST_EMPTY"},
		{"ErrPackagesNotInSystem", false, func(in *registry.RequestInput) {
			in.AccessPackages = []string{"urn:altinn:accesspackage:regnskapsforer-lonn"}
		}, "PACKAGES_NOT_IN_SYSTEM"},
		{"ErrAgentNeedsPackages", true, func(in *registry.RequestInput) {}, "AGENT_NEEDS_PACKAGES"},
		{"ErrAgentNotDelegable", true, func(in *registry.RequestInput) {
			in.Rights = nil
			in.AccessPackages = []string{"urn:altinn:accesspackage:skattnaering"}
		}, "PACKAGE_NOT_DELEGABLE"},
		{"OKAgent", true, func(in *registry.RequestInput) {
			in.Rights = nil
			in.AccessPackages = []string{"urn:altinn:accesspackage:regnskapsforer-lonn"}
		}, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := stdInput()
			if tt.agent {
				in.SystemID = agentSystem
			}
			in.ExternalRef = "ref-" + string(rune('a'+i))
			tt.mutate(&in)
			create := f.svc.CreateRequest
			if tt.agent {
				create = f.svc.CreateAgentRequest
			}
			req, created, err := create(vendorCtx(vendorOrg), in)
			if tt.reason != "" {
				if !slices.Equal(reasons(err), []string{tt.reason}) {
					t.Fatalf("err = %v, want %s", err, tt.reason)
				}
				return
			}
			if err != nil || !created {
				t.Fatalf("create = %v, %v", created, err)
			}
			if req.Status != "New" || req.ExternalRef != in.ExternalRef || req.IntegrationTitle != in.SystemID+" nb" || req.TimedOut {
				t.Errorf("request = %+v", req)
			}
			want := "http://localhost:8080/accessmanagement/ui/systemuser/request?id=" + req.ID.String() + "&DONTCHOOSEREPORTEE=true"
			if tt.agent {
				want = "http://localhost:8080/accessmanagement/ui/systemuser/agentrequest?id=" + req.ID.String() + "&DONTCHOOSEREPORTEE=true"
			}
			if req.ConfirmURL != want {
				t.Errorf("confirm url = %s", req.ConfirmURL)
			}
			again, created, err := create(vendorCtx(vendorOrg), in)
			if err != nil || created || again.ID != req.ID {
				t.Errorf("repeat = %v, %v, %v; want the same request", again.ID, created, err)
			}
		})
	}
}

func TestCreateRequestAuth(t *testing.T) {
	t.Parallel()
	f, pid := requestFixture(t)
	for _, ctx := range []context.Context{anonCtx(), personCtx(pid), vendorCtx(vendorOrg, "altinn:authentication/systemuser.request.read")} {
		if _, _, err := f.svc.CreateRequest(ctx, stdInput()); err == nil || apperr.CodeOf(err) == apperr.Internal {
			t.Errorf("err = %v, want unauthenticated/forbidden", err)
		}
	}
}

func TestCreateRequestConcurrent(t *testing.T) {
	t.Parallel()
	f, _ := requestFixture(t)
	const n = 20
	ids := make([]uuid.UUID, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _, err := f.svc.CreateRequest(vendorCtx(vendorOrg), stdInput())
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = req.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent creates returned different requests: %v", ids)
		}
	}
}

func TestRequestVisibility(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t)
	req, _, err := f.svc.CreateRequest(vendorCtx(vendorOrg), stdInput())
	if err != nil {
		t.Fatal(err)
	}
	stranger := newPID()
	f.MustPerson(stranger, customerOrg, "REGNA")
	tests := []struct {
		name string
		ctx  context.Context
		code apperr.Code
	}{
		{"OKVendor", vendorCtx(vendorOrg), ""},
		{"OKPartyAdmin", personCtx(admin), ""},
		{"OKAdmin", adminCtx(), ""},
		{"ErrOtherVendor", vendorCtx(otherVendor), apperr.NotFound},
		{"ErrPersonWithoutAdminRole", personCtx(stranger), apperr.NotFound},
		{"ErrVendorWithoutScope", vendorCtx(vendorOrg, "x"), apperr.Forbidden},
		{"ErrAnonymous", anonCtx(), apperr.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the request is deleted after the loop.
			got, err := f.svc.GetRequest(tt.ctx, req.ID)
			if apperr.CodeOf(err) != tt.code {
				t.Fatalf("err = %v, want %q", err, tt.code)
			}
			if err == nil && (got.ID != req.ID || len(got.Rights) != 1) {
				t.Errorf("got %+v", got)
			}
		})
	}
	if got, err := f.svc.GetRequestByExternalRef(vendorCtx(vendorOrg), stdSystem, customerOrg, "", "standard"); err != nil || got.ID != req.ID {
		t.Errorf("by external ref = %v, %v", got, err)
	}
	if _, err := f.svc.GetRequestByExternalRef(vendorCtx(vendorOrg), stdSystem, customerOrg, "", "agent"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("by external ref, other type: %v", err)
	}
	conn, err := f.svc.ListRequestsBySystem(vendorCtx(vendorOrg), stdSystem, "", registry.Page{})
	if err != nil || conn.TotalCount != 1 || conn.Items[0].ID != req.ID {
		t.Errorf("list = %+v, %v", conn, err)
	}
	if _, err := f.svc.ListRequestsBySystem(vendorCtx(otherVendor), stdSystem, "", registry.Page{}); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("other vendor list: %v", err)
	}
	if err := f.svc.DeleteRequest(vendorCtx(otherVendor), req.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("other vendor delete: %v", err)
	}
	if err := f.svc.DeleteRequest(vendorCtx(vendorOrg), req.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetRequest(vendorCtx(vendorOrg), req.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("deleted request still readable: %v", err)
	}
}

func TestApproveRequest(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t)
	in := stdInput()
	in.AccessPackages = []string{"urn:altinn:accesspackage:both"}
	req, _, err := f.svc.CreateRequest(vendorCtx(vendorOrg), in)
	if err != nil {
		t.Fatal(err)
	}
	otherAdmin := newPID()
	f.MustPerson(otherAdmin, vendorOrg, "DAGL")
	if _, err := f.svc.ApproveRequest(personCtx(otherAdmin), req.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("approve by admin of another org: %v", err)
	}
	if _, err := f.svc.ApproveRequest(vendorCtx(vendorOrg), req.ID); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("approve by vendor: %v", err)
	}
	su, err := f.svc.ApproveRequest(personCtx(admin), req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if su.ID != req.ID || su.OwnerOrg != customerOrg || su.UserType != "standard" || su.VendorOrg != vendorOrg ||
		!slices.Equal(su.Rights, in.Rights) || !slices.Equal(su.AccessPackages, in.AccessPackages) {
		t.Errorf("system user = %+v", su)
	}
	if _, err := f.svc.ApproveRequest(personCtx(admin), req.ID); !slices.Equal(reasons(err), []string{"REQUEST_NOT_NEW"}) {
		t.Errorf("second approve: %v", err)
	}
	if _, err := f.svc.RejectRequest(personCtx(admin), req.ID); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("reject accepted: %v", err)
	}
	got, _ := f.svc.GetRequest(vendorCtx(vendorOrg), req.ID)
	if got == nil || got.Status != "Accepted" || got.DecidedAt == nil {
		t.Errorf("request after approval = %+v", got)
	}
	// The key is taken by an active system user now.
	if _, _, err := f.svc.CreateRequest(vendorCtx(vendorOrg), registry.RequestInput{SystemID: stdSystem, PartyOrg: customerOrg,
		ExternalRef: customerOrg, Rights: in.Rights}); !slices.Equal(reasons(err), []string{"SYSTEM_USER_EXISTS"}) {
		t.Errorf("request for existing system user: %v", err)
	}
	// Deleting the system user frees the key: a new request is created.
	if err := f.svc.DeleteSystemUser(personCtx(otherAdmin), su.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("delete by admin of another org: %v", err)
	}
	if err := f.svc.DeleteSystemUser(personCtx(admin), su.ID); err != nil {
		t.Fatal(err)
	}
	if _, created, err := f.svc.CreateRequest(vendorCtx(vendorOrg), in); err != nil || !created {
		t.Errorf("request after delete = %v, %v", created, err)
	}
	// A second approval route for the same key fails cleanly.
	in2 := in
	in2.ExternalRef = "second"
	r2, _, err := f.svc.CreateRequest(vendorCtx(vendorOrg), in2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateSystemUser(personCtx(admin), stdSystem, customerOrg, ""); err != nil {
		t.Fatal(err)
	}
	f.exec("UPDATE requests SET external_ref = ? WHERE id = ?", customerOrg+"x", r2.ID)
	f.exec("UPDATE system_users SET external_ref = ? WHERE system_id = ? AND deleted_at IS NULL", customerOrg+"x", stdSystem)
	if _, err := f.svc.ApproveRequest(personCtx(admin), r2.ID); !slices.Equal(reasons(err), []string{"SYSTEM_USER_EXISTS"}) {
		t.Errorf("approve onto existing key: %v", err)
	}
	if got, _ := f.svc.GetRequest(vendorCtx(vendorOrg), r2.ID); got == nil || got.Status != "New" {
		t.Errorf("failed approval changed the request: %+v", got)
	}
}

func TestRejectAndTimeout(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t)
	req, _, err := f.svc.CreateRequest(vendorCtx(vendorOrg), stdInput())
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.RejectRequest(personCtx(admin), req.ID)
	if err != nil || got.Status != "Rejected" {
		t.Fatalf("reject = %+v, %v", got, err)
	}
	in := stdInput()
	in.ExternalRef = "old"
	old, _, err := f.svc.CreateRequest(vendorCtx(vendorOrg), in)
	if err != nil {
		t.Fatal(err)
	}
	f.exec("UPDATE requests SET created_at = ? WHERE id = ?", time.Now().Add(-181*24*time.Hour), old.ID)
	if got, _ := f.svc.GetRequest(vendorCtx(vendorOrg), old.ID); got == nil || !got.TimedOut || got.Status != "New" {
		t.Errorf("old request = %+v", got)
	}
	if _, err := f.svc.ApproveRequest(personCtx(admin), old.ID); !slices.Equal(reasons(err), []string{"REQUEST_TIMED_OUT"}) {
		t.Errorf("approve timed out: %v", err)
	}
}

func TestApproveRace(t *testing.T) {
	t.Parallel()
	f, admin := requestFixture(t)
	req, _, err := f.svc.CreateRequest(vendorCtx(vendorOrg), stdInput())
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			_, err := f.svc.ApproveRequest(personCtx(admin), req.ID)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case apperr.CodeOf(err) == apperr.Conflict:
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins != 1 || conflicts != n-1 {
		t.Errorf("wins = %d, conflicts = %d", wins, conflicts)
	}
	var users, accepted int
	if err := f.db.NewRaw("SELECT count(*) FROM system_users WHERE system_id = ?", stdSystem).Scan(t.Context(), &users); err != nil {
		t.Fatal(err)
	}
	if err := f.db.NewRaw("SELECT count(*) FROM requests WHERE id = ? AND status = 'Accepted'", req.ID).Scan(t.Context(), &accepted); err != nil {
		t.Fatal(err)
	}
	if users != 1 || accepted != 1 {
		t.Errorf("system users = %d, accepted = %d", users, accepted)
	}
}
