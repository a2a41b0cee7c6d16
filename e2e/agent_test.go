package e2e

import (
	"testing"

	"github.com/systemuser-gateway/systemuser/simulator/mpclient"
)

// The demo world's agent system and the vendor client its tokens need.
const (
	agentSystem   = "991825827_fjordregnskap_byraa"
	agentClientID = "fjordsoft-byraa"
)

const (
	addClientDoc    = `mutation($in: ClientInput!) { addClient(input: $in) { organization { orgNumber } } }`
	removeClientDoc = `mutation($in: ClientInput!) { removeClient(input: $in) }`
)

// Flow 5: the accounting firm approves an agent request and adds a client;
// the firm's system-user token is permitted for the client's resource, and
// denied once the client is removed.
func TestAgent(t *testing.T) {
	t.Parallel()
	s := stackT(t)
	requireGraphQL(t, s, "Mutation.createAgentSystemUserRequest", "Mutation.approveSystemUserRequest",
		"Mutation.addClient", "Mutation.removeClient", "Mutation.authorize")
	ref := uniqueRef(t)

	var created struct {
		Create struct {
			Created bool       `json:"created"`
			Request gqlRequest `json:"request"`
		} `json:"createAgentSystemUserRequest"`
	}
	gql(t, s, vendorToken(t, s), createAgentRequestDoc, map[string]any{"in": map[string]any{
		"systemId": agentSystem, "partyOrgNumber": accountingOrg, "externalRef": ref,
		"accessPackages": []string{agentPackage}, "redirectUrl": receiptURL,
	}}, &created)
	if !created.Create.Created || created.Create.Request.Status != "NEW" {
		t.Fatalf("createAgentSystemUserRequest = %+v", created.Create)
	}
	su := approveRequest(t, s, randiPID, created.Create.Request.ID)
	if su.UserType != "AGENT" || su.Owner.OrgNumber != accountingOrg {
		t.Fatalf("approved %+v, want an agent system user of %s", su, accountingOrg)
	}

	randi := personToken(t, s, randiPID)
	client := map[string]any{"in": map[string]any{"systemUserId": su.ID, "clientOrgNumber": fishOrg}}

	t.Run("ErrClientWithoutRelationship", func(t *testing.T) {
		in := map[string]any{"in": map[string]any{"systemUserId": su.ID, "clientOrgNumber": bakeryOrg}}
		if err := s.GraphQL(t.Context(), randi, addClientDoc, in, nil); err == nil {
			t.Fatal("added a client that has given the firm no packages")
		}
	})

	gql(t, s, randi, addClientDoc, client, nil)

	// The agent system's client id is not among the seeded Maskinporten
	// clients; the vendor registers it at the simulator.
	ok(t, s.CreateClient(t.Context(), agentClientID, vendorOrg, SystemUserScopes...))
	// The token names the owner (the firm), never the client (MP-303 cause).
	tr, err := s.Token(t.Context(), mpclient.Assertion{ClientID: agentClientID, Scopes: SystemUserScopes,
		SystemUserOrg: accountingOrg, ExternalRef: ref})
	ok(t, err)
	suToken := tr.AccessToken
	so := serviceOwnerToken(t, s)
	ask := func() gqlDecision { return authorizeAt(t, s, s.GatewayURL, so, suToken, "write", mvaResource, fishOrg) }
	if d := ask(); d.Result != "PERMIT" {
		t.Fatalf("client's resource: %+v, want PERMIT", d)
	}
	if d := authorizeAt(t, s, s.GatewayURL, so, suToken, "write", mvaResource, bakeryOrg); d.Result == "PERMIT" {
		t.Errorf("a party that is not a client: %+v, want no PERMIT", d)
	}

	gql(t, s, randi, removeClientDoc, client, nil)
	if d := waitDecision(t, ask, "DENY"); d.Result == "PERMIT" {
		t.Errorf("after removing the client: %+v, want no PERMIT within 1 s", d)
	}
}
