package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// TestDevAddr: dev keeps its listeners on loopback unless told otherwise;
// an address that names its host is taken as given.
func TestDevAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr      string
		listenAll bool
		want      string
	}{
		{":8080", false, "127.0.0.1:8080"},
		{"0.0.0.0:8080", false, "0.0.0.0:8080"},
		{"[::]:8080", false, "[::]:8080"},
		{"127.0.0.1:0", false, "127.0.0.1:0"},
		{":8080", true, ":8080"},
		{"localhost:8090", true, "localhost:8090"},
	} {
		if got := devAddr(tc.addr, tc.listenAll); got != tc.want {
			t.Errorf("devAddr(%q, %v) = %q, want %q", tc.addr, tc.listenAll, got, tc.want)
		}
	}
}

// TestDevDefaultsToLoopback: without flags, dev's defaults bind loopback.
func TestDevDefaultsToLoopback(t *testing.T) {
	for _, k := range []string{"SYSTEMUSER_GATEWAY_ADDR", "SYSTEMUSER_SIMULATOR_ADDR", "SYSTEMUSER_LISTEN_ALL"} {
		t.Setenv(k, "") // restored after the test
		os.Unsetenv(k)
	}
	c, err := parseDevFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.GatewayAddr != "127.0.0.1:8080" || c.SimulatorAddr != "127.0.0.1:8090" {
		t.Fatalf("dev binds gateway %q, simulator %q; want loopback", c.GatewayAddr, c.SimulatorAddr)
	}
	t.Setenv("SYSTEMUSER_LISTEN_ALL", "true")
	c, err = parseDevFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.GatewayAddr != ":8080" || c.SimulatorAddr != ":8090" {
		t.Fatalf("with SYSTEMUSER_LISTEN_ALL dev binds gateway %q, simulator %q; want all interfaces", c.GatewayAddr, c.SimulatorAddr)
	}
	c, err = parseDevFlags([]string{"--listen-all=false"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.GatewayAddr != "127.0.0.1:8080" {
		t.Fatalf("--listen-all=false binds %q", c.GatewayAddr)
	}
}

// TestGatewayRefusesWithoutIssuers: a gateway with no trusted issuer would
// have trusted whatever listens on localhost:8090; it must refuse to start
// (before touching the database) unless told to trust the local simulator.
func TestGatewayRefusesWithoutIssuers(t *testing.T) {
	t.Setenv("SYSTEMUSER_TRUSTED_ISSUERS", "")
	t.Setenv("SYSTEMUSER_TRUST_LOCAL_SIMULATOR", "")
	// Unset, not empty: an empty boolean is a malformed value.
	_ = os.Unsetenv("SYSTEMUSER_TRUSTED_ISSUERS")
	_ = os.Unsetenv("SYSTEMUSER_TRUST_LOCAL_SIMULATOR")
	err := run(context.Background(), []string{"gateway", "--database-url", "postgres://nobody@127.0.0.1:1/none"}, io.Discard, io.Discard)
	if !errors.Is(err, errNoTrustedIssuers) {
		t.Fatalf("gateway without issuers: %v, want errNoTrustedIssuers", err)
	}
	if _, err := trustedIssuers(Config{Issuer: "http://localhost:8090/", SimulatorURL: "http://localhost:8090"}); !errors.Is(err, errNoTrustedIssuers) {
		t.Fatalf("trustedIssuers without issuers: %v", err)
	}
	got, err := trustedIssuers(Config{Issuer: "http://localhost:8090/", SimulatorURL: "http://localhost:8090", TrustLocalSimulator: true})
	if err != nil || len(got) != 1 || got[0].Issuer != "http://localhost:8090/" || got[0].JWKSURL != "http://localhost:8090/jwk" {
		t.Fatalf("trust-local-simulator: %+v, %v", got, err)
	}
	got, err = trustedIssuers(Config{TrustedIssuers: "https://maskinporten.no/=https://maskinporten.no/jwk"})
	if err != nil || len(got) != 1 || !strings.HasPrefix(got[0].JWKSURL, "https://maskinporten.no/") {
		t.Fatalf("explicit issuers: %+v, %v", got, err)
	}
}
