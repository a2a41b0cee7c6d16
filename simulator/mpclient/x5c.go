package mpclient

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/go-jose/go-jose/v4"
)

// LoadCertChain reads an enterprise certificate chain (PEM, leaf first) for
// Assertion.CertChain.
func LoadCertChain(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mpclient: %w", err)
	}
	var chain []*x509.Certificate
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("mpclient: certificate in %s: %w", path, err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("mpclient: no PEM certificate in %s", path)
	}
	return chain, nil
}

// parsePEMKey reads a PKCS #8 or PKCS #1 private key as a JWK (no kid: a
// certificate's key is named by the certificate).
func parsePEMKey(b []byte) (jose.JSONWebKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return jose.JSONWebKey{}, errors.New("no PEM block")
	}
	var key any
	var err error
	switch blk.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	default:
		return jose.JSONWebKey{}, fmt.Errorf("PEM block %q is not a private key", blk.Type)
	}
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	if _, ok := key.(crypto.Signer); !ok {
		return jose.JSONWebKey{}, fmt.Errorf("unsupported key %T", key)
	}
	return jose.JSONWebKey{Key: key, Algorithm: string(jose.RS256), Use: "sig"}, nil
}

func isPEM(b []byte) bool { return bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN")) }
