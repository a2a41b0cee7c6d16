package e2e

import (
	"net/http"
	"testing"
)

// Flow 1: the vendor requests a system user, the customer's administrator
// approves it, the vendor sees Accepted and its software gets a token.
func TestVendorRequest(t *testing.T) {
	t.Parallel()
	s := stackT(t)
	requireGraphQL(t, s, "Mutation.createSystemUserRequest", "Mutation.approveSystemUserRequest", "Query.request")
	ref := uniqueRef(t)

	req := createRequest(t, s, bakeryOrg, ref, [2]string{demoResource, "read"})
	if req.ConfirmURL == "" || req.ExternalRef != ref || req.RedirectURL != receiptURL {
		t.Errorf("request = %+v", req)
	}

	t.Run("RepeatReturnsExisting", func(t *testing.T) {
		var out struct {
			Create struct {
				Created bool       `json:"created"`
				Request gqlRequest `json:"request"`
			} `json:"createSystemUserRequest"`
		}
		gql(t, s, vendorToken(t, s), createRequestDoc, map[string]any{"in": map[string]any{
			"systemId": s.Demo.SystemID, "partyOrgNumber": bakeryOrg, "externalRef": ref,
			"rights": []map[string]any{{"resource": demoResource, "action": "read"}}, "redirectUrl": receiptURL,
		}}, &out)
		if out.Create.Created || out.Create.Request.RequestID != req.RequestID {
			t.Errorf("repeat = %+v, want the existing request %s", out.Create, req.RequestID)
		}
	})

	t.Run("ErrOtherPersonCannotApprove", func(t *testing.T) {
		err := s.GraphQL(t.Context(), personToken(t, s, olaPID), approveRequestDoc, map[string]any{"id": req.ID}, nil)
		if err == nil {
			t.Fatal("a person who does not administer the party approved the request")
		}
	})

	su := approveRequest(t, s, kariPID, req.ID)
	if su.SystemUserID != req.RequestID || su.Owner.OrgNumber != bakeryOrg || su.ExternalRef != ref {
		t.Errorf("system user = %+v, want id %s owned by %s", su, req.RequestID, bakeryOrg)
	}

	t.Run("VendorSeesAccepted", func(t *testing.T) {
		var out struct {
			R gqlRequest `json:"request"`
		}
		gql(t, s, vendorToken(t, s), requestStatusDoc, map[string]any{"id": req.ID}, &out)
		if out.R.Status != "ACCEPTED" {
			t.Errorf("GraphQL status = %q, want ACCEPTED", out.R.Status)
		}
		var rest struct {
			Status string `json:"status"`
		}
		status, err := s.Do(t.Context(), http.MethodGet, "/authentication/api/v1/systemuser/request/vendor/"+req.RequestID, vendorToken(t, s), nil, &rest)
		ok(t, err)
		if status != http.StatusOK || rest.Status != "Accepted" {
			t.Errorf("REST: HTTP %d status %q, want 200 Accepted", status, rest.Status)
		}
	})

	t.Run("ErrApproveTwice", func(t *testing.T) {
		if err := s.GraphQL(t.Context(), personToken(t, s, kariPID), approveRequestDoc, map[string]any{"id": req.ID}, nil); err == nil {
			t.Fatal("an accepted request was approved again")
		}
	})

	t.Run("Token", func(t *testing.T) {
		raw, err := s.SystemUserToken(t.Context(), bakeryOrg, ref)
		ok(t, err)
		c := verifyToken(t, s, raw)
		if len(c.AuthorizationDetails) != 1 || c.AuthorizationDetails[0].SystemUserID[0] != req.RequestID {
			t.Errorf("authorization_details = %+v, want system user %s", c.AuthorizationDetails, req.RequestID)
		}
	})
}
