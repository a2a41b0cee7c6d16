package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db/seed"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// devCerts are the enterprise test certificates `dev` issues for the demo
// clients, so x5c grants ("virksomhetssertifikat") can be tried at once.
type devCerts struct {
	TestCAFile              string
	ClientCertFile          string
	ClientCertKeyFile       string
	ServiceOwnerCertFile    string
	ServiceOwnerCertKeyFile string
}

// issueDevCerts keeps a test CA in keyDir (next to the demo clients' JWKs)
// and an enterprise certificate for the demo vendor and service owner
// clients' organisations, each with its own key as a real
// virksomhetssertifikat has.
func issueDevCerts(ctx context.Context, bdb *bun.DB, keyDir string, d *seed.Demo) (devCerts, error) {
	now := time.Now()
	ca, err := simulator.LoadOrCreateTestCA(keyDir, now)
	if err != nil {
		return devCerts{}, err
	}
	out := devCerts{TestCAFile: ca.CertFile}
	for _, c := range []struct {
		clientID  string
		cert, key *string
	}{
		{d.ClientID, &out.ClientCertFile, &out.ClientCertKeyFile},
		{d.ServiceOwnerClientID, &out.ServiceOwnerCertFile, &out.ServiceOwnerCertKeyFile},
	} {
		if c.clientID == "" {
			continue
		}
		var org struct {
			OrgNumber string `bun:"org_number"`
			Name      string `bun:"name"`
		}
		if err := bdb.NewRaw(`SELECT o.org_number, o.name FROM maskinporten_clients mc
			JOIN organizations o ON o.org_number = mc.org_number WHERE mc.client_id = ?`, c.clientID).Scan(ctx, &org); err != nil {
			return devCerts{}, fmt.Errorf("dev certificates: organisation of %s: %w", c.clientID, err)
		}
		if *c.cert, *c.key, err = ca.EnsureEnterpriseCert(keyDir, c.clientID, org.OrgNumber, org.Name, now); err != nil {
			return devCerts{}, err
		}
	}
	return out, nil
}

// trustedCAPool reads the comma-separated PEM files the simulator trusts
// for enterprise certificates; none gives nil, which trusts nothing.
func trustedCAPool(files string) (*x509.CertPool, error) {
	var pool *x509.CertPool
	for f := range strings.SplitSeq(files, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("trusted CA: %w", err)
		}
		certs, err := simulator.ParseCertificatesPEM(b)
		if err != nil {
			return nil, fmt.Errorf("trusted CA %s: %w", f, err)
		}
		if pool == nil {
			pool = x509.NewCertPool()
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
	}
	return pool, nil
}
