package simulator

import (
	"crypto"
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
	k := jose.JSONWebKey{Key: chain[0].PublicKey, Certificates: chain, Use: "sig"}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, "", fmt.Errorf("certificate: %w", err)
	}
	k.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return k, org, nil
}
