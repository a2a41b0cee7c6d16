package simulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// TestCA is a certificate authority for enterprise test certificates, the
// simulator's stand-in for Buypass' and Commfides' test CAs. `dev` keeps one
// in its state directory and trusts only it for x5c grants.
type TestCA struct {
	Cert *x509.Certificate
	key  crypto.Signer
	// CertFile is the CA certificate's PEM file (empty for an in-memory CA).
	CertFile string
}

// Pool is a certificate pool holding only this CA.
func (ca *TestCA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// NewTestCA makes an in-memory CA valid from now for ten years.
func NewTestCA(now time.Time) (*TestCA, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("simulator: test CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Country: []string{"NO"}, Organization: []string{"Systemuser simulator"}, CommonName: "Systemuser simulator TEST enterprise CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("simulator: test CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("simulator: test CA: %w", err)
	}
	return &TestCA{Cert: cert, key: key}, nil
}

// LoadOrCreateTestCA reads test-ca.pem and test-ca.key.pem from dir, or
// creates them (the key 0600) when absent, so certificates issued by an
// earlier run stay valid.
func LoadOrCreateTestCA(dir string, now time.Time) (*TestCA, error) {
	certFile, keyFile := filepath.Join(dir, "test-ca.pem"), filepath.Join(dir, "test-ca.key.pem")
	certs, errC := ReadCertificates(certFile)
	key, errK := ReadPrivateKey(keyFile)
	switch {
	case errC == nil && errK == nil:
		if !now.Before(certs[0].NotAfter) {
			return nil, fmt.Errorf("simulator: test CA %s expired; delete it and its key to make a new one", certFile)
		}
		return &TestCA{Cert: certs[0], key: key, CertFile: certFile}, nil
	case errors.Is(errC, fs.ErrNotExist) && errors.Is(errK, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("simulator: test CA in %s: %w", dir, errors.Join(errC, errK))
	}
	ca, err := NewTestCA(now)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("simulator: test CA dir: %w", err)
	}
	if err := writePrivateKey(keyFile, ca.key); err != nil {
		return nil, err
	}
	if err := writeCertificates(certFile, ca.Cert); err != nil {
		return nil, err
	}
	ca.CertFile = certFile
	return ca, nil
}

// EnterpriseCertOptions describes an enterprise certificate to issue.
type EnterpriseCertOptions struct {
	OrgNumber string
	OrgName   string
	NotBefore time.Time
	NotAfter  time.Time
	KeyUsage  x509.KeyUsage // default digitalSignature
}

// Issue signs an enterprise certificate (SEID 2 shape: organizationIdentifier
// "NTRNO-<orgno>", also the SEID 1 serialNumber) for pub.
func (ca *TestCA) Issue(pub crypto.PublicKey, o EnterpriseCertOptions) (*x509.Certificate, error) {
	if o.KeyUsage == 0 {
		o.KeyUsage = x509.KeyUsageDigitalSignature
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject: pkix.Name{
			Country: []string{"NO"}, Organization: []string{o.OrgName}, CommonName: o.OrgName + " TEST",
			SerialNumber: o.OrgNumber,
			ExtraNames:   []pkix.AttributeTypeAndValue{{Type: oidOrganizationIdentifier, Value: "NTRNO-" + o.OrgNumber}},
		},
		NotBefore:   o.NotBefore,
		NotAfter:    o.NotAfter,
		KeyUsage:    o.KeyUsage,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.key)
	if err != nil {
		return nil, fmt.Errorf("simulator: issue certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// EnsureEnterpriseCert returns the files of an enterprise certificate for
// orgNo named base in dir: base.cert.pem (leaf, then the CA: an x5c chain)
// and base.cert.key.pem (PKCS #8, 0600). Existing files are kept while the
// certificate is this CA's, names orgNo and is valid for another day.
func (ca *TestCA) EnsureEnterpriseCert(dir, base, orgNo, orgName string, now time.Time) (certFile, keyFile string, err error) {
	certFile, keyFile = filepath.Join(dir, base+".cert.pem"), filepath.Join(dir, base+".cert.key.pem")
	if chain, err := ReadCertificates(certFile); err == nil {
		if _, kerr := ReadPrivateKey(keyFile); kerr == nil && len(chain) > 0 {
			org, cerr := CheckEnterpriseCertificate(chain, ca.Pool(), now.Add(24*time.Hour))
			if cerr == nil && org == orgNo {
				return certFile, keyFile, nil
			}
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", fmt.Errorf("simulator: certificate key: %w", err)
	}
	cert, err := ca.Issue(key.Public(), EnterpriseCertOptions{OrgNumber: orgNo, OrgName: orgName, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(2, 0, 0)})
	if err != nil {
		return "", "", err
	}
	if err := writePrivateKey(keyFile, key); err != nil {
		return "", "", err
	}
	if err := writeCertificates(certFile, cert, ca.Cert); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

func serial() *big.Int {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := sha256.Sum256(b[:])
	return new(big.Int).SetBytes(h[:16])
}

// ReadCertificates reads every CERTIFICATE block of a PEM file, in order.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCertificatesPEM(b)
}

// ParseCertificatesPEM parses every CERTIFICATE block, in order.
func ParseCertificatesPEM(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("simulator: certificate: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("simulator: no PEM certificate found")
	}
	return out, nil
}

// ReadPrivateKey reads a PKCS #8 ("PRIVATE KEY") or PKCS #1 ("RSA PRIVATE
// KEY") PEM file.
func ReadPrivateKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("simulator: %s: no PEM block", path)
	}
	var key any
	switch blk.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("simulator: %s: PEM block %q is not a private key", path, blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("simulator: %s: %w", path, err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("simulator: %s: unsupported key %T", path, key)
	}
	return s, nil
}

func writePrivateKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("simulator: encode key: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("simulator: write key: %w", err)
	}
	return nil
}

func writeCertificates(path string, certs ...*x509.Certificate) error {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("simulator: write certificate: %w", err)
	}
	return nil
}
