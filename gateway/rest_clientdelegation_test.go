package gateway_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

const (
	euBase     = "/authentication/api/v1/enduser/systemuser"
	goodClient = "910459880" // gave the customer (the facilitator) skattnaering
	poorClient = "923609016" // gave it nothing
	kladmPID   = "13097248022"
)

type clientPageJSON struct {
	Links struct {
		Next string `json:"next"`
	} `json:"links"`
	SystemUserInformation struct {
		SystemUserID       string `json:"systemUserId"`
		SystemUserOwnerOrg string `json:"systemUserOwnerOrg"`
	} `json:"systemUserInformation"`
	Data []struct {
		ClientID                 string `json:"clientId"`
		ClientOrganizationNumber string `json:"clientOrganizationNumber"`
		ClientOrganizationName   string `json:"clientOrganizationName"`
	} `json:"data"`
}

// agentEnv has customerOrg act as an accounting firm: an approved agent
// system user holding skattnaering, a standard one, two candidate clients
// and a person with the client-admin role KLADM there.
func agentEnv(t *testing.T) (e *restEnv, agentID, standardID string) {
	t.Helper()
	e = newRESTEnv(t)
	standardID = e.approvedSystemUser(t)
	var agent requestJSON
	e.do(t, "POST", "/authentication/api/v1/systemuser/request/vendor/agent", e.VendorToken(t, vendorOrg, reqWrite...),
		`{"systemId":"991825827_my-system","partyOrgNo":"313775429","accessPackages":[{"urn":"urn:altinn:accesspackage:skattnaering"}]}`).
		must(t, http.StatusCreated).JSON(t, &agent)
	e.MustApprove(t, agent.ID)
	for _, q := range []string{
		"INSERT INTO organizations (org_number, name) VALUES ('" + goodClient + "', 'Good Client AS'), ('" + poorClient + "', 'Poor Client AS')",
		"INSERT INTO client_relationships (client_org, facilitator_org, role, package_urn) VALUES ('" + goodClient + "', '" + customerOrg + "', 'REGN', 'urn:altinn:accesspackage:skattnaering')",
		"INSERT INTO persons (pid, name) VALUES ('" + kladmPID + "', 'Klient Admin')",
		"INSERT INTO person_roles (pid, org_number, role) VALUES ('" + kladmPID + "', '" + customerOrg + "', 'KLADM')",
	} {
		if _, err := e.DB.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	return e, agent.ID, standardID
}

func clientsPath(agent, client string) string {
	q := url.Values{}
	if agent != "" {
		q.Set("agent", agent)
	}
	if client != "" {
		q.Set("client", client)
	}
	return euBase + "/clients?" + q.Encode()
}

// TestClientDelegationFlow adds and removes a client through the end-user
// API with a client administrator's person token, as §2.6 describes.
func TestClientDelegationFlow(t *testing.T) {
	t.Parallel()
	e, agentID, _ := agentEnv(t)
	tok := e.PersonToken(t, kladmPID)

	var agents []struct{ ID, UserType, ReporteeOrgNo string }
	e.do(t, "GET", euBase+"/agents?party="+customerOrg, tok, nil).must(t, http.StatusOK).JSON(t, &agents)
	if len(agents) != 1 || agents[0].ID != agentID || agents[0].UserType != "agent" || agents[0].ReporteeOrgNo != customerOrg {
		t.Fatalf("agents = %+v", agents)
	}
	var avail clientPageJSON
	e.do(t, "GET", euBase+"/clients/available?agent="+agentID, tok, nil).must(t, http.StatusOK).JSON(t, &avail)
	goodUUID := partyUUID(goodClient)
	if len(avail.Data) != 1 || avail.Data[0].ClientOrganizationNumber != goodClient || avail.Data[0].ClientID != goodUUID ||
		avail.Data[0].ClientOrganizationName != "Good Client AS" ||
		avail.SystemUserInformation.SystemUserID != agentID || avail.SystemUserInformation.SystemUserOwnerOrg != customerOrg {
		t.Fatalf("available = %+v", avail)
	}
	var list clientPageJSON
	e.do(t, "GET", clientsPath(agentID, ""), tok, nil).must(t, http.StatusOK).JSON(t, &list)
	if len(list.Data) != 0 || list.Data == nil {
		t.Fatalf("clients before add = %s", mustJSON(t, list))
	}
	// Altinn names the client by its party UUID; the org number works too.
	for _, ref := range []string{goodUUID, goodClient} { // adding twice is a no-op
		var added struct{ Agent, Client string }
		e.do(t, "POST", clientsPath(agentID, ref), tok, nil).must(t, http.StatusOK).JSON(t, &added)
		if added.Agent != agentID || added.Client != goodUUID {
			t.Fatalf("add = %+v", added)
		}
	}
	e.do(t, "GET", clientsPath(agentID, ""), tok, nil).must(t, http.StatusOK).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].ClientOrganizationNumber != goodClient || list.Data[0].ClientID != goodUUID || list.Links.Next != "" {
		t.Fatalf("clients after add = %+v", list)
	}
	var removed struct{ Agent, Client string }
	e.do(t, "DELETE", clientsPath(agentID, goodClient), tok, nil).must(t, http.StatusOK).JSON(t, &removed)
	if removed.Agent != agentID || removed.Client != goodUUID {
		t.Fatalf("remove = %+v", removed)
	}
	e.do(t, "DELETE", clientsPath(agentID, goodClient), tok, nil).must(t, http.StatusNotFound)
}

func TestClientDelegationErrors(t *testing.T) {
	t.Parallel()
	e, agentID, standardID := agentEnv(t)
	kladm, admin, stranger := e.PersonToken(t, kladmPID), e.PersonToken(t, adminPID), e.PersonToken(t, "01017012345")

	tests := []struct {
		name, method, path, token string
		status                    int
		code, validation          string // problem code; the validation error's code inside STD-00000
	}{
		{"AgentsNoParty", "GET", euBase + "/agents", kladm, 400, "STD-00000", "INVALID_PARTY"},
		{"AgentsBadParty", "GET", euBase + "/agents?party=12345", kladm, 400, "STD-00000", "INVALID_PARTY"},
		{"AgentsOtherOrg", "GET", euBase + "/agents?party=" + vendorOrg, kladm, 403, "NOT_ADMINISTRATOR", ""},
		{"AgentsStranger", "GET", euBase + "/agents?party=" + customerOrg, stranger, 403, "NOT_ADMINISTRATOR", ""},
		{"AgentMissing", "GET", clientsPath("", ""), kladm, 400, "STD-00000", "AUTH.VLD-00014"},
		{"AgentNotGUID", "GET", euBase + "/clients/available?agent=abc", kladm, 400, "STD-00000", "AUTH.VLD-00014"},
		{"AgentUnknown", "GET", clientsPath(uuid.NewString(), ""), kladm, 400, "STD-00000", "AUTH.VLD-00014"},
		{"AgentOfOtherOrg", "GET", clientsPath(agentID, ""), stranger, 400, "STD-00000", "AUTH.VLD-00014"},
		{"NotAnAgent", "GET", clientsPath(standardID, ""), admin, 400, "STD-00000", "AUTH.VLD-00015"},
		{"ClientMissing", "POST", clientsPath(agentID, ""), kladm, 400, "STD-00000", "AUTH.VLD-00016"},
		{"ClientMissingDelete", "DELETE", clientsPath(agentID, ""), kladm, 400, "STD-00000", "AUTH.VLD-00016"},
		{"ClientUnknown", "POST", clientsPath(agentID, "999999999"), kladm, 400, "AUTH-00079", ""},
		{"ClientPartyUUID", "POST", clientsPath(agentID, uuid.NewString()), kladm, 400, "AUTH-00079", ""},
		{"ClientLacksPackages", "POST", clientsPath(agentID, poorClient), kladm, 400, "AUTH-00080", ""},
		{"ClientsBadToken", "GET", clientsPath(agentID, "") + "&token=garbage", kladm, 400, "INVALID_CURSOR", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var p problemBody
			e.do(t, tt.method, tt.path, tt.token, nil).must(t, tt.status).JSON(t, &p)
			if p.Code != tt.code {
				t.Fatalf("problem = %+v, want code %s", p, tt.code)
			}
			if tt.validation != "" && (len(p.ValidationErrors) != 1 || p.ValidationErrors[0].Code != tt.validation) {
				t.Fatalf("validation errors = %+v, want %s", p.ValidationErrors, tt.validation)
			}
			if tt.validation != "" && strings.HasPrefix(tt.validation, "AUTH.VLD") &&
				!strings.HasPrefix(p.ValidationErrors[0].Paths[0], "?") {
				t.Fatalf("paths = %v", p.ValidationErrors[0].Paths)
			}
		})
	}
	var n int
	if err := e.DB.NewRaw("SELECT count(*) FROM client_delegations").Scan(context.Background(), &n); err != nil || n != 0 {
		t.Fatalf("client delegations after refused calls = %d, %v", n, err)
	}
}

// TestClientDelegationListPages checks that links.next of the client list
// keeps ?agent, so following it gives the next page.
func TestClientDelegationListPages(t *testing.T) {
	t.Parallel()
	e, agentID, _ := agentEnv(t)
	const n = 51 // more than a page of 50
	orgs := validOrgNumbers(n)
	for _, o := range orgs {
		for _, q := range []string{
			"INSERT INTO organizations (org_number, name) VALUES ('" + o + "', 'Client " + o + "')",
			"INSERT INTO client_delegations (system_user_id, client_org) VALUES ('" + agentID + "', '" + o + "')",
		} {
			if _, err := e.DB.ExecContext(context.Background(), q); err != nil {
				t.Fatal(err)
			}
		}
	}
	tok := e.PersonToken(t, kladmPID)
	seen := map[string]bool{}
	path, pages := clientsPath(agentID, ""), 0
	for path != "" && pages < 4 {
		var p clientPageJSON
		e.do(t, "GET", path, tok, nil).must(t, http.StatusOK).JSON(t, &p)
		for _, c := range p.Data {
			if seen[c.ClientOrganizationNumber] {
				t.Fatalf("client %s listed twice", c.ClientOrganizationNumber)
			}
			seen[c.ClientOrganizationNumber] = true
		}
		pages++
		path = strings.TrimPrefix(p.Links.Next, e.URL)
	}
	if pages != 2 || len(seen) != n {
		t.Fatalf("%d pages, %d of %d clients", pages, len(seen), n)
	}
}
