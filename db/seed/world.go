package seed

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // registers SHA-256 for crypto.SHA256
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/uptrace/bun"
	"go.yaml.in/yaml/v3"

	"github.com/systemuser-gateway/systemuser/db"
)

// World is a set of test data (YAML or JSON): organisations, persons with
// their roles, resources with actions, access packages, systems, client
// relationships and Maskinporten clients with keys. The embedded demo world
// is one; a test team brings its own with `seed --world FILE` or
// `dev --world FILE`. Entries may refer to the demo world's (a world's
// person may administer a demo organisation).
//
// The `demo` members mark what the demo world's how-to and demo.json name;
// other worlds leave them out.
type World struct {
	Organizations       []Organization       `json:"organizations"`
	Persons             []Person             `json:"persons"`
	Resources           []Resource           `json:"resources"`
	AccessPackages      []AccessPackage      `json:"accessPackages"`
	Systems             []System             `json:"systems"`
	ClientRelationships []ClientRelationship `json:"clientRelationships"`
	MaskinportenClients []MaskinportenClient `json:"maskinportenClients"`
}

// Texts are a name or title in Norwegian Bokmål, Nynorsk and English.
type Texts struct {
	NB string `json:"nb"`
	NN string `json:"nn"`
	EN string `json:"en"`
}

// Organization is a party: a valid (mod-11) 9-digit organisation number.
type Organization struct {
	OrgNumber string `json:"orgNumber"`
	Name      string `json:"name"`
	Demo      string `json:"demo,omitempty"`
}

// Person is a test person and the roles (DAGL, LEDE, ADMAI, KLADM, REGNA)
// they hold in organisations; DAGL, LEDE and ADMAI administer system users.
type Person struct {
	PID   string `json:"pid"`
	Name  string `json:"name"`
	Roles []Role `json:"roles"`
	Demo  string `json:"demo,omitempty"`
}

// Role is a person's role in one organisation.
type Role struct {
	Org  string `json:"org"`
	Role string `json:"role"`
}

// Resource is a Resource Registry entry.
type Resource struct {
	ID            string   `json:"id"`
	Owner         string   `json:"owner"`
	Title         Texts    `json:"title"`
	Actions       []string `json:"actions"`
	RequiredScope string   `json:"requiredScope,omitempty"`
}

// AccessPackage names resources granted together.
type AccessPackage struct {
	URN         string   `json:"urn"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Assignable  bool     `json:"assignable"`
	Delegable   bool     `json:"delegable"`
	Resources   []string `json:"resources"`
}

// System is a System Register entry.
type System struct {
	ID             string        `json:"id"`
	Vendor         string        `json:"vendor"`
	Name           Texts         `json:"name"`
	Description    Texts         `json:"description"`
	Rights         []SystemRight `json:"rights"`
	AccessPackages []string      `json:"accessPackages"`
	ClientIDs      []string      `json:"clientIds"`
	RedirectURLs   []string      `json:"redirectUrls"`
	Visible        bool          `json:"visible"`
	Demo           string        `json:"demo,omitempty"`
}

// SystemRight is a resource and, optionally, one of its actions.
type SystemRight struct {
	Resource string `json:"resource"`
	Action   string `json:"action,omitempty"`
}

// ClientRelationship lets a facilitator (an accounting firm) act for a client
// with a package.
type ClientRelationship struct {
	Client      string `json:"client"`
	Facilitator string `json:"facilitator"`
	Role        string `json:"role"`
	Package     string `json:"package"`
}

// MaskinportenClient is a client of the simulator. With jwks it has the
// caller's public keys; without, a key pair is generated once and its
// private JWK written to the key directory as <clientId>.jwk.
type MaskinportenClient struct {
	ClientID string             `json:"clientId"`
	Org      string             `json:"org"`
	Name     string             `json:"name"`
	Scopes   []string           `json:"scopes"`
	JWKS     jose.JSONWebKeySet `json:"jwks"`
	Demo     string             `json:"demo,omitempty"`
}

// ErrInvalidWorld means a world file could not be parsed or names something
// the database refuses; nothing of it was loaded.
var ErrInvalidWorld = errors.New("seed: invalid world")

// ParseWorld reads a world from YAML or JSON (JSON is YAML). Unknown members
// are refused: a misspelt key would otherwise silently load nothing.
func ParseWorld(b []byte) (*World, error) {
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidWorld, err)
	}
	// Through JSON, so JWKs are decoded by go-jose's own rules.
	j, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidWorld, err)
	}
	var w World
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidWorld, err)
	}
	for _, c := range w.MaskinportenClients {
		for _, k := range c.JWKS.Keys {
			if !k.IsPublic() || k.KeyID == "" || !k.Valid() {
				return nil, fmt.Errorf("%w: client %s: every key must be a valid public JWK with a kid", ErrInvalidWorld, c.ClientID)
			}
		}
	}
	return &w, nil
}

// LoadWorldFile parses the world in path.
func LoadWorldFile(path string) (*World, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seed: world: %w", err)
	}
	w, err := ParseWorld(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// Loaded says what a world load added or found, and where generated keys are.
type Loaded struct {
	Organizations       []string `json:"organizations"`
	Persons             []string `json:"persons"`
	Resources           []string `json:"resources"`
	AccessPackages      []string `json:"accessPackages"`
	Systems             []string `json:"systems"`
	MaskinportenClients []string `json:"maskinportenClients"`
	// KeyFiles maps each client with a generated key to its private JWK file.
	KeyFiles map[string]string `json:"keyFiles"`
}

// Apply inserts w into bdb in one transaction: all of it or, on an error,
// nothing. Rows that already exist are left as they are, so applying a world
// again changes nothing. Generated private keys go to keyDir (created 0700).
func Apply(ctx context.Context, bdb *bun.DB, w *World, keyDir string) (*Loaded, error) {
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return nil, fmt.Errorf("seed: key dir: %w", err)
	}
	out := &Loaded{KeyFiles: map[string]string{}}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return w.insert(ctx, tx, keyDir, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// insertError marks database refusals (constraint violations) as the world's
// fault rather than ours.
func insertError(what string, err error) error {
	var pe interface{ Field(byte) string }
	// Class 23 is an integrity constraint, class 22 a value the column refuses.
	if errors.As(err, &pe) && (strings.HasPrefix(pe.Field('C'), "23") || strings.HasPrefix(pe.Field('C'), "22")) {
		return fmt.Errorf("%w: %s: %w", ErrInvalidWorld, what, err)
	}
	return fmt.Errorf("seed: %s: %w", what, err)
}

func (w *World) insert(ctx context.Context, tx bun.Tx, keyDir string, out *Loaded) error {
	ins := func(model any) error {
		_, err := tx.NewInsert().Model(model).On("CONFLICT DO NOTHING").Exec(ctx)
		return err
	}
	for _, o := range w.Organizations {
		if err := ins(&db.Organization{OrgNumber: o.OrgNumber, Name: o.Name}); err != nil {
			return insertError("organization "+o.OrgNumber, err)
		}
		out.Organizations = append(out.Organizations, o.OrgNumber)
	}
	for _, p := range w.Persons {
		if err := ins(&db.Person{PID: p.PID, Name: p.Name}); err != nil {
			return insertError("person "+p.PID, err)
		}
		for _, r := range p.Roles {
			if err := ins(&db.PersonRole{PID: p.PID, OrgNumber: r.Org, Role: r.Role}); err != nil {
				return insertError("role "+p.PID+"/"+r.Org+"/"+r.Role, err)
			}
		}
		out.Persons = append(out.Persons, p.PID)
	}
	for _, r := range w.Resources {
		res := &db.Resource{ID: r.ID, OwnerOrg: r.Owner, TitleNB: r.Title.NB, TitleNN: r.Title.NN,
			TitleEN: r.Title.EN, RequiredScope: r.RequiredScope, Delegable: true}
		if err := ins(res); err != nil {
			return insertError("resource "+r.ID, err)
		}
		for _, a := range r.Actions {
			if err := ins(&db.ResourceAction{ResourceID: r.ID, Action: a}); err != nil {
				return insertError("action "+r.ID+"/"+a, err)
			}
		}
		out.Resources = append(out.Resources, r.ID)
	}
	for _, p := range w.AccessPackages {
		pkg := &db.AccessPackage{URN: p.URN, Name: p.Name, Description: p.Description,
			Assignable: p.Assignable, Delegable: p.Delegable}
		if err := ins(pkg); err != nil {
			return insertError("package "+p.URN, err)
		}
		for _, r := range p.Resources {
			if err := ins(&db.AccessPackageResource{PackageURN: p.URN, ResourceID: r}); err != nil {
				return insertError("package "+p.URN+" resource "+r, err)
			}
		}
		out.AccessPackages = append(out.AccessPackages, p.URN)
	}
	for _, s := range w.Systems {
		if err := insertSystem(ctx, tx, ins, s); err != nil {
			return err
		}
		out.Systems = append(out.Systems, s.ID)
	}
	for _, cr := range w.ClientRelationships {
		rel := &db.ClientRelationship{ClientOrg: cr.Client, FacilitatorOrg: cr.Facilitator, Role: cr.Role, PackageURN: cr.Package}
		if err := ins(rel); err != nil {
			return insertError("client relationship "+cr.Facilitator+"/"+cr.Client, err)
		}
	}
	for _, c := range w.MaskinportenClients {
		if err := ins(&db.MaskinportenClient{ClientID: c.ClientID, OrgNumber: c.Org, Name: c.Name, Scopes: c.Scopes}); err != nil {
			return insertError("maskinporten client "+c.ClientID, err)
		}
		keys := c.JWKS.Keys
		if len(keys) == 0 {
			keyFile := filepath.Join(keyDir, c.ClientID+".jwk")
			pub, err := ensureKeyFile(keyFile)
			if err != nil {
				return err
			}
			keys = []jose.JSONWebKey{pub}
			out.KeyFiles[c.ClientID] = keyFile
		}
		for _, k := range keys {
			pubJSON, err := json.Marshal(k)
			if err != nil {
				return fmt.Errorf("seed: marshal public key: %w", err)
			}
			if err := ins(&db.MaskinportenClientKey{ClientID: c.ClientID, Kid: k.KeyID, PublicJWK: pubJSON}); err != nil {
				return insertError("client key "+c.ClientID+"/"+k.KeyID, err)
			}
		}
		out.MaskinportenClients = append(out.MaskinportenClients, c.ClientID)
	}
	return nil
}

func insertSystem(_ context.Context, _ bun.Tx, ins func(any) error, s System) error {
	sys := &db.System{ID: s.ID, VendorOrg: s.Vendor, NameNB: s.Name.NB, NameNN: s.Name.NN, NameEN: s.Name.EN,
		DescriptionNB: s.Description.NB, DescriptionNN: s.Description.NN, DescriptionEN: s.Description.EN,
		IsVisible: s.Visible}
	if err := ins(sys); err != nil {
		return insertError("system "+s.ID, err)
	}
	for _, r := range s.Rights {
		if err := ins(&db.SystemRight{SystemID: s.ID, ResourceID: r.Resource, Action: r.Action}); err != nil {
			return insertError("system "+s.ID+" right "+r.Resource, err)
		}
	}
	for _, p := range s.AccessPackages {
		if err := ins(&db.SystemAccessPackage{SystemID: s.ID, PackageURN: p}); err != nil {
			return insertError("system "+s.ID+" package "+p, err)
		}
	}
	for _, c := range s.ClientIDs {
		if err := ins(&db.SystemClient{ClientID: c, SystemID: s.ID}); err != nil {
			return insertError("system "+s.ID+" client "+c, err)
		}
	}
	for _, u := range s.RedirectURLs {
		if err := ins(&db.SystemRedirectURL{SystemID: s.ID, URL: u}); err != nil {
			return insertError("system "+s.ID+" redirect url", err)
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
