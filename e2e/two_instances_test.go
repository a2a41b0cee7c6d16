package e2e

import (
	"testing"
)

// Flow 3 across instances: revoking on one gateway is seen by another (the
// Postgres NOTIFY invalidation) within a second, even with a warm cache.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	s := stackT(t)
	requireGraphQL(t, s, "Mutation.authorize", "Mutation.deleteSystemUser")
	second, err := s.StartGateway(t.Context())
	ok(t, err)

	ref := uniqueRef(t)
	id := arrangeSystemUser(t, s, bakeryOrg, kariPID, ref)
	suToken, err := s.SystemUserToken(t.Context(), bakeryOrg, ref)
	ok(t, err)
	so := serviceOwnerToken(t, s)
	instances := map[string]string{"first": s.GatewayURL, "second": second}
	for name, url := range instances {
		if d := authorizeAt(t, s, url, so, suToken, "read", demoResource, bakeryOrg); d.Result != "PERMIT" {
			t.Fatalf("%s instance before delete: %+v, want PERMIT", name, d)
		}
	}

	gql(t, s, personToken(t, s, kariPID), deleteSUDoc, map[string]any{"id": id.String()}, nil)
	for name, url := range instances {
		ask := func() gqlDecision { return authorizeAt(t, s, url, so, suToken, "read", demoResource, bakeryOrg) }
		if d := waitDecision(t, ask, "DENY"); d.Result != "DENY" {
			t.Errorf("%s instance after delete: %+v, want DENY within 1 s", name, d)
		}
	}
}
