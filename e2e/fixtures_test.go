package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

// The demo world's organisations and the persons administering them
// (db/seed/demo.yaml).
const (
	vendorOrg       = "991825827"
	serviceOwnerOrg = "923609016"
	bakeryOrg       = "313775429" // customer, administered by Kari
	fishOrg         = "312605031" // customer and client of the accounting firm, administered by Ola
	accountingOrg   = "910459880" // accounting firm, administered by Randi
	kariPID         = "02056260016"
	olaPID          = "13096541877"
	randiPID        = "24048912345"

	demoResource = "ske-krav-og-betalinger"
	mvaResource  = "ske-mva-melding"
	agentPackage = "urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet"
	receiptURL   = "https://fjordsoft.example/systemuser/receipt"
)

// uniqueRef is an externalRef no other test uses: suites share one Stack and
// a system user is unique per (system, org, externalRef).
func uniqueRef(t *testing.T) string {
	t.Helper()
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return name + "-" + hex.EncodeToString(b[:])
}

// arrangeSystemUser gives org a standard system user of the demo system with
// externalRef and every right of the system, through the registry on the
// host connection: the vendor's request, then the administrator's approval.
// Suites use it to arrange state their flow does not exercise; the flows
// themselves go through the gateway's API.
func arrangeSystemUser(t *testing.T, s *Stack, org, adminPID, externalRef string) uuid.UUID {
	t.Helper()
	reg := registry.New(s.DB, registry.Options{PublicURL: s.GatewayURL, Logger: slog.New(slog.DiscardHandler)})
	vendor := identity.NewContext(t.Context(), &identity.Identity{Kind: identity.Organization, OrgNumber: s.Demo.VendorOrgNumber,
		ClientID: s.Demo.ClientID, Scopes: []string{identity.ScopeRequestWrite, identity.ScopeRequestRead}})
	req, _, err := reg.CreateRequest(vendor, registry.RequestInput{SystemID: s.Demo.SystemID, PartyOrg: org, ExternalRef: externalRef,
		Rights: []registry.Right{{Resource: demoResource, Action: "read"}}, RedirectURL: receiptURL})
	if err != nil {
		t.Fatalf("arrange request: %v", err)
	}
	person := identity.NewContext(t.Context(), &identity.Identity{Kind: identity.Person, PID: adminPID})
	su, err := reg.ApproveRequest(person, req.ID)
	if err != nil {
		t.Fatalf("arrange approval: %v", err)
	}
	return su.ID
}

// schemaFields caches the root fields of the gateway's GraphQL schema.
var schemaFields struct {
	once   sync.Once
	fields map[string]bool // "Mutation.registerSystem", "Query.viewer", ...
	err    error
}

// requireGraphQL skips t with "waiting for <field>" unless every named root
// field ("Mutation.approveSystemUserRequest") exists: the suites are written
// against the documented API ahead of the features landing, and run as soon
// as they do.
func requireGraphQL(t *testing.T, s *Stack, fields ...string) {
	t.Helper()
	schemaFields.once.Do(func() {
		var out struct {
			Schema struct {
				Types []struct {
					Name   string `json:"name"`
					Fields []struct {
						Name string `json:"name"`
					} `json:"fields"`
				} `json:"types"`
			} `json:"__schema"`
		}
		schemaFields.err = s.GraphQL(context.Background(), "", `{ __schema { types { name fields { name } } } }`, nil, &out)
		schemaFields.fields = map[string]bool{}
		for _, ty := range out.Schema.Types {
			if ty.Name != "Query" && ty.Name != "Mutation" && ty.Name != "Subscription" {
				continue
			}
			for _, f := range ty.Fields {
				schemaFields.fields[ty.Name+"."+f.Name] = true
			}
		}
	})
	if schemaFields.err != nil {
		t.Fatalf("introspect schema: %v", schemaFields.err)
	}
	var missing []string
	for _, f := range fields {
		if !schemaFields.fields[f] {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		t.Skipf("waiting for %s", strings.Join(missing, ", "))
	}
}
