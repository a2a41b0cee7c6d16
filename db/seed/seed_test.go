package seed_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/db/seed"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestDemoNamesEveryTenant: every member of Demo is set by the demo world's
// markers, the key files exist, and loading twice changes nothing.
func TestDemoNamesEveryTenant(t *testing.T) {
	t.Parallel()
	bdb := dbtest.New(t)
	keys := filepath.Join(t.TempDir(), "keys")
	d, err := seed.Load(t.Context(), bdb, keys)
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(*d)
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String && f.String() == "" {
			t.Errorf("Demo.%s is empty", v.Type().Field(i).Name)
		}
	}
	for _, f := range []string{d.ClientKeyFile, d.OtherVendorKeyFile, d.LookupKeyFile, d.ServiceOwnerKeyFile} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("key file: %v", err)
		}
	}
	if d.OtherVendorOrgNumber == d.VendorOrgNumber || d.OtherCustomerOrgNumber == d.CustomerOrgNumber || d.OtherAdminPID == d.AdminPID {
		t.Errorf("the other tenants are the same as the first: %+v", d)
	}
	// The other administrator administers the other customer and not the first.
	var roles []string
	if err := bdb.NewRaw("SELECT org_number FROM person_roles WHERE pid = ?", d.OtherAdminPID).Scan(t.Context(), &roles); err != nil ||
		len(roles) != 1 || roles[0] != d.OtherCustomerOrgNumber {
		t.Errorf("otherAdmin's organisations: %v, %v", roles, err)
	}
	again, err := seed.Load(t.Context(), bdb, keys)
	if err != nil || !reflect.DeepEqual(again, d) {
		t.Errorf("second load: %+v, %v", again, err)
	}
}

func TestParseWorld(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		ok        bool
	}{
		{"OKYAML", "organizations: [{orgNumber: \"914785235\", name: X}]", true},
		{"OKJSON", `{"persons": [{"pid": "01017012345", "name": "X", "roles": [{"org": "914785235", "role": "DAGL"}]}]}`, true},
		{"OKPublicKey", `maskinportenClients: [{clientId: c, org: "914785235", name: c, jwks: {keys: [{kty: EC, crv: P-256, kid: k1,
  x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}}]`, true},
		{"ErrUnknownMember", "organisations: []", false},
		{"ErrPrivateKey", `maskinportenClients: [{clientId: c, org: "1", name: c, jwks: {keys: [{kty: oct, kid: k, k: AAAA}]}}]`, false},
		{"ErrKeyWithoutKid", `maskinportenClients: [{clientId: c, org: "1", name: c, jwks: {keys: [{kty: EC, crv: P-256,
  x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}}]`, false},
		{"ErrNotYAML", "organizations: [", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := seed.ParseWorld([]byte(tt.doc))
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, seed.ErrInvalidWorld)) {
				t.Fatalf("err = %v, want ok=%v (errors are ErrInvalidWorld)", err, tt.ok)
			}
		})
	}
}
