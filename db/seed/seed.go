// Package seed loads worlds of test data into the database: the demo world
// (demo.yaml, embedded) and worlds a test team brings (World, ParseWorld,
// Apply): organisations, persons and roles, resources, access packages,
// systems, client relationships and Maskinporten clients with keys.
package seed

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
)

//go:embed demo.yaml
var demoYAML []byte

// Demo names the seeded things scripts and the how-to refer to.
type Demo struct {
	VendorOrgNumber      string `json:"vendorOrgNumber"`
	ClientID             string `json:"clientId"`
	ClientKeyFile        string `json:"clientKeyFile"`
	SystemID             string `json:"systemId"`
	CustomerOrgNumber    string `json:"customerOrgNumber"`
	CustomerPartyUUID    string `json:"customerPartyUuid"`
	AdminPID             string `json:"adminPid"`
	ResourceID           string `json:"resourceId"`
	Action               string `json:"action"`
	ServiceOwnerClientID string `json:"serviceOwnerClientId"`
	ServiceOwnerKeyFile  string `json:"serviceOwnerKeyFile"`
	// A second vendor with a system of its own, for cross-tenant checks.
	OtherVendorOrgNumber string `json:"otherVendorOrgNumber"`
	OtherVendorClientID  string `json:"otherVendorClientId"`
	OtherVendorKeyFile   string `json:"otherVendorKeyFile"`
	OtherVendorSystemID  string `json:"otherVendorSystemId"`
	// A client allowed Maskinporten's system-user lookup
	// (altinn:maskinporten/systemuser.read).
	LookupClientID string `json:"lookupClientId"`
	LookupKeyFile  string `json:"lookupKeyFile"`
	// A person who administers another customer, and not CustomerOrgNumber.
	OtherAdminPID          string `json:"otherAdminPid"`
	OtherCustomerOrgNumber string `json:"otherCustomerOrgNumber"`
	// KeyFiles maps every seeded Maskinporten client id to its private JWK file.
	KeyFiles map[string]string `json:"-"`
}

// Load inserts the demo world into bdb in one transaction; rows that already
// exist are left as they are. Private keys of the Maskinporten clients are
// written to keyDir (created 0700) as <clientId>.jwk.
func Load(ctx context.Context, bdb *bun.DB, keyDir string) (*Demo, error) {
	w, err := ParseWorld(demoYAML)
	if err != nil {
		return nil, fmt.Errorf("seed: demo.yaml: %w", err)
	}
	loaded, err := Apply(ctx, bdb, w, keyDir)
	if err != nil {
		return nil, err
	}
	demo := demoOf(w, loaded.KeyFiles)
	if demo.CustomerOrgNumber != "" {
		if err := bdb.NewSelect().Model((*db.Organization)(nil)).Column("party_uuid").
			Where("org_number = ?", demo.CustomerOrgNumber).Scan(ctx, &demo.CustomerPartyUUID); err != nil {
			return nil, fmt.Errorf("seed: customer party uuid: %w", err)
		}
	}
	return demo, nil
}

// demoOf reads the demo markers of w.
func demoOf(w *World, keyFiles map[string]string) *Demo {
	d := &Demo{KeyFiles: keyFiles}
	for _, o := range w.Organizations {
		switch o.Demo {
		case "vendor":
			d.VendorOrgNumber = o.OrgNumber
		case "customer":
			d.CustomerOrgNumber = o.OrgNumber
		case "otherVendor":
			d.OtherVendorOrgNumber = o.OrgNumber
		case "otherCustomer":
			d.OtherCustomerOrgNumber = o.OrgNumber
		}
	}
	for _, p := range w.Persons {
		switch p.Demo {
		case "admin":
			d.AdminPID = p.PID
		case "otherAdmin":
			d.OtherAdminPID = p.PID
		}
	}
	for _, s := range w.Systems {
		switch s.Demo {
		case "vendor":
			d.SystemID = s.ID
			if len(s.Rights) > 0 {
				d.ResourceID, d.Action = s.Rights[0].Resource, s.Rights[0].Action
			}
		case "otherVendor":
			d.OtherVendorSystemID = s.ID
		}
	}
	for _, c := range w.MaskinportenClients {
		switch c.Demo {
		case "vendor":
			d.ClientID, d.ClientKeyFile = c.ClientID, keyFiles[c.ClientID]
		case "serviceOwner":
			d.ServiceOwnerClientID, d.ServiceOwnerKeyFile = c.ClientID, keyFiles[c.ClientID]
		case "otherVendor":
			d.OtherVendorClientID, d.OtherVendorKeyFile = c.ClientID, keyFiles[c.ClientID]
		case "lookup":
			d.LookupClientID, d.LookupKeyFile = c.ClientID, keyFiles[c.ClientID]
		}
	}
	return d
}
