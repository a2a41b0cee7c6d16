package tokencli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/simulator"
	"github.com/systemuser-gateway/systemuser/simulator/mpclient"
	"github.com/systemuser-gateway/systemuser/simulator/tokencli"
	"github.com/systemuser-gateway/systemuser/testclient"
)

type sim struct {
	issuer, keyFile      string
	certFile, certKeyPEM string // enterprise certificate of the client's org
}

// startSimulator serves a real simulator on loopback whose issuer is its own
// URL, trusting a test CA that issued the client's organisation a certificate.
func startSimulator(t *testing.T) (issuer, keyFile string) {
	s := startSim(t)
	return s.issuer, s.keyFile
}

func startSim(t *testing.T) sim {
	t.Helper()
	ca, err := simulator.NewTestCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, certKeyFile, err := ca.EnsureEnterpriseCert(t.TempDir(), "cli", "991825827", "Vendor AS", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String() + "/"
	keys, err := simulator.NewKeySet(simulator.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clientKey, err := simulator.GenerateKey(jose.RS256, nil)
	if err != nil {
		t.Fatal(err)
	}
	clients := simulator.NewMemoryClientStore()
	if err := clients.Create(t.Context(), simulator.Client{ID: "cli", OrgNumber: "991825827", Scopes: []string{"s1", "s2"}, Keys: []jose.JSONWebKey{clientKey}}); err != nil {
		t.Fatal(err)
	}
	srv, err := simulator.NewServer(simulator.Config{
		Issuer: issuer, Keys: keys, Clients: clients, TrustedCAs: ca.Pool(), DevEndpoints: true,
		Persons: simulator.NewMemoryPersonStore(simulator.Person{PID: "01017012345", Name: "Kari Nordmann"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	b, _ := json.Marshal(clientKey)
	keyFile := filepath.Join(t.TempDir(), "client.jwk")
	if err := os.WriteFile(keyFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return sim{issuer: issuer, keyFile: keyFile, certFile: certFile, certKeyPEM: certKeyFile}
}

func TestRunTokenCommand(t *testing.T) {
	t.Parallel()
	sm := startSim(t)
	issuer, keyFile := sm.issuer, sm.keyFile
	base := []string{"--client-id", "cli", "--key", keyFile, "--scope", "s1 s2", "--issuer", issuer}
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, out string)
		wantErr string
	}{
		{"OKTokenOnly", base, func(t *testing.T, out string) {
			if strings.Count(strings.TrimSpace(out), ".") != 2 || strings.Contains(out, "{") {
				t.Errorf("want a bare JWT, got %q", out)
			}
		}, ""},
		{"OKJSON", append(slices.Clone(base), "--json"), func(t *testing.T, out string) {
			var tr mpclient.TokenResponse
			if err := json.Unmarshal([]byte(out), &tr); err != nil || tr.TokenType != "Bearer" || tr.Scope != "s1 s2" {
				t.Errorf("response %q: %v", out, err)
			}
		}, ""},
		{"OKDecode", append(slices.Clone(base), "--decode", "--resource", "https://api.test/"), func(t *testing.T, out string) {
			var c map[string]any
			if err := json.Unmarshal([]byte(out), &c); err != nil || c["client_id"] != "cli" || c["aud"] != "https://api.test/" || c["iss"] != issuer {
				t.Errorf("claims %q: %v", out, err)
			}
		}, ""},
		{"OKPerson", []string{"person", "--pid", "01017012345", "--issuer", issuer, "--decode"}, func(t *testing.T, out string) {
			if !strings.Contains(out, `"pid": "01017012345"`) {
				t.Errorf("claims %q", out)
			}
		}, ""},
		{"OKX5C", []string{"--client-id", "cli", "--x5c", "--cert", sm.certFile, "--key", sm.certKeyPEM, "--scope", "s1", "--issuer", issuer, "--decode"}, func(t *testing.T, out string) {
			var c map[string]any
			if err := json.Unmarshal([]byte(out), &c); err != nil || c["client_amr"] != "virksomhetssertifikat" || c["client_id"] != "cli" {
				t.Errorf("claims %q: %v", out, err)
			}
		}, ""},
		{"ErrX5CWithoutCert", []string{"--client-id", "cli", "--x5c", "--key", sm.certKeyPEM, "--scope", "s1", "--issuer", issuer}, nil, "--cert"},
		{"ErrX5CCertKeyByKid", []string{"--client-id", "cli", "--key", sm.certKeyPEM, "--scope", "s1", "--issuer", issuer}, nil, "kid"},
		{"ErrScope", []string{"--client-id", "cli", "--key", keyFile, "--scope", "s3", "--issuer", issuer}, nil, "invalid_scope"},
		{"ErrSystemUserNoGateway", append(slices.Clone(base), "--systemuser-org", "313775429"), nil, "temporarily_unavailable"},
		{"ErrMissingFlags", []string{"--client-id", "cli"}, nil, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			err := tokencli.RunTokenCommand(t.Context(), tt.args, &out, &errOut)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err %v; stderr %s", err, errOut.String())
			}
			tt.check(t, out.String())
		})
	}
}

func TestExchangeErrorIsTyped(t *testing.T) {
	t.Parallel()
	issuer, _ := startSimulator(t)
	_, err := mpclient.Exchange(t.Context(), testclient.New(t), mpclient.TokenEndpoint(issuer), "garbage")
	var mpErr *mpclient.Error
	if !errors.As(err, &mpErr) || mpErr.StatusCode != http.StatusBadRequest || mpErr.Code != "invalid_request" || mpErr.Description != "Invalid assertion. Invalid parameter value" {
		t.Fatalf("err %#v", err)
	}
}

// TestDevHonoursStateDir: --dev reads demo.json from the dev command's state
// directory: SYSTEMUSER_STATE_DIR, or --state-dir over it.
func TestDevHonoursStateDir(t *testing.T) {
	issuer, keyFile := startSimulator(t)
	state := t.TempDir()
	demo, _ := json.Marshal(map[string]string{"simulatorUrl": issuer, "clientId": "cli", "clientKeyFile": keyFile, "adminPid": "01017012345"})
	if err := os.WriteFile(filepath.Join(state, "demo.json"), demo, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SYSTEMUSER_STATE_DIR", state)
	tests := []struct {
		name, want string
		args       []string
	}{
		{"OKEnv", `"client_id": "cli"`, []string{"--dev", "--scope", "s1", "--decode"}},
		{"OKFlag", `"client_id": "cli"`, []string{"--dev", "--state-dir", state, "--scope", "s1", "--decode"}},
		{"OKPerson", `"pid": "01017012345"`, []string{"person", "--dev", "--decode"}},
		{"ErrFlagOverEnv", "", []string{"--dev", "--state-dir", t.TempDir(), "--scope", "s1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := tokencli.RunTokenCommand(t.Context(), tt.args, &out, &errOut)
			if tt.want == "" {
				if !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("err %v, want no demo.json in the flag's directory", err)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), tt.want) {
				t.Fatalf("err %v, out %s; want %s", err, out.String(), tt.want)
			}
		})
	}
}
