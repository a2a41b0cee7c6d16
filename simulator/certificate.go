package simulator

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// A client may be registered with its enterprise certificate instead of a
// bare key (Digdir: "kid ... by clients having a pre-registered certificate
// / asymmetric key"). The certificate becomes one of the client's keys, its
// JWK carrying the chain as x5c, with the key's thumbprint as kid; the
// client's organisation is the one the certificate names. Grants with an
// x5c header need no registration: they are checked against the trusted CAs
// and the client's organisation (x5c.go).

// certificateKey parses a PEM chain, checks it against the trusted CAs and
// returns it as a public JWK and the organisation it names.
func (s *Server) certificateKey(pemChain string) (jose.JSONWebKey, string, error) {
	chain, err := ParseCertificatesPEM([]byte(pemChain))
	if err != nil {
		return jose.JSONWebKey{}, "", fmt.Errorf("certificate: %w", err)
	}
	org, err := CheckEnterpriseCertificate(chain, s.cfg.TrustedCAs, s.cfg.Now())
	if err != nil {
		return jose.JSONWebKey{}, "", fmt.Errorf("certificate: %w", err)
	}
	k, err := certificateJWK(chain)
	return k, org, err
}

// certificateJWK is chain's leaf key as a public JWK carrying the chain
// (x5c), its kid the key's RFC 7638 thumbprint.
func certificateJWK(chain []*x509.Certificate) (jose.JSONWebKey, error) {
	k := jose.JSONWebKey{Key: chain[0].PublicKey, Certificates: chain, Use: "sig"}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("certificate: %w", err)
	}
	k.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return k, nil
}

// fileCertificateKey is certificateKey for the standalone simulator's
// config file: the operator's own file, so the chain is not checked against
// the trusted CAs here (grants by x5c still are), but the organisation is
// still taken from, or checked against, the certificate.
func fileCertificateKey(pemChain, orgNo string) (jose.JSONWebKey, string, error) {
	chain, err := ParseCertificatesPEM([]byte(pemChain))
	if err != nil {
		return jose.JSONWebKey{}, "", fmt.Errorf("certificate: %w", err)
	}
	org, ok := CertificateOrgNumber(chain[0])
	if !ok {
		return jose.JSONWebKey{}, "", fmt.Errorf("certificate: %w", ErrCertNoOrg)
	}
	if orgNo != "" && orgNo != org {
		return jose.JSONWebKey{}, "", fmt.Errorf("%w: the certificate names organisation %s, not %s", ErrInvalidClient, org, orgNo)
	}
	k, err := certificateJWK(chain)
	return k, org, err
}
