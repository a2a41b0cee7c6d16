package simulator

import (
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// testCAs are a trusted and an untrusted test CA (key generation is slow).
var testCAs = sync.OnceValue(func() [2]*TestCA {
	var out [2]*TestCA
	for i := range out {
		ca, err := NewTestCA(newClock().Now().AddDate(-1, 0, 0))
		if err != nil {
			panic(err)
		}
		out[i] = ca
	}
	return out
})

// certKey is the enterprise certificate's key: not a key registered on the
// client, as a virksomhetssertifikat is not.
func certKey() *rsa.PrivateKey { return testKeys()[2].Key.(*rsa.PrivateKey) }

func mustIssue(t testing.TB, ca *TestCA, o EnterpriseCertOptions) *x509.Certificate {
	t.Helper()
	if o.OrgName == "" {
		o.OrgName = "Vendor AS"
	}
	c, err := ca.Issue(certKey().Public(), o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// x5cHeader is the x5c member as Nimbus and jose write it: standard base64
// (not base64url) DER, leaf first.
func x5cHeader(chain []*x509.Certificate) string {
	parts := make([]string, len(chain))
	for i, c := range chain {
		parts[i] = `"` + base64.StdEncoding.EncodeToString(c.Raw) + `"`
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func TestTokenX5C(t *testing.T) {
	t.Parallel()
	trusted, untrusted := testCAs()[0], testCAs()[1]
	now := newClock().Now()
	valid := EnterpriseCertOptions{OrgNumber: testVendor, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)}
	with := func(edit func(*EnterpriseCertOptions)) EnterpriseCertOptions { o := valid; edit(&o); return o }
	tests := []struct {
		name    string
		chain   func(t *testing.T) []*x509.Certificate
		signer  *rsa.PrivateKey
		noRoots bool
		kid     string // beside x5c
		want    *OAuthError
	}{
		{"OK", func(t *testing.T) []*x509.Certificate {
			return []*x509.Certificate{mustIssue(t, trusted, valid), trusted.Cert}
		}, nil, false, "", nil},
		{"OKLeafOnly", func(t *testing.T) []*x509.Certificate { return []*x509.Certificate{mustIssue(t, trusted, valid)} }, nil, false, "", nil},
		{"OKWithUnknownKid", func(t *testing.T) []*x509.Certificate { return []*x509.Certificate{mustIssue(t, trusted, valid)} }, nil, false, "not-registered", nil},
		{"OKSigningCertificate", func(t *testing.T) []*x509.Certificate {
			return []*x509.Certificate{mustIssue(t, trusted, with(func(o *EnterpriseCertOptions) { o.KeyUsage = x509.KeyUsageContentCommitment }))}
		}, nil, false, "", nil},
		{"ErrUntrustedCA", func(t *testing.T) []*x509.Certificate {
			return []*x509.Certificate{mustIssue(t, untrusted, valid), untrusted.Cert}
		}, nil, false, "", ErrCertificateUntrusted},
		{"ErrNoTrustedCAs", func(t *testing.T) []*x509.Certificate {
			return []*x509.Certificate{mustIssue(t, trusted, valid), trusted.Cert}
		}, nil, true, "", ErrCertificateUntrusted},
		{"ErrExpired", func(t *testing.T) []*x509.Certificate {
			return []*x509.Certificate{mustIssue(t, trusted, with(func(o *EnterpriseCertOptions) { o.NotAfter = now.Add(-time.Minute) }))}
		}, nil, false, "", ErrCertificateExpired},
		{"ErrNotYetValid", func(t *testing.T) []*x509.Certificate {
			return []*x509.Certificate{mustIssue(t, trusted, with(func(o *EnterpriseCertOptions) { o.NotBefore = now.Add(time.Hour) }))}
		}, nil, false, "", ErrCertificateExpired},
		{"ErrOtherOrg", func(t *testing.T) []*x509.Certificate {
			return []*x509.Certificate{mustIssue(t, trusted, with(func(o *EnterpriseCertOptions) { o.OrgNumber = testCustomer }))}
		}, nil, false, "", ErrCertWrongOrg},
		{"ErrKeyUsage", func(t *testing.T) []*x509.Certificate {
			return []*x509.Certificate{mustIssue(t, trusted, with(func(o *EnterpriseCertOptions) { o.KeyUsage = x509.KeyUsageKeyEncipherment }))}
		}, nil, false, "", ErrCertificateInvalid},
		{"ErrCACertAsLeaf", func(t *testing.T) []*x509.Certificate { return []*x509.Certificate{trusted.Cert} }, nil, false, "", ErrCertificateInvalid},
		{"ErrNotSignedByLeaf", func(t *testing.T) []*x509.Certificate { return []*x509.Certificate{mustIssue(t, trusted, valid)} }, testKeys()[1].Key.(*rsa.PrivateKey), false, "", ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *Config) {
				if !tt.noRoots {
					c.TrustedCAs = trusted.Pool()
				}
			})
			signer := tt.signer
			if signer == nil {
				signer = certKey()
			}
			kid := ""
			if tt.kid != "" {
				kid = fmt.Sprintf(`"kid":%q,`, tt.kid)
			}
			// Nimbus' shape: x5c and alg, no jti, exp = iat + 120.
			header := `{` + kid + `"x5c":` + x5cHeader(tt.chain(t)) + `,"alg":"RS256"}`
			iat := e.clock.Now().Unix()
			payload := fmt.Sprintf(`{"aud":%q,"scope":%q,"iss":%q,"exp":%d,"iat":%d}`, DefaultIssuer, testScope, testClientID, iat+120, iat)
			r := e.exchange(t, signRS256(t, signer, header, payload))
			if tt.want != nil {
				if r.status != tt.want.Status || r.body["error"] != tt.want.Code || r.body["error_description"] != tt.want.Description || r.header.Get(ReasonHeader) != tt.want.ID {
					t.Fatalf("got %d %v %s, want %s", r.status, r.body, r.header.Get(ReasonHeader), tt.want.ID)
				}
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("status %d %v %s", r.status, r.body, r.header.Get(ReasonHeader))
			}
			var c MaskinportenClaims
			claimsOf(t, e, r.body["access_token"].(string), &c)
			if c.ClientAMR != ClientAMRCertificate || c.ClientID != testClientID || c.Consumer.OrgNumber() != testVendor {
				t.Errorf("claims client_amr=%q client_id=%q consumer=%v", c.ClientAMR, c.ClientID, c.Consumer)
			}
		})
	}
}

func TestCertificateOrgNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		subject pkix.Name
		want    string
	}{
		{"SEID2", pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidOrganizationIdentifier, Value: "NTRNO-991825827"}}}, "991825827"},
		{"SEID2Wins", pkix.Name{SerialNumber: "313775429", ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidOrganizationIdentifier, Value: "NTRNO-991825827"}}}, "991825827"},
		{"SEID1", pkix.Name{SerialNumber: "991825827"}, "991825827"},
		{"ErrOtherRegistry", pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidOrganizationIdentifier, Value: "VATSE-5560000000"}}}, ""},
		{"ErrNone", pkix.Name{CommonName: "x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Through DER and back: the attribute must survive parsing.
			ca := testCAs()[0]
			now := newClock().Now()
			tmpl := &x509.Certificate{SerialNumber: serial(), Subject: tt.subject, NotBefore: now, NotAfter: now.Add(time.Hour)}
			der, err := x509.CreateCertificate(nil, tmpl, ca.Cert, certKey().Public(), ca.key)
			if err != nil {
				t.Fatal(err)
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := CertificateOrgNumber(c)
			if got != tt.want || ok != (tt.want != "") {
				t.Fatalf("got %q %v, want %q", got, ok, tt.want)
			}
		})
	}
}

func TestEnsureEnterpriseCert(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	ca, err := LoadOrCreateTestCA(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateTestCA(dir, now)
	if err != nil || !again.Cert.Equal(ca.Cert) {
		t.Fatalf("second load: %v, same CA %v", err, err == nil && again.Cert.Equal(ca.Cert))
	}
	certFile, keyFile, err := ca.EnsureEnterpriseCert(dir, "vendor", testVendor, "Vendor AS", now)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := ReadCertificates(certFile)
	if err != nil || len(chain) != 2 {
		t.Fatalf("chain %d certs, %v", len(chain), err)
	}
	if org, err := CheckEnterpriseCertificate(chain, ca.Pool(), now); err != nil || org != testVendor {
		t.Fatalf("check = %q, %v", org, err)
	}
	key, err := ReadPrivateKey(keyFile)
	if err != nil || !key.Public().(*rsa.PublicKey).Equal(chain[0].PublicKey) {
		t.Fatalf("key does not match certificate: %v", err)
	}
	// Kept while valid; replaced when asked for another organisation.
	if c2, _, _ := ca.EnsureEnterpriseCert(dir, "vendor", testVendor, "Vendor AS", now); c2 != certFile {
		t.Fatal("file name changed")
	}
	if again, _ := ReadCertificates(certFile); !again[0].Equal(chain[0]) {
		t.Fatal("valid certificate was reissued")
	}
	if _, _, err := ca.EnsureEnterpriseCert(dir, "vendor", testCustomer, "Customer AS", now); err != nil {
		t.Fatal(err)
	}
	if again, _ := ReadCertificates(certFile); again[0].Equal(chain[0]) {
		t.Fatal("certificate for another organisation was not reissued")
	}
}

func TestAdminRegisterCertificate(t *testing.T) {
	t.Parallel()
	trusted, untrusted := testCAs()[0], testCAs()[1]
	now := newClock().Now()
	pemOf := func(certs ...*x509.Certificate) string {
		var b strings.Builder
		for _, c := range certs {
			b.WriteString("-----BEGIN CERTIFICATE-----\n" + base64.StdEncoding.EncodeToString(c.Raw) + "\n-----END CERTIFICATE-----\n")
		}
		return b.String()
	}
	leaf := mustIssue(t, trusted, EnterpriseCertOptions{OrgNumber: testVendor, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)})
	stranger := mustIssue(t, untrusted, EnterpriseCertOptions{OrgNumber: testVendor, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)})
	e := newEnv(t, func(c *Config) { c.AdminOpen = true; c.TrustedCAs = trusted.Pool() })
	for _, tt := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"ErrUntrusted", map[string]any{"clientId": "cert-x", "scopes": []string{testScope}, "certificate": pemOf(stranger, untrusted.Cert)}, http.StatusBadRequest},
		{"ErrOtherOrg", map[string]any{"clientId": "cert-y", "orgNumber": testCustomer, "scopes": []string{testScope}, "certificate": pemOf(leaf)}, http.StatusBadRequest},
		{"ErrNotPEM", map[string]any{"clientId": "cert-z", "scopes": []string{testScope}, "certificate": "MIIB"}, http.StatusBadRequest},
		{"OK", map[string]any{"clientId": "cert-client", "scopes": []string{testScope}, "certificate": pemOf(leaf, trusted.Cert)}, http.StatusCreated},
	} {
		status, body := adminDo(t, e, http.MethodPost, "/admin/clients", "", tt.body)
		if status != tt.want {
			t.Fatalf("%s: status %d %v, want %d", tt.name, status, body, tt.want)
		}
		if status == http.StatusCreated && body["orgNumber"] != testVendor {
			t.Fatalf("%s: orgNumber %v, want the certificate's %s", tt.name, body["orgNumber"], testVendor)
		}
	}
	c, err := e.srv.clients.Get(t.Context(), "cert-client")
	if err != nil || len(c.Keys) != 1 || len(c.Keys[0].Certificates) != 2 {
		t.Fatalf("stored client %+v, %v", c, err)
	}
	// The registered certificate's key signs by kid (private_key_jwt) ...
	iat := e.clock.Now().Unix()
	payload := fmt.Sprintf(`{"iss":"cert-client","aud":%q,"iat":%d,"exp":%d,"scope":%q}`, DefaultIssuer, iat, iat+120, testScope)
	r := e.exchange(t, signRS256(t, certKey(), fmt.Sprintf(`{"alg":"RS256","kid":%q}`, c.Keys[0].KeyID), payload))
	if r.status != http.StatusOK {
		t.Fatalf("kid grant: %d %v", r.status, r.body)
	}
	// ... and by x5c (virksomhetssertifikat).
	payload = strings.Replace(payload, `"scope"`, `"jti":"x5c","scope"`, 1)
	r = e.exchange(t, signRS256(t, certKey(), `{"alg":"RS256","x5c":`+x5cHeader([]*x509.Certificate{leaf})+`}`, payload))
	if r.status != http.StatusOK {
		t.Fatalf("x5c grant: %d %v", r.status, r.body)
	}
}
