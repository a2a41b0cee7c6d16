// Package seed loads the demo world (demo.yaml, embedded) into the database:
// organisations, persons and roles, resources, access packages, a system,
// client relationships and Maskinporten clients with generated keys.
package seed

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // registers SHA-256 for crypto.SHA256
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-jose/go-jose/v4"
	"github.com/uptrace/bun"
	"go.yaml.in/yaml/v3"

	"github.com/systemuser-gateway/systemuser/db"
)

//go:embed demo.yaml
var demoYAML []byte

type texts struct {
	NB string `yaml:"nb"`
	NN string `yaml:"nn"`
	EN string `yaml:"en"`
}

type world struct {
	Organizations []struct {
		OrgNumber string `yaml:"orgNumber"`
		Name      string `yaml:"name"`
		Role      string `yaml:"role"`
	} `yaml:"organizations"`
	Persons []struct {
		PID   string `yaml:"pid"`
		Name  string `yaml:"name"`
		Roles []struct {
			Org  string `yaml:"org"`
			Role string `yaml:"role"`
		} `yaml:"roles"`
	} `yaml:"persons"`
	Resources []struct {
		ID            string   `yaml:"id"`
		Owner         string   `yaml:"owner"`
		Title         texts    `yaml:"title"`
		Actions       []string `yaml:"actions"`
		RequiredScope string   `yaml:"requiredScope"`
	} `yaml:"resources"`
	AccessPackages []struct {
		URN         string   `yaml:"urn"`
		Name        string   `yaml:"name"`
		Description string   `yaml:"description"`
		Assignable  bool     `yaml:"assignable"`
		Delegable   bool     `yaml:"delegable"`
		Resources   []string `yaml:"resources"`
	} `yaml:"accessPackages"`
	Systems []struct {
		ID          string `yaml:"id"`
		Vendor      string `yaml:"vendor"`
		Name        texts  `yaml:"name"`
		Description texts  `yaml:"description"`
		Rights      []struct {
			Resource string `yaml:"resource"`
			Action   string `yaml:"action"`
		} `yaml:"rights"`
		AccessPackages []string `yaml:"accessPackages"`
		ClientIDs      []string `yaml:"clientIds"`
		RedirectURLs   []string `yaml:"redirectUrls"`
		Visible        bool     `yaml:"visible"`
	} `yaml:"systems"`
	ClientRelationships []struct {
		Client      string `yaml:"client"`
		Facilitator string `yaml:"facilitator"`
		Role        string `yaml:"role"`
		Package     string `yaml:"package"`
	} `yaml:"clientRelationships"`
	MaskinportenClients []struct {
		ClientID string   `yaml:"clientId"`
		Org      string   `yaml:"org"`
		Name     string   `yaml:"name"`
		Demo     string   `yaml:"demo"`
		Scopes   []string `yaml:"scopes"`
	} `yaml:"maskinportenClients"`
}

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
	// KeyFiles maps every seeded Maskinporten client id to its private JWK file.
	KeyFiles map[string]string `json:"-"`
}

// Load inserts the demo world into bdb in one transaction; rows that already
// exist are left as they are. Private keys of the Maskinporten clients are
// written to keyDir (created 0700) as <clientId>.jwk.
func Load(ctx context.Context, bdb *bun.DB, keyDir string) (*Demo, error) {
	var w world
	dec := yaml.NewDecoder(bytes.NewReader(demoYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("seed: parse demo.yaml: %w", err)
	}
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return nil, fmt.Errorf("seed: key dir: %w", err)
	}
	demo := &Demo{KeyFiles: map[string]string{}}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return w.insert(ctx, tx, keyDir, demo)
	})
	if err != nil {
		return nil, err
	}
	if demo.CustomerOrgNumber != "" {
		if err := bdb.NewSelect().Model((*db.Organization)(nil)).Column("party_uuid").
			Where("org_number = ?", demo.CustomerOrgNumber).Scan(ctx, &demo.CustomerPartyUUID); err != nil {
			return nil, fmt.Errorf("seed: customer party uuid: %w", err)
		}
	}
	return demo, nil
}

func (w *world) insert(ctx context.Context, tx bun.Tx, keyDir string, demo *Demo) error {
	ins := func(model any) error {
		_, err := tx.NewInsert().Model(model).On("CONFLICT DO NOTHING").Exec(ctx)
		return err
	}
	for _, o := range w.Organizations {
		if err := ins(&db.Organization{OrgNumber: o.OrgNumber, Name: o.Name}); err != nil {
			return fmt.Errorf("seed: organization %s: %w", o.OrgNumber, err)
		}
		switch o.Role {
		case "vendor":
			demo.VendorOrgNumber = o.OrgNumber
		case "customer":
			if demo.CustomerOrgNumber == "" {
				demo.CustomerOrgNumber = o.OrgNumber
			}
		}
	}
	for _, p := range w.Persons {
		if err := ins(&db.Person{PID: p.PID, Name: p.Name}); err != nil {
			return fmt.Errorf("seed: person %s: %w", p.PID, err)
		}
		for _, r := range p.Roles {
			if err := ins(&db.PersonRole{PID: p.PID, OrgNumber: r.Org, Role: r.Role}); err != nil {
				return fmt.Errorf("seed: role %s/%s: %w", p.PID, r.Org, err)
			}
			if r.Org == demo.CustomerOrgNumber && demo.AdminPID == "" {
				demo.AdminPID = p.PID
			}
		}
	}
	for _, r := range w.Resources {
		res := &db.Resource{ID: r.ID, OwnerOrg: r.Owner, TitleNB: r.Title.NB, TitleNN: r.Title.NN,
			TitleEN: r.Title.EN, RequiredScope: r.RequiredScope, Delegable: true}
		if err := ins(res); err != nil {
			return fmt.Errorf("seed: resource %s: %w", r.ID, err)
		}
		for _, a := range r.Actions {
			if err := ins(&db.ResourceAction{ResourceID: r.ID, Action: a}); err != nil {
				return fmt.Errorf("seed: action %s/%s: %w", r.ID, a, err)
			}
		}
	}
	for _, p := range w.AccessPackages {
		pkg := &db.AccessPackage{URN: p.URN, Name: p.Name, Description: p.Description,
			Assignable: p.Assignable, Delegable: p.Delegable}
		if err := ins(pkg); err != nil {
			return fmt.Errorf("seed: package %s: %w", p.URN, err)
		}
		for _, r := range p.Resources {
			if err := ins(&db.AccessPackageResource{PackageURN: p.URN, ResourceID: r}); err != nil {
				return fmt.Errorf("seed: package %s resource %s: %w", p.URN, r, err)
			}
		}
	}
	for _, s := range w.Systems {
		sys := &db.System{ID: s.ID, VendorOrg: s.Vendor, NameNB: s.Name.NB, NameNN: s.Name.NN, NameEN: s.Name.EN,
			DescriptionNB: s.Description.NB, DescriptionNN: s.Description.NN, DescriptionEN: s.Description.EN,
			IsVisible: s.Visible}
		if err := ins(sys); err != nil {
			return fmt.Errorf("seed: system %s: %w", s.ID, err)
		}
		for _, r := range s.Rights {
			if err := ins(&db.SystemRight{SystemID: s.ID, ResourceID: r.Resource, Action: r.Action}); err != nil {
				return fmt.Errorf("seed: system right: %w", err)
			}
		}
		for _, p := range s.AccessPackages {
			if err := ins(&db.SystemAccessPackage{SystemID: s.ID, PackageURN: p}); err != nil {
				return fmt.Errorf("seed: system package: %w", err)
			}
		}
		for _, c := range s.ClientIDs {
			if err := ins(&db.SystemClient{ClientID: c, SystemID: s.ID}); err != nil {
				return fmt.Errorf("seed: system client: %w", err)
			}
		}
		for _, u := range s.RedirectURLs {
			if err := ins(&db.SystemRedirectURL{SystemID: s.ID, URL: u}); err != nil {
				return fmt.Errorf("seed: redirect url: %w", err)
			}
		}
		if demo.SystemID == "" {
			demo.SystemID = s.ID
			if len(s.Rights) > 0 {
				demo.ResourceID, demo.Action = s.Rights[0].Resource, s.Rights[0].Action
			}
		}
	}
	for _, cr := range w.ClientRelationships {
		rel := &db.ClientRelationship{ClientOrg: cr.Client, FacilitatorOrg: cr.Facilitator, Role: cr.Role, PackageURN: cr.Package}
		if err := ins(rel); err != nil {
			return fmt.Errorf("seed: client relationship: %w", err)
		}
	}
	for _, c := range w.MaskinportenClients {
		if err := ins(&db.MaskinportenClient{ClientID: c.ClientID, OrgNumber: c.Org, Name: c.Name, Scopes: c.Scopes}); err != nil {
			return fmt.Errorf("seed: maskinporten client %s: %w", c.ClientID, err)
		}
		keyFile := filepath.Join(keyDir, c.ClientID+".jwk")
		pub, err := ensureKeyFile(keyFile)
		if err != nil {
			return err
		}
		pubJSON, err := json.Marshal(pub)
		if err != nil {
			return fmt.Errorf("seed: marshal public key: %w", err)
		}
		if err := ins(&db.MaskinportenClientKey{ClientID: c.ClientID, Kid: pub.KeyID, PublicJWK: pubJSON}); err != nil {
			return fmt.Errorf("seed: client key %s: %w", c.ClientID, err)
		}
		demo.KeyFiles[c.ClientID] = keyFile
		switch c.Demo {
		case "vendor":
			demo.ClientID, demo.ClientKeyFile = c.ClientID, keyFile
		case "serviceOwner":
			demo.ServiceOwnerClientID, demo.ServiceOwnerKeyFile = c.ClientID, keyFile
		}
	}
	return nil
}

// ensureKeyFile returns the public half of the RSA key in path, generating
// and writing one (0600) if the file does not exist.
func ensureKeyFile(path string) (jose.JSONWebKey, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			return jose.JSONWebKey{}, fmt.Errorf("seed: key file %s: %w", path, err)
		}
		if k.IsPublic() {
			return jose.JSONWebKey{}, fmt.Errorf("seed: key file %s holds no private key", path)
		}
		return k.Public(), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return jose.JSONWebKey{}, fmt.Errorf("seed: read key file: %w", err)
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("seed: generate key: %w", err)
	}
	k := jose.JSONWebKey{Key: priv, Algorithm: string(jose.RS256), Use: "sig"}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("seed: thumbprint: %w", err)
	}
	k.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	out, err := k.MarshalJSON()
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("seed: marshal key: %w", err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("seed: write key file: %w", err)
	}
	return k.Public(), nil
}
