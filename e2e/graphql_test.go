package e2e

import (
	"testing"
)

// gql runs a GraphQL document as token and fails t on any error.
func gql(t *testing.T, s *Stack, token, query string, vars map[string]any, out any) {
	t.Helper()
	if err := s.GraphQL(t.Context(), token, query, vars, out); err != nil {
		t.Fatalf("graphql: %v", err)
	}
}

func vendorToken(t *testing.T, s *Stack) string {
	t.Helper()
	tok, err := s.VendorToken(t.Context())
	ok(t, err)
	return tok
}

func personToken(t *testing.T, s *Stack, pid string) string {
	t.Helper()
	tok, err := s.PersonToken(t.Context(), pid)
	ok(t, err)
	return tok
}

func serviceOwnerToken(t *testing.T, s *Stack) string {
	t.Helper()
	tok, err := s.ServiceOwnerToken(t.Context())
	ok(t, err)
	return tok
}

type gqlRequest struct {
	ID          string `json:"id"`
	RequestID   string `json:"requestId"`
	Status      string `json:"status"`
	ConfirmURL  string `json:"confirmUrl"`
	ExternalRef string `json:"externalRef"`
	RedirectURL string `json:"redirectUrl"`
}

type gqlSystemUser struct {
	ID           string `json:"id"`
	SystemUserID string `json:"systemUserId"`
	ExternalRef  string `json:"externalRef"`
	UserType     string `json:"userType"`
	IsDeleted    bool   `json:"isDeleted"`
	Owner        struct {
		OrgNumber string `json:"orgNumber"`
	} `json:"owner"`
}

type gqlDecision struct {
	Result      string `json:"result"`
	ReasonCode  string `json:"reasonCode"`
	Reason      string `json:"reason"`
	PermittedBy string `json:"permittedBy"`
}

const (
	createRequestDoc = `mutation($in: CreateSystemUserRequestInput!) {
  createSystemUserRequest(input: $in) { created request { id requestId status confirmUrl externalRef redirectUrl } } }`
	createAgentRequestDoc = `mutation($in: CreateAgentSystemUserRequestInput!) {
  createAgentSystemUserRequest(input: $in) { created request { id requestId status confirmUrl externalRef redirectUrl } } }`
	approveRequestDoc = `mutation($id: ID!) {
  approveSystemUserRequest(id: $id) { id systemUserId externalRef userType isDeleted owner { orgNumber } } }`
	requestStatusDoc = `query($id: ID!) { request(id: $id) { id requestId status } }`
	authorizeDoc     = `mutation($in: AuthorizeInput!) { authorize(input: $in) { result reasonCode reason permittedBy } }`
	deleteSUDoc      = `mutation($id: ID!) { deleteSystemUser(id: $id) }`
)

// createRequest is the vendor's standard request for org with externalRef
// asking for rights (resource, action pairs).
func createRequest(t *testing.T, s *Stack, org, externalRef string, rights ...[2]string) gqlRequest {
	t.Helper()
	var in []map[string]any
	for _, r := range rights {
		in = append(in, map[string]any{"resource": r[0], "action": r[1]})
	}
	var out struct {
		Create struct {
			Created bool       `json:"created"`
			Request gqlRequest `json:"request"`
		} `json:"createSystemUserRequest"`
	}
	gql(t, s, vendorToken(t, s), createRequestDoc, map[string]any{"in": map[string]any{
		"systemId": s.Demo.SystemID, "partyOrgNumber": org, "externalRef": externalRef,
		"rights": in, "redirectUrl": receiptURL,
	}}, &out)
	if !out.Create.Created || out.Create.Request.Status != "NEW" {
		t.Fatalf("createSystemUserRequest = %+v, want a created NEW request", out.Create)
	}
	return out.Create.Request
}

func approveRequest(t *testing.T, s *Stack, pid, id string) gqlSystemUser {
	t.Helper()
	var out struct {
		SU gqlSystemUser `json:"approveSystemUserRequest"`
	}
	gql(t, s, personToken(t, s, pid), approveRequestDoc, map[string]any{"id": id}, &out)
	return out.SU
}

// authorizeAt asks the gateway at baseURL, as the demo service owner,
// whether the system user in suToken may do action on resource for party.
func authorizeAt(t *testing.T, s *Stack, baseURL, soToken, suToken, action, resource, party string) gqlDecision {
	t.Helper()
	var out struct {
		D gqlDecision `json:"authorize"`
	}
	err := s.GraphQLAt(t.Context(), baseURL, soToken, authorizeDoc, map[string]any{"in": map[string]any{
		"token": suToken, "action": action, "resourceId": resource, "partyOrgNumber": party,
	}}, &out)
	ok(t, err)
	return out.D
}
