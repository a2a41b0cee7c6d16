package simulator

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Enterprise certificates ("virksomhetssertifikat", SEID profile): a grant
// may carry the client's certificate chain in its x5c header instead of a
// kid (ALTINN-REFERENCE §5.1). Maskinporten then authenticates the client by
// the certificate: the chain leads to a trusted CA (test and production CAs
// are different pools, "production certificates are not supported in test
// environments"), the certificate is valid now and may sign, it names the
// client's organisation, and its key signed the grant. Tokens issued so say
// client_amr "virksomhetssertifikat".

// ClientAMRCertificate is the client_amr of tokens granted by certificate.
const ClientAMRCertificate = "virksomhetssertifikat"

// oidOrganizationIdentifier is X.520 organizationIdentifier (2.5.4.97),
// where SEID 2 certificates put "NTRNO-<orgno>".
var oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}

var ntrNO = regexp.MustCompile(`^NTRNO-([0-9]{9})$`)

// CertificateOrgNumber is the organisation number an enterprise certificate
// names: organizationIdentifier "NTRNO-<orgno>" (SEID 2), else a 9-digit
// subject serialNumber (SEID 1). ok is false when it names none.
func CertificateOrgNumber(c *x509.Certificate) (orgNo string, ok bool) {
	for _, n := range c.Subject.Names {
		if !n.Type.Equal(oidOrganizationIdentifier) {
			continue
		}
		if s, _ := n.Value.(string); ntrNO.MatchString(s) {
			return s[len("NTRNO-"):], true
		}
	}
	if isOrgNumber(c.Subject.SerialNumber) {
		return c.Subject.SerialNumber, true
	}
	return "", false
}

// Reasons a certificate is refused; CheckEnterpriseCertificate wraps them.
var (
	ErrCertUntrusted = errors.New("simulator: certificate chain does not lead to a trusted CA")
	ErrCertExpired   = errors.New("simulator: certificate is expired or not yet valid")
	ErrCertInvalid   = errors.New("simulator: certificate is not an enterprise signing certificate")
	ErrCertNoOrg     = errors.New("simulator: certificate names no organisation number")
)

// CheckEnterpriseCertificate validates chain (leaf first, as in x5c) against
// roots at now and returns the organisation number the leaf names. roots nil
// trusts nothing (never the system pool: a web server certificate is no
// enterprise certificate).
func CheckEnterpriseCertificate(chain []*x509.Certificate, roots *x509.CertPool, now time.Time) (string, error) {
	if len(chain) == 0 {
		return "", fmt.Errorf("%w: empty chain", ErrCertInvalid)
	}
	if roots == nil {
		roots = x509.NewCertPool()
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	leaf := chain[0]
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return "", classifyChainError(err)
	}
	if leaf.IsCA {
		return "", fmt.Errorf("%w: the leaf is a CA certificate", ErrCertInvalid)
	}
	// Authentication certificates carry digitalSignature; Maskinporten also
	// takes the signing (non-repudiation) certificate of the same set.
	if leaf.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return "", fmt.Errorf("%w: key usage allows no signature", ErrCertInvalid)
	}
	if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
		return "", fmt.Errorf("%w: RSA key under 2048 bits", ErrCertInvalid)
	}
	org, ok := CertificateOrgNumber(leaf)
	if !ok {
		return "", ErrCertNoOrg
	}
	return org, nil
}

func classifyChainError(err error) error {
	if e, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		switch e.Reason {
		case x509.Expired:
			return fmt.Errorf("%w: %w", ErrCertExpired, err)
		case x509.IncompatibleUsage:
			return fmt.Errorf("%w: %w", ErrCertInvalid, err)
		}
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return fmt.Errorf("%w: %w", ErrCertUntrusted, err)
	}
	return fmt.Errorf("%w: %w", ErrCertUntrusted, err)
}

// x5cKey authenticates client by the certificate chain of an assertion's
// x5c header and returns the key the assertion must be signed with.
func (v *assertionVerifier) x5cKey(hdr jose.Header, client Client, now time.Time) (any, *OAuthError) {
	// go-jose parsed x5c at ParseSigned; Certificates only hands the chain
	// back after verifying it, so it gets our roots, never the system pool.
	roots := v.roots
	if roots == nil {
		roots = x509.NewCertPool()
	}
	chains, err := hdr.Certificates(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return nil, certOAuthError(classifyChainError(err))
	}
	org, err := CheckEnterpriseCertificate(chains[0], roots, now)
	if err != nil {
		return nil, certOAuthError(err)
	}
	if org != client.OrgNumber {
		return nil, ErrCertWrongOrg
	}
	return chains[0][0].PublicKey, nil
}

func certOAuthError(err error) *OAuthError {
	switch {
	case errors.Is(err, ErrCertExpired):
		return ErrCertificateExpired
	case errors.Is(err, ErrCertInvalid), errors.Is(err, ErrCertNoOrg):
		return ErrCertificateInvalid
	default:
		return ErrCertificateUntrusted
	}
}

// Certificate rejections. Digdir groups them under client authentication;
// the reason header tells them apart.
var (
	ErrCertificateUntrusted = grantErr("x5c_untrusted", descClientAuthFailed)
	ErrCertificateExpired   = grantErr("x5c_expired", descClientAuthFailed)
	ErrCertificateInvalid   = grantErr("x5c_invalid", descClientAuthFailed)
	ErrCertWrongOrg         = grantErr("x5c_wrong_org", descClientAuthFailed)
)
