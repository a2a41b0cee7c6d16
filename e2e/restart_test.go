package e2e

import (
	"net/http"
	"testing"
	"time"
)

// The gateway restarts mid-suite and keeps serving what was stored before:
// the system user, its request's status, and the simulator's lookup of it
// (over Docker DNS, to the restarted container). Not parallel: the gateway
// is down meanwhile, and the parallel suites start only after it.
func TestRestart(t *testing.T) {
	s := stackT(t)
	ref := uniqueRef(t)
	id := arrangeSystemUser(t, s, bakeryOrg, kariPID, ref)
	before, err := s.SystemUserToken(t.Context(), bakeryOrg, ref)
	ok(t, err)

	begin := time.Now()
	ok(t, s.RestartGateway(t.Context()))
	t.Logf("gateway restarted and ready in %v", time.Since(begin).Round(time.Millisecond))

	// The simulator's lookup reaches the new container through Docker DNS.
	after, err := s.SystemUserToken(t.Context(), bakeryOrg, ref)
	ok(t, err)
	for name, raw := range map[string]string{"before": before, "after": after} {
		if c := verifyToken(t, s, raw); len(c.AuthorizationDetails) != 1 || c.AuthorizationDetails[0].SystemUserID[0] != id.String() {
			t.Errorf("token %s restart: authorization_details %+v, want system user %s", name, c.AuthorizationDetails, id)
		}
	}

	// The vendor's token is verified by the new process, which fetches the
	// simulator's JWKS afresh.
	var rest struct {
		Status string `json:"status"`
	}
	status, err := s.Do(t.Context(), http.MethodGet, "/authentication/api/v1/systemuser/request/vendor/"+id.String(), vendorToken(t, s), nil, &rest)
	ok(t, err)
	if status != http.StatusOK || rest.Status != "Accepted" {
		t.Errorf("request after restart: HTTP %d status %q, want 200 Accepted", status, rest.Status)
	}

	var out struct {
		SU *gqlSystemUser `json:"systemUser"`
	}
	gql(t, s, personToken(t, s, kariPID), `query($id: ID!) { systemUser(id: $id) { systemUserId externalRef isDeleted } }`,
		map[string]any{"id": id.String()}, &out)
	if out.SU == nil || out.SU.SystemUserID != id.String() || out.SU.ExternalRef != ref || out.SU.IsDeleted {
		t.Errorf("systemUser after restart = %+v, want %s with externalRef %s", out.SU, id, ref)
	}
}
