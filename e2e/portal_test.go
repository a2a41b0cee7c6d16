package e2e

import (
	"testing"
)

const (
	createSUDoc = `mutation($in: CreateSystemUserInput!) {
  createSystemUser(input: $in) { id systemUserId externalRef userType isDeleted owner { orgNumber } } }`
	listSUDoc = `query($org: String!) { systemUsers(filter: {ownerOrgNumber: $org}) { totalCount edges { node { systemUserId } } } }`
)

// Flow 4: an administrator creates a system user for a visible system in
// the portal, the vendor's software uses it, the administrator deletes it.
// The portal always uses externalRef = the org, so this suite alone owns
// fishOrg's default system user.
func TestPortal(t *testing.T) {
	t.Parallel()
	s := stackT(t)
	requireGraphQL(t, s, "Mutation.createSystemUser", "Mutation.deleteSystemUser", "Query.systemUsers")
	in := map[string]any{"in": map[string]any{"systemId": s.Demo.SystemID, "ownerOrgNumber": fishOrg, "integrationTitle": "Fisk regnskap"}}

	t.Run("ErrNotAdministrator", func(t *testing.T) {
		if err := s.GraphQL(t.Context(), personToken(t, s, kariPID), createSUDoc, in, nil); err == nil {
			t.Fatal("a person created a system user for an organisation she does not administer")
		}
	})

	ola := personToken(t, s, olaPID)
	var out struct {
		SU gqlSystemUser `json:"createSystemUser"`
	}
	gql(t, s, ola, createSUDoc, in, &out)
	su := out.SU
	if su.Owner.OrgNumber != fishOrg || su.ExternalRef != fishOrg || su.UserType != "STANDARD" || su.IsDeleted {
		t.Fatalf("created %+v", su)
	}

	t.Run("ErrDuplicate", func(t *testing.T) {
		err := s.GraphQL(t.Context(), ola, createSUDoc, in, nil)
		if err == nil {
			t.Fatal("a second system user with the same key was created")
		}
	})

	var list struct {
		SUs struct {
			Edges []struct {
				Node gqlSystemUser `json:"node"`
			} `json:"edges"`
		} `json:"systemUsers"`
	}
	gql(t, s, ola, listSUDoc, map[string]any{"org": fishOrg}, &list)
	found := false
	for _, e := range list.SUs.Edges {
		found = found || e.Node.SystemUserID == su.SystemUserID
	}
	if !found {
		t.Errorf("systemUsers(%s) = %+v, missing %s", fishOrg, list.SUs.Edges, su.SystemUserID)
	}

	raw, err := s.SystemUserToken(t.Context(), fishOrg, "")
	ok(t, err)
	if c := verifyToken(t, s, raw); len(c.AuthorizationDetails) != 1 || c.AuthorizationDetails[0].SystemUserID[0] != su.SystemUserID {
		t.Errorf("token authorization_details = %+v", c.AuthorizationDetails)
	}

	gql(t, s, ola, deleteSUDoc, map[string]any{"id": su.ID}, nil)
	if _, err := s.SystemUserToken(t.Context(), fishOrg, ""); err == nil {
		t.Error("a deleted system user still gets tokens")
	}
}
