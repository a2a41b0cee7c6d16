package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/db/seed"
	"github.com/systemuser-gateway/systemuser/simulator/mpclient"
	"github.com/systemuser-gateway/systemuser/testclient"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// stack is the whole product in-process on loopback ports: gateway,
// simulator, PDP and listener on a fresh database with the demo seed.
type stack struct {
	app  *App
	demo *seed.Demo
	hc   *http.Client
}

func startStack(t *testing.T, opts ...func(*App)) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	bdb := dbtest.New(t)
	state := t.TempDir()
	demo, err := seed.Load(ctx, bdb, filepath.Join(state, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	c := Config{GatewayAddr: "127.0.0.1:0", SimulatorAddr: "127.0.0.1:0", StateDir: state, Introspection: true, AdminOpen: true,
		DevEndpoints: true, TrustLocalSimulator: true}
	logger := testLogger(t)
	// Wired as `systemuser dev` wires it, the dev-only world API included.
	app := &App{Config: c, DB: bdb, Logger: logger, RunGateway: true, RunSimulator: true,
		WorldLoader: worldLoader(bdb, filepath.Join(state, "keys"), logger)}
	for _, o := range opts {
		o(app)
	}
	if err := app.Listen(); err != nil {
		t.Fatal(err)
	}
	if err := app.Build(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	s := &stack{app: app, demo: demo, hc: testclient.New(t)}
	s.hc.Timeout = 10 * time.Second
	s.waitReady(t)
	return s
}

func testLogger(t *testing.T) *slogLogger { return newTestLogger(t) }

// waitReady polls /readyz (the listener connects asynchronously).
func (s *stack) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := s.hc.Get(s.app.Config.GatewayURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *stack) token(t *testing.T, clientID, keyFile, systemUserOrg string, scopes ...string) (string, error) {
	t.Helper()
	key, err := mpclient.LoadKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := mpclient.RequestToken(context.Background(), s.hc, mpclient.Assertion{
		ClientID: clientID, Key: key, Audience: s.app.Config.Issuer, Scopes: scopes, SystemUserOrg: systemUserOrg,
	})
	if err != nil {
		return "", err
	}
	return tr.AccessToken, nil
}

func (s *stack) personToken(t *testing.T, pid string) string {
	t.Helper()
	tr, err := mpclient.PersonToken(context.Background(), s.hc, s.app.Config.SimulatorURL, pid)
	if err != nil {
		t.Fatal(err)
	}
	return tr.AccessToken
}

func (s *stack) graphql(t *testing.T, token, query string, vars map[string]any, out any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	s.do(t, http.MethodPost, "/graphql", token, body, &resp)
	if len(resp.Errors) > 0 {
		t.Fatalf("graphql errors: %+v", resp.Errors)
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		t.Fatal(err)
	}
}

func (s *stack) do(t *testing.T, method, path, token string, body []byte, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.app.Config.GatewayURL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: status %d, body %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

func claims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func xacml(systemUserID, action, resource, party string) []byte {
	return []byte(fmt.Sprintf(`{"Request":{"AccessSubject":[{"Attribute":[{"AttributeId":"urn:altinn:systemuser:uuid","Value":%q}]}],
"Action":[{"Attribute":[{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":%q}]}],
"Resource":[{"Attribute":[{"AttributeId":"urn:altinn:resource","Value":%q},{"AttributeId":"urn:altinn:organization:identifier-no","Value":%q}]}]}}`,
		systemUserID, action, resource, party))
}

// TestVendorRequestTokenAuthorizeRevoke walks DESIGN.md §3 flows 1–3 through
// the real HTTP interfaces: request, approval, system-user token, authorize,
// revocation.
func TestVendorRequestTokenAuthorizeRevoke(t *testing.T) {
	s := startStack(t)
	d := s.demo
	const writeScope, readScope = "altinn:authentication/systemuser.request.write", "altinn:authentication/systemuser.request.read"

	// Before any system user exists, Maskinporten refuses a system-user token.
	_, err := s.token(t, d.ClientID, d.ClientKeyFile, d.CustomerOrgNumber, "skatteetaten:krav")
	var mpErr *mpclient.Error
	if !errors.As(err, &mpErr) || mpErr.Code != "invalid_altinn_customer_configuration" || !strings.Contains(mpErr.Description, "MP-303") {
		t.Fatalf("token before approval: got %v, want invalid_altinn_customer_configuration (MP-303)", err)
	}

	vendor, err := s.token(t, d.ClientID, d.ClientKeyFile, "", writeScope, readScope)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		CreateSystemUserRequest struct {
			Created bool
			Request struct{ RequestID, Status, ConfirmURL string }
		}
	}
	s.graphql(t, vendor, `mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) {
		created request { requestId status confirmUrl } } }`, map[string]any{"in": map[string]any{
		"systemId": d.SystemID, "partyOrgNumber": d.CustomerOrgNumber,
		"rights": []map[string]any{{"resource": d.ResourceID, "action": d.Action}},
	}}, &created)
	req := created.CreateSystemUserRequest.Request
	if !created.CreateSystemUserRequest.Created || req.Status != "NEW" ||
		!strings.Contains(req.ConfirmURL, "/accessmanagement/ui/systemuser/request?id="+req.RequestID) {
		t.Fatalf("created request = %+v", created)
	}

	person := s.personToken(t, d.AdminPID)
	var approved struct{ ApproveSystemUserRequest struct{ SystemUserID string } }
	s.graphql(t, person, `mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }`,
		map[string]any{"id": req.RequestID}, &approved)
	if approved.ApproveSystemUserRequest.SystemUserID != req.RequestID {
		t.Fatalf("system user id %q, want the request id %q", approved.ApproveSystemUserRequest.SystemUserID, req.RequestID)
	}

	// Now the vendor's software gets a system-user token naming it.
	suToken, err := s.token(t, d.ClientID, d.ClientKeyFile, d.CustomerOrgNumber, "skatteetaten:krav")
	if err != nil {
		t.Fatalf("system-user token: %v", err)
	}
	details, _ := claims(t, suToken)["authorization_details"].([]any)
	if len(details) != 1 {
		t.Fatalf("authorization_details = %v", claims(t, suToken)["authorization_details"])
	}
	detail := details[0].(map[string]any)
	if ids, _ := detail["systemuser_id"].([]any); len(ids) != 1 || ids[0] != req.RequestID || detail["system_id"] != d.SystemID {
		t.Fatalf("authorization_details[0] = %v", detail)
	}

	owner, err := s.token(t, d.ServiceOwnerClientID, d.ServiceOwnerKeyFile, "", "altinn:authorization/authorize")
	if err != nil {
		t.Fatal(err)
	}
	decide := func() string {
		var out struct {
			Response []struct{ Decision string } `json:"response"`
		}
		if st := s.do(t, http.MethodPost, "/authorization/api/v1/authorize", owner,
			xacml(req.RequestID, d.Action, d.ResourceID, d.CustomerOrgNumber), &out); st != http.StatusOK || len(out.Response) != 1 {
			t.Fatalf("authorize: status %d, %+v", st, out)
		}
		return out.Response[0].Decision
	}
	if got := decide(); got != "Permit" {
		t.Fatalf("authorize before revocation = %s, want Permit", got)
	}
	var gqlDecision struct {
		Authorize struct{ Result, ReasonCode, PermittedBy string }
	}
	s.graphql(t, owner, `mutation($in: AuthorizeInput!) { authorize(input: $in) { result reasonCode permittedBy } }`,
		map[string]any{"in": map[string]any{"token": suToken, "action": d.Action, "resourceId": d.ResourceID, "partyOrgNumber": d.CustomerOrgNumber}},
		&gqlDecision)
	if gqlDecision.Authorize.Result != "PERMIT" || gqlDecision.Authorize.ReasonCode != "PERMIT_RIGHT" {
		t.Fatalf("graphql authorize with token = %+v", gqlDecision)
	}

	var deleted struct{ DeleteSystemUser bool }
	s.graphql(t, person, `mutation($id: ID!) { deleteSystemUser(id: $id) }`, map[string]any{"id": req.RequestID}, &deleted)
	if !deleted.DeleteSystemUser {
		t.Fatal("deleteSystemUser returned false")
	}
	// Revocation reaches the PDP's cache through NOTIFY; poll, bounded.
	deadline := time.Now().Add(time.Second)
	for decide() == "Permit" {
		if time.Now().After(deadline) {
			t.Fatal("still Permit one second after the system user was deleted")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := s.token(t, d.ClientID, d.ClientKeyFile, d.CustomerOrgNumber, "skatteetaten:krav"); !errors.As(err, &mpErr) ||
		mpErr.Code != "invalid_altinn_customer_configuration" {
		t.Fatalf("token after deletion: %v, want MP-303", err)
	}
}

func TestDemoJSONHasExactlyTheDocumentedKeys(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "demo.json")
	if err := writeDemo(path, Config{GatewayURL: "http://g", SimulatorURL: "http://s"}, "postgres://db", &seed.Demo{}, devCerts{}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{"gatewayUrl", "simulatorUrl", "vendorOrgNumber", "clientId", "clientKeyFile", "systemId",
		"customerOrgNumber", "customerPartyUuid", "adminPid", "resourceId", "action", "serviceOwnerClientId", "serviceOwnerKeyFile",
		"otherVendorOrgNumber", "otherVendorClientId", "otherVendorKeyFile", "otherVendorSystemId",
		"lookupClientId", "lookupKeyFile", "otherAdminPid", "otherCustomerOrgNumber", "databaseUrl", "stateDir",
		"testCaFile", "clientCertFile", "clientCertKeyFile", "serviceOwnerCertFile", "serviceOwnerCertKeyFile"}
	if len(got) != len(want) {
		t.Fatalf("demo.json has %d keys, want %d: %v", len(got), len(want), got)
	}
	for _, k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("demo.json lacks %q", k)
		}
	}
}
