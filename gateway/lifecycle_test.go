package gateway_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

const (
	scopeRegister = "altinn:authentication/systemregister.write"
	scopeReqWrite = "altinn:authentication/systemuser.request.write"
	scopeReqRead  = "altinn:authentication/systemuser.request.read"
	pkgStd        = "urn:altinn:accesspackage:std-pakke"
	pkgAgent      = "urn:altinn:accesspackage:regnskapsforer-pakke"
)

// lifecycleWorld is the cast of the lifecycle tests.
type lifecycleWorld struct {
	owner, vendor, vendor2, cust, cust2, firm, client, stranger, unregistered string
	// systemID is visible with standard rights and an assignable package;
	// agentSystemID is not visible (Altinn: a visible system cannot hold a
	// client-only package) and holds the accountant's package.
	systemID, agentSystemID          string
	custAdmin, cust2Admin, firmAdmin string
}

func newLifecycleWorld(t *testing.T, e *gatewaytest.Env) lifecycleWorld {
	t.Helper()
	o := validOrgNumbers(9)
	w := lifecycleWorld{owner: o[0], vendor: o[1], vendor2: o[2], cust: o[3], cust2: o[4], firm: o[5], client: o[6], stranger: o[7],
		unregistered: o[8], custAdmin: "01010112345", cust2Admin: "02020212345", firmAdmin: "03030312345"}
	w.systemID, w.agentSystemID = w.vendor+"_regnskap", w.vendor+"_byraa"
	for i, org := range o[:8] {
		mustExec(t, e.DB, &db.Organization{OrgNumber: org, Name: fmt.Sprintf("Org %d", i)})
	}
	for _, r := range []string{"res-a", "res-b"} {
		mustExec(t, e.DB, &db.Resource{ID: r, OwnerOrg: w.owner, TitleNB: r, TitleNN: r, TitleEN: r, Delegable: true},
			&db.ResourceAction{ResourceID: r, Action: "read"}, &db.ResourceAction{ResourceID: r, Action: "write"})
	}
	mustExec(t, e.DB,
		&db.AccessPackage{URN: pkgStd, Name: "Std", Assignable: true},
		&db.AccessPackageResource{PackageURN: pkgStd, ResourceID: "res-a"},
		&db.AccessPackage{URN: pkgAgent, Name: "Agent", Delegable: true},
		&db.AccessPackageResource{PackageURN: pkgAgent, ResourceID: "res-b"},
		&db.Person{PID: w.custAdmin, Name: "Cust Admin"}, &db.PersonRole{PID: w.custAdmin, OrgNumber: w.cust, Role: "DAGL"},
		&db.Person{PID: w.cust2Admin, Name: "Cust2 Admin"}, &db.PersonRole{PID: w.cust2Admin, OrgNumber: w.cust2, Role: "ADMAI"},
		&db.Person{PID: w.firmAdmin, Name: "Firm Admin"}, &db.PersonRole{PID: w.firmAdmin, OrgNumber: w.firm, Role: "DAGL"},
		&db.PersonRole{PID: w.firmAdmin, OrgNumber: w.firm, Role: "KLADM"},
		&db.ClientRelationship{ClientOrg: w.client, FacilitatorOrg: w.firm, Role: "REGN", PackageURN: pkgAgent},
	)
	return w
}

type gqlCase struct {
	name  string
	token string
	query string
	vars  map[string]any
	// code is the expected extensions.code of the first error; "" means success.
	code string
	// check inspects the data of a successful answer.
	check func(t *testing.T, data json.RawMessage)
}

func runCases(t *testing.T, e *gatewaytest.Env, cases []gqlCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.GraphQL(t, tc.token, tc.query, tc.vars)
			if tc.code == "" {
				if len(resp.Errors) > 0 {
					t.Fatalf("errors: %+v", resp.Errors)
				}
				if tc.check != nil {
					tc.check(t, resp.Data)
				}
				return
			}
			if len(resp.Errors) == 0 {
				t.Fatalf("want error %s, got data %s", tc.code, resp.Data)
			}
			if got := resp.Errors[0].Extensions["code"]; got != tc.code {
				t.Fatalf("error code %v, want %s (%s)", got, tc.code, resp.Errors[0].Message)
			}
		})
	}
}

func decode[T any](t *testing.T, data json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return v
}

const registerMutation = `mutation($in: SystemInput!) { registerSystem(input: $in) { systemId isVisible vendor { orgNumber } clientIds } }`

func systemInput(id string, rights []map[string]any, pkgs []string, clientIDs []string) map[string]any {
	return map[string]any{
		"systemId": id, "name": map[string]any{"nb": "Regnskap", "nn": "Rekneskap", "en": "Accounting"},
		"description": map[string]any{"nb": "d", "nn": "d", "en": "d"},
		"rights":      rights, "accessPackages": pkgs, "clientIds": clientIDs,
		"redirectUrls": []string{"https://vendor.example/receipt"},
	}
}

func TestGraphQLSystemUserLifecycle(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithEvents(), gatewaytest.WithClock())
	clock := e.Clock
	w := newLifecycleWorld(t, e)
	vendor := e.VendorToken(t, w.vendor, scopeRegister, scopeReqWrite, scopeReqRead)
	vendor2 := e.VendorToken(t, w.vendor2, scopeRegister, scopeReqWrite, scopeReqRead)
	custAdmin, cust2Admin, firmAdmin := e.PersonToken(t, w.custAdmin), e.PersonToken(t, w.cust2Admin), e.PersonToken(t, w.firmAdmin)
	rights := []map[string]any{{"resource": "res-a", "action": "read"}, {"resource": "res-b"}}

	runCases(t, e, []gqlCase{
		{name: "register/ErrVisibleWithClientOnlyPackage", token: vendor, query: registerMutation, code: "PACKAGE_NOT_ASSIGNABLE",
			vars: map[string]any{"in": systemInput(w.systemID, rights, []string{pkgAgent}, nil)}},
		{name: "register/OK", token: vendor, query: registerMutation,
			vars: map[string]any{"in": systemInput(w.systemID, rights, []string{pkgStd}, []string{"client-1"})},
			check: func(t *testing.T, data json.RawMessage) {
				got := decode[struct {
					RegisterSystem struct {
						SystemID  string
						IsVisible bool
						ClientIds []string
					}
				}](t, data)
				if got.RegisterSystem.SystemID != w.systemID || !got.RegisterSystem.IsVisible || len(got.RegisterSystem.ClientIds) != 1 {
					t.Fatalf("registered %+v", got)
				}
			}},
		{name: "register/ErrSystemExists", token: vendor, query: registerMutation, code: "SYSTEM_EXISTS",
			vars: map[string]any{"in": systemInput(w.systemID, rights, nil, nil)}},
		{name: "register/ErrClientIDTaken", token: vendor, query: registerMutation, code: "CLIENT_ID_TAKEN",
			vars: map[string]any{"in": systemInput(w.vendor+"_other", rights, nil, []string{"client-1"})}},
		{name: "register/ErrUnknownResource", token: vendor, query: registerMutation, code: "RESOURCE_NOT_FOUND",
			vars: map[string]any{"in": systemInput(w.vendor+"_other", []map[string]any{{"resource": "nope"}}, nil, nil)}},
		{name: "register/ErrOtherVendorsID", token: vendor2, query: registerMutation, code: "INVALID_SYSTEM_ID",
			vars: map[string]any{"in": systemInput(w.vendor+"_hijack", rights, nil, nil)}},
		{name: "register/invisible agent system", token: vendor, query: registerMutation,
			vars: map[string]any{"in": func() map[string]any {
				in := systemInput(w.agentSystemID, nil, []string{pkgAgent}, []string{"client-2"})
				in["isVisible"] = false
				return in
			}()},
			check: func(t *testing.T, data json.RawMessage) {
				got := decode[struct{ RegisterSystem struct{ IsVisible bool } }](t, data)
				if got.RegisterSystem.IsVisible {
					t.Fatal("isVisible: false was ignored")
				}
			}},
		{name: "register/ErrAnonymous", query: registerMutation, code: "UNAUTHENTICATED",
			vars: map[string]any{"in": systemInput(w.vendor+"_x", rights, nil, nil)}},
		{name: "register/ErrPerson", token: custAdmin, query: registerMutation, code: "MISSING_SCOPE",
			vars: map[string]any{"in": systemInput(w.vendor+"_x", rights, nil, nil)}},
	})

	const createReq = `mutation($in: CreateSystemUserRequestInput!) { createSystemUserRequest(input: $in) {
		created request { requestId status timedOut confirmUrl party { orgNumber } rights { action resource { resourceId } } } } }`
	reqIn := func(party, ref string, rights []map[string]any, redirect string) map[string]any {
		in := map[string]any{"systemId": w.systemID, "partyOrgNumber": party, "rights": rights}
		if ref != "" {
			in["externalRef"] = ref
		}
		if redirect != "" {
			in["redirectUrl"] = redirect
		}
		return map[string]any{"in": in}
	}
	type createdReq struct {
		CreateSystemUserRequest struct {
			Created bool
			Request struct {
				RequestID, Status string
				TimedOut          bool
			}
		}
	}
	var firstID string
	runCases(t, e, []gqlCase{
		{name: "request/ErrRightsNotInSystem", token: vendor, query: createReq, code: "RIGHTS_NOT_IN_SYSTEM",
			vars: reqIn(w.cust, "", []map[string]any{{"resource": "res-a", "action": "sign"}}, "")},
		{name: "request/ErrRedirectNotAllowed", token: vendor, query: createReq, code: "REDIRECT_URL_NOT_ALLOWED",
			vars: reqIn(w.cust, "", []map[string]any{{"resource": "res-a", "action": "read"}}, "https://evil.example/cb")},
		{name: "request/ErrUnknownParty", token: vendor, query: createReq, code: "PARTY_NOT_FOUND",
			vars: reqIn(w.unregistered, "", []map[string]any{{"resource": "res-a", "action": "read"}}, "")},
		{name: "request/ErrOtherVendor", token: vendor2, query: createReq, code: "SYSTEM_NOT_FOUND",
			vars: reqIn(w.cust, "", []map[string]any{{"resource": "res-a", "action": "read"}}, "")},
		{name: "request/OK", token: vendor, query: createReq,
			vars: reqIn(w.cust, "", []map[string]any{{"resource": "res-a", "action": "read"}}, "https://vendor.example/receipt?state=1"),
			check: func(t *testing.T, data json.RawMessage) {
				got := decode[createdReq](t, data).CreateSystemUserRequest
				if !got.Created || got.Request.Status != "NEW" || got.Request.TimedOut {
					t.Fatalf("created %+v", got)
				}
				firstID = got.Request.RequestID
			}},
		{name: "request/repeat returns the existing one", token: vendor, query: createReq,
			vars: reqIn(w.cust, "", []map[string]any{{"resource": "res-a", "action": "read"}}, ""),
			check: func(t *testing.T, data json.RawMessage) {
				got := decode[createdReq](t, data).CreateSystemUserRequest
				if got.Created || got.Request.RequestID != firstID {
					t.Fatalf("repeat gave %+v, want the existing request %s", got, firstID)
				}
			}},
	})

	const getReq = `query($id: ID!) { request(id: $id) { requestId status } }`
	const approve = `mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId owner { orgNumber } rights { action resource { resourceId } } } }`
	runCases(t, e, []gqlCase{
		{name: "read/another vendor sees nothing", token: vendor2, query: getReq, vars: map[string]any{"id": firstID},
			check: func(t *testing.T, data json.RawMessage) { assertJSONEqual(t, data, `{"request":null}`) }},
		{name: "read/the party's admin sees it", token: custAdmin, query: getReq, vars: map[string]any{"id": firstID},
			check: func(t *testing.T, data json.RawMessage) {
				assertJSONEqual(t, data, fmt.Sprintf(`{"request":{"requestId":%q,"status":"NEW"}}`, firstID))
			}},
		{name: "approve/ErrVendorCannotApprove", token: vendor, query: approve, vars: map[string]any{"id": firstID}, code: "PERSON_REQUIRED"},
		{name: "approve/ErrNotTheirOrganisation", token: cust2Admin, query: approve, vars: map[string]any{"id": firstID}, code: "REQUEST_NOT_FOUND"},
		{name: "approve/OK", token: custAdmin, query: approve, vars: map[string]any{"id": firstID},
			check: func(t *testing.T, data json.RawMessage) {
				want := fmt.Sprintf(`{"approveSystemUserRequest":{"systemUserId":%q,"owner":{"orgNumber":%q},"rights":[{"action":"read","resource":{"resourceId":"res-a"}}]}}`, firstID, w.cust)
				assertJSONEqual(t, data, want)
			}},
		{name: "approve/ErrAlreadyAccepted", token: custAdmin, query: approve, vars: map[string]any{"id": firstID}, code: "REQUEST_NOT_NEW"},
		{name: "request/ErrSystemUserExists", token: vendor, query: createReq, code: "SYSTEM_USER_EXISTS",
			vars: reqIn(w.cust, "", []map[string]any{{"resource": "res-a", "action": "read"}}, "")},
	})

	// The system user appears for the vendor and for the person.
	const vendorList = `query($sys: String!) { systemUsers(filter: {systemId: $sys}) { totalCount edges { node { systemUserId } } } }`
	const personList = `query($org: String!) { organization(orgNumber: $org) { systemUsers { totalCount edges { node { systemUserId system { systemId } } } } } }`
	runCases(t, e, []gqlCase{
		{name: "visible/to the vendor", token: vendor, query: vendorList, vars: map[string]any{"sys": w.systemID},
			check: func(t *testing.T, data json.RawMessage) {
				assertJSONEqual(t, data, fmt.Sprintf(`{"systemUsers":{"totalCount":1,"edges":[{"node":{"systemUserId":%q}}]}}`, firstID))
			}},
		{name: "visible/to the person", token: custAdmin, query: personList, vars: map[string]any{"org": w.cust},
			check: func(t *testing.T, data json.RawMessage) {
				assertJSONEqual(t, data, fmt.Sprintf(`{"organization":{"systemUsers":{"totalCount":1,"edges":[{"node":{"systemUserId":%q,"system":{"systemId":%q}}}]}}}`, firstID, w.systemID))
			}},
		{name: "visible/not to another vendor", token: vendor2, query: vendorList, vars: map[string]any{"sys": w.systemID},
			check: func(t *testing.T, data json.RawMessage) {
				assertJSONEqual(t, data, `{"systemUsers":{"totalCount":0,"edges":[]}}`)
			}},
		{name: "visible/not to another person", token: cust2Admin, query: personList, vars: map[string]any{"org": w.cust},
			check: func(t *testing.T, data json.RawMessage) {
				assertJSONEqual(t, data, `{"organization":{"systemUsers":{"totalCount":0,"edges":[]}}}`)
			}},
	})

	// Reject and expire, each on its own externalRef.
	const reject = `mutation($id: ID!) { rejectSystemUserRequest(id: $id) { status } }`
	rejectID := decode[createdReq](t, mustData(t, e, vendor, createReq, reqIn(w.cust, "ref-reject", []map[string]any{{"resource": "res-a", "action": "read"}}, ""))).CreateSystemUserRequest.Request.RequestID
	expireID := decode[createdReq](t, mustData(t, e, vendor, createReq, reqIn(w.cust, "ref-expire", []map[string]any{{"resource": "res-a", "action": "read"}}, ""))).CreateSystemUserRequest.Request.RequestID
	runCases(t, e, []gqlCase{
		{name: "reject/OK", token: custAdmin, query: reject, vars: map[string]any{"id": rejectID},
			check: func(t *testing.T, data json.RawMessage) {
				assertJSONEqual(t, data, `{"rejectSystemUserRequest":{"status":"REJECTED"}}`)
			}},
		{name: "reject/ErrApproveAfterReject", token: custAdmin, query: approve, vars: map[string]any{"id": rejectID}, code: "REQUEST_NOT_NEW"},
	})
	clock.Add(181 * 24 * time.Hour)
	runCases(t, e, []gqlCase{
		{name: "expire/timedOut is reported", token: vendor, query: `query($id: ID!) { request(id: $id) { status timedOut } }`,
			vars: map[string]any{"id": expireID},
			check: func(t *testing.T, data json.RawMessage) {
				assertJSONEqual(t, data, `{"request":{"status":"NEW","timedOut":true}}`)
			}},
		{name: "expire/ErrApproveTimedOut", token: custAdmin, query: approve, vars: map[string]any{"id": expireID}, code: "REQUEST_TIMED_OUT"},
	})

	// Deleting the system user frees its key.
	runCases(t, e, []gqlCase{
		{name: "delete/ErrNotTheirs", token: cust2Admin, query: `mutation($id: ID!) { deleteSystemUser(id: $id) }`,
			vars: map[string]any{"id": firstID}, code: "SYSTEM_USER_NOT_FOUND"},
		{name: "delete/OK", token: custAdmin, query: `mutation($id: ID!) { deleteSystemUser(id: $id) }`,
			vars:  map[string]any{"id": firstID},
			check: func(t *testing.T, data json.RawMessage) { assertJSONEqual(t, data, `{"deleteSystemUser":true}`) }},
		{name: "delete/the key is free again", token: vendor, query: createReq,
			vars: reqIn(w.cust, "", []map[string]any{{"resource": "res-a", "action": "read"}}, ""),
			check: func(t *testing.T, data json.RawMessage) {
				got := decode[createdReq](t, data).CreateSystemUserRequest
				if !got.Created || got.Request.RequestID == firstID {
					t.Fatalf("after delete: %+v, want a new request", got)
				}
			}},
	})

	// Portal creation by a person, for a visible system.
	const portal = `mutation($in: CreateSystemUserInput!) { createSystemUser(input: $in) { externalRef userType rights { resource { resourceId } } accessPackages { urn } } }`
	runCases(t, e, []gqlCase{
		{name: "portal/ErrNotAdministrator", token: cust2Admin, query: portal, code: "NOT_ADMINISTRATOR",
			vars: map[string]any{"in": map[string]any{"systemId": w.systemID, "ownerOrgNumber": w.stranger}}},
		{name: "portal/ErrVendorIsNotAPerson", token: vendor, query: portal, code: "PERSON_REQUIRED",
			vars: map[string]any{"in": map[string]any{"systemId": w.systemID, "ownerOrgNumber": w.cust2}}},
		{name: "portal/OK", token: cust2Admin, query: portal,
			vars: map[string]any{"in": map[string]any{"systemId": w.systemID, "ownerOrgNumber": w.cust2, "integrationTitle": "Mitt regnskap"}},
			check: func(t *testing.T, data json.RawMessage) {
				got := decode[struct {
					CreateSystemUser struct {
						ExternalRef, UserType string
						Rights                []any
						AccessPackages        []struct{ URN string }
					}
				}](t, data).CreateSystemUser
				if got.ExternalRef != w.cust2 || got.UserType != "STANDARD" || len(got.Rights) != 2 ||
					len(got.AccessPackages) != 1 || got.AccessPackages[0].URN != pkgStd {
					t.Fatalf("portal-created %+v: want externalRef = org, all rights, the assignable package only", got)
				}
			}},
		{name: "portal/ErrExists", token: cust2Admin, query: portal, code: "SYSTEM_USER_EXISTS",
			vars: map[string]any{"in": map[string]any{"systemId": w.systemID, "ownerOrgNumber": w.cust2}}},
	})

	// Agents: an accounting firm's system user and its clients.
	const agentReq = `mutation($in: CreateAgentSystemUserRequestInput!) { createAgentSystemUserRequest(input: $in) { created request { requestId requestType } } }`
	agentID := ""
	const addClient = `mutation($in: ClientInput!) { addClient(input: $in) { organization { orgNumber } } }`
	runCases(t, e, []gqlCase{
		{name: "agent/ErrPackageNotInSystem", token: vendor, query: agentReq, code: "PACKAGES_NOT_IN_SYSTEM",
			vars: map[string]any{"in": map[string]any{"systemId": w.agentSystemID, "partyOrgNumber": w.firm, "accessPackages": []string{pkgStd}}}},
		{name: "agent/ErrNoPackages", token: vendor, query: agentReq, code: "AGENT_NEEDS_PACKAGES",
			vars: map[string]any{"in": map[string]any{"systemId": w.agentSystemID, "partyOrgNumber": w.firm, "accessPackages": []string{}}}},
		{name: "agent/request OK", token: vendor, query: agentReq,
			vars: map[string]any{"in": map[string]any{"systemId": w.agentSystemID, "partyOrgNumber": w.firm, "accessPackages": []string{pkgAgent}}},
			check: func(t *testing.T, data json.RawMessage) {
				got := decode[struct {
					CreateAgentSystemUserRequest struct {
						Request struct{ RequestID, RequestType string }
					}
				}](t, data).CreateAgentSystemUserRequest.Request
				if got.RequestType != "AGENT" {
					t.Fatalf("agent request %+v", got)
				}
				agentID = got.RequestID
			}},
	})
	mustData(t, e, firmAdmin, approve, map[string]any{"id": agentID})
	runCases(t, e, []gqlCase{
		{name: "agent/ErrClientLacksPackages", token: firmAdmin, query: addClient, code: "CLIENT_LACKS_PACKAGES",
			vars: map[string]any{"in": map[string]any{"systemUserId": agentID, "clientOrgNumber": w.cust}}},
		{name: "agent/ErrNotClientAdmin", token: custAdmin, query: addClient, code: "SYSTEM_USER_NOT_FOUND",
			vars: map[string]any{"in": map[string]any{"systemUserId": agentID, "clientOrgNumber": w.client}}},
		{name: "agent/add OK", token: firmAdmin, query: addClient,
			vars: map[string]any{"in": map[string]any{"systemUserId": agentID, "clientOrgNumber": w.client}},
			check: func(t *testing.T, data json.RawMessage) {
				assertJSONEqual(t, data, fmt.Sprintf(`{"addClient":{"organization":{"orgNumber":%q}}}`, w.client))
			}},
		{name: "agent/clients listed", token: firmAdmin, query: `query($id: ID!) { systemUser(id: $id) { userType clients { totalCount edges { node { organization { orgNumber } } } } } }`,
			vars: map[string]any{"id": agentID},
			check: func(t *testing.T, data json.RawMessage) {
				assertJSONEqual(t, data, fmt.Sprintf(`{"systemUser":{"userType":"AGENT","clients":{"totalCount":1,"edges":[{"node":{"organization":{"orgNumber":%q}}}]}}}`, w.client))
			}},
		{name: "agent/remove OK", token: firmAdmin, query: `mutation($in: ClientInput!) { removeClient(input: $in) }`,
			vars:  map[string]any{"in": map[string]any{"systemUserId": agentID, "clientOrgNumber": w.client}},
			check: func(t *testing.T, data json.RawMessage) { assertJSONEqual(t, data, `{"removeClient":true}`) }},
	})
}

// mustData runs a query that must succeed and returns its data.
func mustData(t *testing.T, e *gatewaytest.Env, token, query string, vars map[string]any) json.RawMessage {
	t.Helper()
	resp := e.GraphQL(t, token, query, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	return resp.Data
}
