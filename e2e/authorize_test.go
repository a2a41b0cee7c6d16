package e2e

import (
	"net/http"
	"testing"
	"time"
)

// waitDecision asks until the decision's result is want or a second has
// passed: DESIGN §6 bounds revocation visibility at one second.
func waitDecision(t *testing.T, ask func() gqlDecision, want string) gqlDecision {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		d := ask()
		if d.Result == want || time.Now().After(deadline) {
			return d
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation: the deadline decides
	}
}

// Flow 3: the service owner authorizes a system user's token; after the
// owner deletes the system user the same question is denied within a second.
func TestAuthorize(t *testing.T) {
	t.Parallel()
	s := stackT(t)
	requireGraphQL(t, s, "Mutation.authorize", "Mutation.deleteSystemUser")
	ref := uniqueRef(t)
	id := arrangeSystemUser(t, s, bakeryOrg, kariPID, ref)
	suToken, err := s.SystemUserToken(t.Context(), bakeryOrg, ref)
	ok(t, err)
	so := serviceOwnerToken(t, s)
	ask := func(t *testing.T, action, resource, party string) gqlDecision {
		return authorizeAt(t, s, s.GatewayURL, so, suToken, action, resource, party)
	}

	if d := ask(t, "read", demoResource, bakeryOrg); d.Result != "PERMIT" {
		t.Fatalf("granted right: %+v, want PERMIT", d)
	}
	notGranted := []struct{ name, action, resource, party string }{
		{"ErrActionNotGranted", "write", demoResource, bakeryOrg},
		{"ErrResourceNotGranted", "write", mvaResource, bakeryOrg},
		{"ErrOtherParty", "read", demoResource, fishOrg},
	}
	for _, tc := range notGranted {
		t.Run(tc.name, func(t *testing.T) {
			if d := ask(t, tc.action, tc.resource, tc.party); d.Result == "PERMIT" {
				t.Errorf("%s %s for %s: %+v, want no PERMIT", tc.action, tc.resource, tc.party, d)
			}
		})
	}

	t.Run("XACML", func(t *testing.T) {
		body := map[string]any{"Request": map[string]any{
			"AccessSubject": []any{map[string]any{"Attribute": []any{
				map[string]any{"AttributeId": "urn:altinn:systemuser:uuid", "Value": id.String()}}}},
			"Action": []any{map[string]any{"Attribute": []any{
				map[string]any{"AttributeId": "urn:oasis:names:tc:xacml:1.0:action:action-id", "Value": "read"}}}},
			"Resource": []any{map[string]any{"Attribute": []any{
				map[string]any{"AttributeId": "urn:altinn:resource", "Value": demoResource},
				map[string]any{"AttributeId": "urn:altinn:organization:identifier-no", "Value": bakeryOrg}}}},
		}}
		var out struct {
			Response []struct {
				Decision string `json:"decision"`
			} `json:"response"`
		}
		status, err := s.Do(t.Context(), http.MethodPost, "/authorization/api/v1/authorize", so, body, &out)
		ok(t, err)
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			t.Skip("waiting for POST /authorization/api/v1/authorize")
		}
		if status != http.StatusOK || len(out.Response) != 1 || out.Response[0].Decision != "Permit" {
			t.Errorf("XACML: HTTP %d %+v, want 200 Permit", status, out)
		}
	})

	gql(t, s, personToken(t, s, kariPID), deleteSUDoc, map[string]any{"id": id.String()}, nil)
	d := waitDecision(t, func() gqlDecision { return ask(t, "read", demoResource, bakeryOrg) }, "DENY")
	if d.Result != "DENY" || d.ReasonCode == "" {
		t.Errorf("after delete: %+v, want DENY with a reason within 1 s", d)
	}
	if _, err := s.SystemUserToken(t.Context(), bakeryOrg, ref); err == nil {
		t.Error("a deleted system user still gets tokens")
	}
}
