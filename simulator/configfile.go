package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/go-jose/go-jose/v4"
	"go.yaml.in/yaml/v3"
)

// FileConfig is the standalone simulator's seed file (YAML or JSON):
//
//	clients:
//	  - clientId: demo-vendor
//	    orgNumber: "991825827"
//	    name: Demo vendor
//	    scopes: [altinn:authentication/systemregister.write]
//	    jwks: {keys: [{kty: RSA, kid: k1, n: ..., e: AQAB}]}
//	  - clientId: cert-vendor          # org from its enterprise certificate
//	    scopes: [altinn:authentication/systemregister.write]
//	    certificate: |
//	      -----BEGIN CERTIFICATE-----
//	      ...
//	persons:
//	  - {pid: "01017012345", name: Kari Nordmann}
type FileConfig struct {
	Clients []FileClient `json:"clients"`
	Persons []Person     `json:"persons"`
}

// FileClient is a client in a FileConfig. Keys are public JWKs.
type FileClient struct {
	ClientID  string             `json:"clientId"`
	OrgNumber string             `json:"orgNumber"`
	Name      string             `json:"name"`
	Scopes    []string           `json:"scopes"`
	JWKS      jose.JSONWebKeySet `json:"jwks"`
	// Certificate is an enterprise certificate (PEM, leaf first) registered
	// as a key; orgNumber may then be left out.
	Certificate string `json:"certificate"`
}

// LoadFileConfig reads a YAML or JSON seed file.
func LoadFileConfig(path string) (FileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return FileConfig{}, fmt.Errorf("simulator: config: %w", err)
	}
	return ParseFileConfig(b)
}

// ParseFileConfig parses YAML (JSON is YAML too). The YAML is converted to
// JSON first so JWKs are decoded by go-jose's own JSON rules.
func ParseFileConfig(b []byte) (FileConfig, error) {
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return FileConfig{}, fmt.Errorf("simulator: config: %w", err)
	}
	j, err := json.Marshal(doc)
	if err != nil {
		return FileConfig{}, fmt.Errorf("simulator: config: %w", err)
	}
	var fc FileConfig
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		return FileConfig{}, fmt.Errorf("simulator: config: %w", err)
	}
	return fc, nil
}

// Seed adds the file's clients and persons to the stores.
func (fc FileConfig) Seed(ctx context.Context, clients ClientStore, persons *MemoryPersonStore) error {
	for _, c := range fc.Clients {
		keys := c.JWKS.Keys
		if c.Certificate != "" {
			k, org, err := fileCertificateKey(c.Certificate, c.OrgNumber)
			if err != nil {
				return fmt.Errorf("simulator: seed client %q: %w", c.ClientID, err)
			}
			c.OrgNumber, keys = org, append(keys, k)
		}
		err := clients.Create(ctx, Client{ID: c.ClientID, OrgNumber: c.OrgNumber, Name: c.Name, Scopes: c.Scopes, Keys: keys})
		if err != nil {
			return fmt.Errorf("simulator: seed client %q: %w", c.ClientID, err)
		}
	}
	for _, p := range fc.Persons {
		if p.PID == "" {
			return fmt.Errorf("simulator: seed person %q: pid is required", p.Name)
		}
		persons.Put(p)
	}
	return nil
}
