package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

// stateTables are the tables whose content a rejected request must leave
// alone. The decision log is left out: logging an answer is not a change.
var stateTables = []string{
	"organizations", "persons", "person_roles", "resources", "resource_actions",
	"access_packages", "access_package_resources", "client_relationships",
	"systems", "system_rights", "system_access_packages", "system_clients", "system_redirect_urls",
	"system_users", "system_user_rights", "system_user_access_packages", "client_delegations",
	"requests", "request_rights", "request_access_packages",
	"change_requests", "change_request_rights", "change_request_access_packages",
}

// snapshot fingerprints every state table's rows in one round trip.
func snapshot(tb testing.TB, bdb *bun.DB) map[string]string {
	tb.Helper()
	parts := make([]string, len(stateTables))
	for i, t := range stateTables {
		parts[i] = "SELECT '" + t + "', count(*)::text || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM " + t + " x"
	}
	rows, err := bdb.QueryContext(context.Background(), strings.Join(parts, " UNION ALL "))
	if err != nil {
		tb.Fatalf("snapshot: %v", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var table, fp string
		if err := rows.Scan(&table, &fp); err != nil {
			tb.Fatalf("snapshot: %v", err)
		}
		out[table] = fp
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("snapshot: %v", err)
	}
	return out
}

// changedTables names the tables whose fingerprint differs.
func changedTables(before, after map[string]string) []string {
	var out []string
	for _, t := range stateTables {
		if before[t] != after[t] {
			out = append(out, t)
		}
	}
	return out
}

// problemOK reports why a 4xx answer is not an Altinn problem document, or "".
func problemOK(status int, header http.Header, body []byte) string {
	if ct := header.Get("Content-Type"); ct != "application/problem+json" {
		return "content type " + ct
	}
	var p problemBody
	if err := json.Unmarshal(body, &p); err != nil {
		return "body is not JSON: " + err.Error()
	}
	if p.Status != status || p.Code == "" || p.Type != "urn:altinn:error:"+p.Code {
		return "problem " + string(body)
	}
	return ""
}

// A person with no role anywhere.
const strangerPID = "03036312345"

// secWorld is what the security suite and the fuzzers attack: vendorOrg's
// system with a new request, an approved request whose system user the
// customer owns, and a new change request on it; otherVendor's own system.
type secWorld struct {
	SystemID, OtherSystemID string
	RequestID               string // new, standard
	AgentRequestID          string // new, agent
	SystemUserID            string // = the approved request's id
	ChangeRequestID         string
}

func seedSecWorld(tb testing.TB, e *gatewaytest.Env) secWorld {
	tb.Helper()
	ctx := context.Background()
	for _, q := range []string{
		"INSERT INTO organizations (org_number, name) VALUES ('" + vendorOrg + "', 'Vendor AS'), ('" + otherVendor + "', 'Other Vendor AS'), ('" + customerOrg + "', 'Customer AS')",
		"INSERT INTO resources (id, owner_org, title_nb, title_nn, title_en, delegable) VALUES " +
			"('ske-krav-og-betalinger', '" + otherVendor + "', 'Krav', 'Krav', 'Claims', true), ('ske-mva', '" + otherVendor + "', 'Mva', 'Mva', 'VAT', true)",
		"INSERT INTO resource_actions (resource_id, action) VALUES ('ske-krav-og-betalinger', 'read'), ('ske-krav-og-betalinger', 'write'), ('ske-mva', 'read')",
		"INSERT INTO access_packages (urn, name, assignable, delegable) VALUES ('urn:altinn:accesspackage:skattnaering', 'Skatt', true, true), " +
			"('urn:altinn:accesspackage:skattegrunnlag', 'Grunnlag', true, true)",
		"INSERT INTO access_package_resources (package_urn, resource_id) VALUES ('urn:altinn:accesspackage:skattnaering', 'ske-mva')",
		"INSERT INTO persons (pid, name) VALUES ('" + adminPID + "', 'Kari Nordmann'), ('" + strangerPID + "', 'Ola Fremmed')",
		"INSERT INTO person_roles (pid, org_number, role) VALUES ('" + adminPID + "', '" + customerOrg + "', 'DAGL')",
	} {
		if _, err := e.DB.ExecContext(ctx, q); err != nil {
			tb.Fatalf("seed: %v", err)
		}
	}
	w := secWorld{SystemID: "991825827_my-system", OtherSystemID: otherVendor + "_other"}
	vendor := e.VendorToken(tb, vendorOrg, append(srWrite, reqWrite...)...)
	other := e.VendorToken(tb, otherVendor, srWrite...)
	otherSystem := strings.NewReplacer("991825827_my-system", w.OtherSystemID, "0192:991825827", "0192:"+otherVendor,
		"f2a6f9c4-1111-4c1e-9c5e-7d9c1c0a0001", "f2a6f9c4-2222-4c1e-9c5e-7d9c1c0a0002").Replace(requestSystem)
	mustServe(tb, e, "POST", "/authentication/api/v1/systemregister/vendor", vendor, requestSystem, http.StatusOK, nil)
	mustServe(tb, e, "POST", "/authentication/api/v1/systemregister/vendor", other, otherSystem, http.StatusOK, nil)
	var req, approved, agent requestJSON
	const base = "/authentication/api/v1/systemuser/request/vendor"
	mustServe(tb, e, "POST", base, vendor, requestSample, http.StatusCreated, &req)
	mustServe(tb, e, "POST", base, vendor, strings.Replace(requestSample, "customer-313775429", "approved-ref", 1), http.StatusCreated, &approved)
	mustServe(tb, e, "POST", base+"/agent", vendor,
		`{"systemId":"991825827_my-system","partyOrgNo":"313775429","accessPackages":[{"urn":"urn:altinn:accesspackage:skattnaering"}]}`, http.StatusCreated, &agent)
	su, err := e.Registry.ApproveRequest(asPerson(adminPID), uuid.MustParse(approved.ID))
	if err != nil {
		tb.Fatalf("approve: %v", err)
	}
	var cr struct{ ID string }
	mustServe(tb, e, "POST", "/authentication/api/v1/systemuser/changerequest/vendor?correlation-id=6d1c8d8e-0000-4c1e-9c5e-7d9c1c0a0003&system-user-id="+su.ID.String(),
		vendor, `{"requiredRights":[{"resource":[{"id":"urn:altinn:resource","value":"ske-mva"}]}]}`, http.StatusCreated, &cr)
	w.RequestID, w.AgentRequestID, w.SystemUserID, w.ChangeRequestID = req.ID, agent.ID, su.ID.String(), cr.ID
	return w
}

// mustServe sends a request in-process and decodes a JSON answer into out.
func mustServe(tb testing.TB, e *gatewaytest.Env, method, path, token, body string, want int, out any) {
	tb.Helper()
	auth := ""
	if token != "" {
		auth = "Bearer " + token
	}
	w := e.Serve(method, path, auth, "application/json", strings.NewReader(body))
	if w.Code != want {
		tb.Fatalf("%s %s: status %d, want %d: %s", method, path, w.Code, want, w.Body)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			tb.Fatalf("%s %s: decode %s: %v", method, path, w.Body, err)
		}
	}
}
