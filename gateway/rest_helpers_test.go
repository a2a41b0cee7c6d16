package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/identity"
)

// Organisation numbers with valid mod-11 check digits, and a test person.
const (
	vendorOrg   = "991825827"
	otherVendor = "312605031"
	customerOrg = "313775429"
	adminPID    = "02056260016"
)

var (
	srWrite  = []string{identity.ScopeSystemRegisterWrite}
	reqWrite = []string{identity.ScopeRequestWrite, identity.ScopeRequestRead}
)

// restEnv is a gateway with a catalog: two vendors, a customer whose
// administrator is adminPID, the resources and the package of Altinn's
// documentation samples.
type restEnv struct{ *gatewaytest.Env }

func newRESTEnv(t *testing.T) *restEnv {
	t.Helper()
	e := &restEnv{gatewaytest.New(t)}
	seedCatalog(t, e.DB)
	return e
}

// seedCatalog inserts the organisations, resources, packages and the
// customer's administrator the REST and browser tests use.
func seedCatalog(t *testing.T, bdb *bun.DB) {
	t.Helper()
	for _, q := range []string{
		"INSERT INTO organizations (org_number, name) VALUES ('" + vendorOrg + "', 'Vendor AS'), ('" + otherVendor + "', 'Other Vendor AS'), ('" + customerOrg + "', 'Customer AS')",
		"INSERT INTO resources (id, owner_org, title_nb, title_nn, title_en, delegable) VALUES " +
			"('ske-krav-og-betalinger', '" + otherVendor + "', 'Krav og betalinger', 'Krav og betalingar', 'Claims and payments', true), " +
			"('ske-mva', '" + otherVendor + "', 'Merverdiavgift', 'Meirverdiavgift', 'VAT', true)",
		"INSERT INTO resource_actions (resource_id, action) VALUES ('ske-krav-og-betalinger', 'read'), ('ske-krav-og-betalinger', 'write'), ('ske-mva', 'read')",
		"INSERT INTO access_packages (urn, name, assignable, delegable) VALUES ('urn:altinn:accesspackage:skattnaering', 'Skatt næring', true, true), " +
			"('urn:altinn:accesspackage:skattegrunnlag', 'Skattegrunnlag', true, true)",
		"INSERT INTO access_package_resources (package_urn, resource_id) VALUES ('urn:altinn:accesspackage:skattnaering', 'ske-mva')",
		"INSERT INTO persons (pid, name) VALUES ('" + adminPID + "', 'Kari Nordmann')",
		"INSERT INTO person_roles (pid, org_number, role) VALUES ('" + adminPID + "', '" + customerOrg + "', 'DAGL')",
	} {
		if _, err := bdb.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
}

type restResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a fresh value of the given shape.
func (r restResponse) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// do sends body (a string is sent as is, anything else as JSON).
func (e *restEnv) do(t *testing.T, method, path, token string, body any) restResponse {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return restResponse{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// must fails unless the response has status want.
func (r restResponse) must(t *testing.T, want int) restResponse {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	return r
}

// asPerson is a context in which the registry sees the customer's administrator.
func asPerson(pid string) context.Context {
	return identity.NewContext(context.Background(), &identity.Identity{Kind: identity.Person, PID: pid})
}

// MustApprove approves a request as the customer's administrator.
func (e *restEnv) MustApprove(t *testing.T, id string) {
	t.Helper()
	if _, err := e.Registry.ApproveRequest(asPerson(adminPID), uuid.MustParse(id)); err != nil {
		t.Fatalf("approve %s: %v", id, err)
	}
}

type problemBody struct {
	Type             string `json:"type"`
	Title            string `json:"title"`
	Status           int    `json:"status"`
	Code             string `json:"code"`
	ValidationErrors []struct {
		Code  string   `json:"code"`
		Title string   `json:"title"`
		Paths []string `json:"paths"`
	} `json:"validationErrors"`
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// partyUUID is the party UUID the database derives for an organisation
// (UUIDv3 in the namespace of migration party_uuids).
func partyUUID(orgNumber string) string {
	return uuid.NewMD5(uuid.MustParse("3fdb8cbf-25c4-4879-8f1b-44db75107fa5"), []byte("organization:"+orgNumber)).String()
}
