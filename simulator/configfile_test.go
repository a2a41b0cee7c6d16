package simulator

import (
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestParseFileConfig(t *testing.T) {
	t.Parallel()
	pub, _ := json.Marshal(testKeys()[0].Public())
	yamlDoc := "clients:\n  - clientId: demo\n    orgNumber: \"991825827\"\n    name: Demo\n    scopes: [a, b]\n    jwks: {keys: [" + string(pub) + "]}\npersons:\n  - {pid: \"01017012345\", name: Kari}\n"
	for _, tt := range []struct {
		name, doc string
		wantErr   bool
	}{
		{"OKYAML", yamlDoc, false},
		{"OKJSON", `{"clients":[{"clientId":"demo","orgNumber":"991825827","scopes":["a"],"jwks":{"keys":[` + string(pub) + `]}}],"persons":[{"pid":"01017012345","name":"Kari"}]}`, false},
		{"ErrUnknownField", "client: []\n", true},
		{"ErrNotYAML", "clients: [\n", true},
	} {
		fc, err := ParseFileConfig([]byte(tt.doc))
		if (err != nil) != tt.wantErr {
			t.Fatalf("%s: err %v", tt.name, err)
		}
		if tt.wantErr {
			continue
		}
		clients, persons := NewMemoryClientStore(), NewMemoryPersonStore()
		if err := fc.Seed(t.Context(), clients, persons); err != nil {
			t.Fatalf("%s: seed: %v", tt.name, err)
		}
		c, err := clients.Get(t.Context(), "demo")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Key(testKeys()[0].KeyID); !ok || c.OrgNumber != "991825827" {
			t.Errorf("%s: client %+v", tt.name, c)
		}
		if p, err := persons.Get(t.Context(), "01017012345"); err != nil || p.Name != "Kari" {
			t.Errorf("%s: person %+v %v", tt.name, p, err)
		}
	}
}

func TestClientStoreStripsPrivateKeys(t *testing.T) {
	t.Parallel()
	s := NewMemoryClientStore()
	if err := s.Create(t.Context(), Client{ID: "c", OrgNumber: "991825827", Keys: []jose.JSONWebKey{testKeys()[0]}}); err != nil {
		t.Fatal(err)
	}
	c, _ := s.Get(t.Context(), "c")
	if !c.Keys[0].IsPublic() {
		t.Fatal("store kept a private key")
	}
}

func TestFileConfigCertificateClient(t *testing.T) {
	t.Parallel()
	now := newClock().Now()
	leaf := mustIssue(t, testCAs()[0], EnterpriseCertOptions{OrgNumber: testVendor, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)})
	pemCert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}))
	indent := "      " + strings.ReplaceAll(strings.TrimSpace(pemCert), "\n", "\n      ")
	for _, tt := range []struct {
		name, org string
		wantErr   bool
	}{
		{"OKOrgFromCertificate", "", false},
		{"OKSameOrg", `    orgNumber: "` + testVendor + `"` + "\n", false},
		{"ErrOtherOrg", `    orgNumber: "` + testCustomer + `"` + "\n", true},
	} {
		doc := "clients:\n  - clientId: cert\n" + tt.org + "    scopes: [a]\n    certificate: |\n" + indent + "\n"
		fc, err := ParseFileConfig([]byte(doc))
		if err != nil {
			t.Fatalf("%s: parse: %v", tt.name, err)
		}
		clients := NewMemoryClientStore()
		err = fc.Seed(t.Context(), clients, NewMemoryPersonStore())
		if (err != nil) != tt.wantErr {
			t.Fatalf("%s: seed err %v", tt.name, err)
		}
		if tt.wantErr {
			continue
		}
		c, err := clients.Get(t.Context(), "cert")
		if err != nil || c.OrgNumber != testVendor || len(c.Keys) != 1 || len(c.Keys[0].Certificates) != 1 {
			t.Fatalf("%s: client %+v %v", tt.name, c, err)
		}
	}
}
