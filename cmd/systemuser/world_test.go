package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/simulator/mpclient"
)

// ownWorld is a test team's world with nothing of the demo world in it: a
// vendor with its system and client, a customer and the person who runs it,
// a service owner with a resource and a client that may authorize.
const ownWorld = `
organizations:
  - {orgNumber: "931138499", name: "Eget Leverandør AS"}
  - {orgNumber: "914785235", name: "Egen Kunde AS"}
  - {orgNumber: "982302218", name: "Egen Tjenesteeier"}
persons:
  - pid: "01017012345"
    name: "Eva Egen"
    roles: [{org: "914785235", role: DAGL}]
resources:
  - id: egen-tjeneste
    owner: "982302218"
    title: {nb: "Egen tjeneste", nn: "Eiga teneste", en: "Own service"}
    actions: [read, write]
systems:
  - id: 931138499_eget
    vendor: "931138499"
    name: {nb: "Eget system", nn: "Eige system", en: "Own system"}
    description: {nb: "Test", nn: "Test", en: "Test"}
    rights: [{resource: egen-tjeneste, action: read}]
    clientIds: [eget-klient]
    redirectUrls: ["https://eget.example/cb"]
    visible: true
maskinportenClients:
  - clientId: eget-klient
    org: "931138499"
    name: "Eget system"
    scopes: [altinn:authentication/systemuser.request.write, altinn:authentication/systemuser.request.read, egen:scope]
  - clientId: egen-tjenesteeier
    org: "982302218"
    name: "Egen tjenesteeier"
    scopes: [altinn:authorization/authorize]
`

// TestOwnWorldRunsTheWholeFlow loads a world through the dev-only admin API
// and runs request → approve → token → authorize for its own organisation
// and person.
func TestOwnWorldRunsTheWholeFlow(t *testing.T) {
	s := startStack(t)
	var loaded struct {
		Organizations []string
		KeyFiles      map[string]string
	}
	if st := s.do(t, http.MethodPost, "/dev/world", "", []byte(ownWorld), &loaded); st != http.StatusOK {
		t.Fatalf("POST /dev/world: status %d", st)
	}
	vendorKey, ownerKey := loaded.KeyFiles["eget-klient"], loaded.KeyFiles["egen-tjenesteeier"]
	if len(loaded.Organizations) != 3 || vendorKey == "" || ownerKey == "" {
		t.Fatalf("loaded = %+v", loaded)
	}
	// Loading again changes nothing and is no error.
	if st := s.do(t, http.MethodPost, "/dev/world", "", []byte(ownWorld), nil); st != http.StatusOK {
		t.Fatalf("POST /dev/world again: status %d", st)
	}

	vendor, err := s.token(t, "eget-klient", vendorKey, "", "altinn:authentication/systemuser.request.write")
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		CreateSystemUserRequest struct {
			Request struct{ RequestID, Status string }
		}
	}
	s.graphql(t, vendor, `mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) { request { requestId status } } }`,
		map[string]any{"in": map[string]any{"systemId": "931138499_eget", "partyOrgNumber": "914785235",
			"rights": []map[string]any{{"resource": "egen-tjeneste", "action": "read"}}}}, &created)
	id := created.CreateSystemUserRequest.Request.RequestID
	if id == "" || created.CreateSystemUserRequest.Request.Status != "NEW" {
		t.Fatalf("request = %+v", created)
	}

	var approved struct{ ApproveSystemUserRequest struct{ SystemUserID string } }
	s.graphql(t, s.personToken(t, "01017012345"), `mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }`,
		map[string]any{"id": id}, &approved)
	if approved.ApproveSystemUserRequest.SystemUserID != id {
		t.Fatalf("approved = %+v", approved)
	}

	suToken, err := s.token(t, "eget-klient", vendorKey, "914785235", "egen:scope")
	if err != nil {
		t.Fatalf("system-user token: %v", err)
	}
	owner, err := s.token(t, "egen-tjenesteeier", ownerKey, "", "altinn:authorization/authorize")
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Response []struct{ Decision string } `json:"response"`
	}
	if st := s.do(t, http.MethodPost, "/authorization/api/v1/authorize", owner,
		xacml(id, "read", "egen-tjeneste", "914785235"), &out); st != http.StatusOK || len(out.Response) != 1 || out.Response[0].Decision != "Permit" {
		t.Fatalf("authorize: status %d, %+v", st, out)
	}
	var gql struct{ Authorize struct{ Result string } }
	s.graphql(t, owner, `mutation($in: AuthorizeInput!) { authorize(input: $in) { result } }`,
		map[string]any{"in": map[string]any{"token": suToken, "action": "write", "resourceId": "egen-tjeneste", "partyOrgNumber": "914785235"}}, &gql)
	if gql.Authorize.Result == "PERMIT" {
		t.Fatal("write permitted; the system user was granted read only")
	}
}

// TestDevWorldRefusesABadWorld: a world the database refuses loads nothing
// and says why; a misspelt member is refused before anything is written.
func TestDevWorldRefusesABadWorld(t *testing.T) {
	s := startStack(t)
	tests := []struct {
		name, world, want string
	}{
		{"ErrOrgNumber", `organizations: [{orgNumber: "970643907", name: "Fint AS"}, {orgNumber: "123456789", name: "Feil AS"}]`, "123456789"},
		{"ErrUnknownMember", `organisations: [{orgNumber: "970643907", name: "Fint AS"}]`, "organisations"},
		{"ErrRole", `{"persons": [{"pid": "01017054321", "name": "X", "roles": [{"org": "313775429", "role": "KING"}]}]}`, "role"},
		{"ErrPrivateKey", `maskinportenClients: [{clientId: x, org: "313775429", name: x, jwks: {keys: [{kty: oct, kid: k, k: AAAA}]}}]`, "public JWK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var problem struct{ Title, Detail string }
			st := s.do(t, http.MethodPost, "/dev/world", "", []byte(tt.world), &problem)
			if st != http.StatusBadRequest || !strings.Contains(problem.Title+problem.Detail, tt.want) {
				t.Fatalf("status %d, %+v; want 400 naming %q", st, problem, tt.want)
			}
		})
	}
	var org struct{ Organization *struct{ Name string } }
	s.graphql(t, "", `{ organization(orgNumber: "970643907") { name } }`, nil, &org)
	if org.Organization != nil && org.Organization.Name == "Fint AS" {
		t.Fatal("the valid organisation of a refused world was loaded")
	}
}

// TestSeedCommandLoadsAWorld: `systemuser seed --world FILE` loads the demo
// world and the file's.
func TestSeedCommandLoadsAWorld(t *testing.T) {
	t.Parallel()
	dsn := dbtest.NewURL(t)
	state := t.TempDir()
	file := filepath.Join(state, "world.yaml")
	if err := os.WriteFile(file, []byte(ownWorld), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"seed", "--database-url", dsn, "--state-dir", state, "--world", file}, &stdout, &stderr); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "seeded demo world") || !strings.Contains(stdout.String(), "3 organisations") {
		t.Fatalf("stdout: %s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(state, "keys", "eget-klient.jwk")); err != nil {
		t.Fatalf("no generated key for the world's client: %v", err)
	}
	bdb := dbtest.Open(t, dsn)
	var n int
	if err := bdb.NewRaw("SELECT count(*) FROM organizations WHERE org_number IN ('931138499', '914785235', '991825827')").Scan(t.Context(), &n); err != nil || n != 3 {
		t.Fatalf("organisations of both worlds: %d, %v", n, err)
	}
	err := run(t.Context(), []string{"seed", "--database-url", dsn, "--state-dir", state, "--world", filepath.Join(state, "missing.yaml")}, &stdout, &stderr)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("seed with a missing world file: %v", err)
	}
}

// TestDemoTenants: the second vendor, the lookup client and the person who
// administers another customer, as demo.json names them.
func TestDemoTenants(t *testing.T) {
	s := startStack(t)
	d := s.demo
	if d.OtherVendorClientID == "" || d.LookupClientID == "" || d.OtherAdminPID == "" || d.OtherVendorSystemID == "" {
		t.Fatalf("demo = %+v", d)
	}
	const write, read = "altinn:authentication/systemuser.request.write", "altinn:authentication/systemuser.request.read"
	vendor, err := s.token(t, d.ClientID, d.ClientKeyFile, "", write, read)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.token(t, d.OtherVendorClientID, d.OtherVendorKeyFile, "", write, read)
	if err != nil {
		t.Fatalf("the other vendor's token: %v", err)
	}
	var created struct {
		CreateSystemUserRequest struct{ Request struct{ RequestID string } }
	}
	s.graphql(t, vendor, `mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) { request { requestId } } }`,
		map[string]any{"in": map[string]any{"systemId": d.SystemID, "partyOrgNumber": d.CustomerOrgNumber,
			"rights": []map[string]any{{"resource": d.ResourceID, "action": d.Action}}}}, &created)
	id := created.CreateSystemUserRequest.Request.RequestID

	// The other vendor cannot read the first vendor's request, and has a system of its own.
	if st := s.do(t, http.MethodGet, "/authentication/api/v1/systemuser/request/vendor/"+id, other, nil, nil); st != http.StatusNotFound && st != http.StatusForbidden {
		t.Errorf("other vendor reads the request: status %d", st)
	}
	if st := s.do(t, http.MethodGet, "/authentication/api/v1/systemregister/vendor/"+d.OtherVendorSystemID, other, nil, nil); st == http.StatusNotFound {
		t.Errorf("the other vendor's own system: status %d", st)
	}

	// The person who administers another customer cannot approve.
	body := []byte(`{"query":"mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }","variables":{"id":"` + id + `"}}`)
	var resp struct{ Errors []struct{ Message string } }
	s.do(t, http.MethodPost, "/graphql", s.personToken(t, d.OtherAdminPID), body, &resp)
	if len(resp.Errors) == 0 {
		t.Fatal("the other customer's administrator approved the request")
	}
	var approved struct{ ApproveSystemUserRequest struct{ SystemUserID string } }
	s.graphql(t, s.personToken(t, d.AdminPID), `mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }`,
		map[string]any{"id": id}, &approved)

	// Maskinporten's lookup client finds the system user; the vendor's client may not look.
	lookup, err := s.token(t, d.LookupClientID, d.LookupKeyFile, "", "altinn:maskinporten/systemuser.read")
	if err != nil {
		t.Fatalf("lookup token: %v", err)
	}
	q := url.Values{"clientId": {d.ClientID}, "systemProviderOrgNo": {d.VendorOrgNumber},
		"systemUserOwnerOrgNo": {d.CustomerOrgNumber}, "externalRef": {d.CustomerOrgNumber}}
	path := "/authentication/api/v1/systemuser/byExternalId?" + q.Encode()
	var su struct{ ID string }
	if st := s.do(t, http.MethodGet, path, lookup, nil, &su); st != http.StatusOK || su.ID != id {
		t.Fatalf("lookup: status %d, %+v; want the system user %s", st, su, id)
	}
	if st := s.do(t, http.MethodGet, path, vendor, nil, nil); st != http.StatusForbidden {
		t.Errorf("lookup with the vendor's token: status %d, want 403", st)
	}
	var mp *mpclient.Error
	if _, err := s.token(t, d.ClientID, d.ClientKeyFile, "", "altinn:maskinporten/systemuser.read"); !errors.As(err, &mp) {
		t.Errorf("the lookup scope for the vendor's client: %v, want a Maskinporten error", err)
	}
}
