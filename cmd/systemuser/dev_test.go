package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/simulator/tokencli"
	"github.com/systemuser-gateway/systemuser/testclient"
)

// syncBuffer is a bytes.Buffer safe for the command's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestDevCommand runs `systemuser dev --world FILE` twice on one state dir:
// it starts its own PostgreSQL, loads the demo world and the file's, writes
// demo.json, answers, stops PostgreSQL on shutdown, and reuses the data the
// second time.
func TestDevCommand(t *testing.T) {
	state, err := os.MkdirTemp("", "systemuser-dev-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(state) })
	// The embedded server runs as an unprivileged user when we are root.
	if err := os.Chmod(state, 0o755); err != nil {
		t.Fatal(err)
	}
	for run, wantCold := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		var stdout, stderr syncBuffer
		done := make(chan error, 1)
		go func() {
			done <- run1(ctx, state, &stdout, &stderr)
		}()
		demoFile := filepath.Join(state, "demo.json")
		demo := waitForDemo(t, demoFile, done, &stderr)
		hc := testclient.New(t)
		// dev lets a browser dev server on any localhost port call the gateway.
		pre, _ := http.NewRequest(http.MethodOptions, demo["gatewayUrl"]+"/graphql", nil)
		pre.Header.Set("Origin", "http://localhost:5173")
		pre.Header.Set("Access-Control-Request-Method", "POST")
		if resp, err := hc.Do(pre); err != nil || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
			t.Fatalf("run %d: CORS preflight from a localhost dev server: %v %v", run, err, resp)
		} else {
			resp.Body.Close()
		}
		if !strings.HasPrefix(demo["databaseUrl"], "postgres://") || demo["otherVendorClientId"] == "" || demo["lookupClientId"] == "" {
			t.Fatalf("run %d: demo.json lacks the database URL or the demo tenants: %v", run, demo)
		}
		resp, err := hc.Post(demo["gatewayUrl"]+"/graphql", "application/json",
			strings.NewReader(`{"query":"{ systems(first: 10) { totalCount edges { node { systemId vendor { orgNumber } } } } }"}`))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Data struct {
				Systems struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							SystemID string
							Vendor   struct{ OrgNumber string }
						}
					}
				}
			}
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		// The visible systems: the demo's and the world file's.
		found := map[string]string{}
		for _, e := range out.Data.Systems.Edges {
			found[e.Node.SystemID] = e.Node.Vendor.OrgNumber
		}
		if out.Data.Systems.TotalCount != 2 || found[demo["systemId"]] != demo["vendorOrgNumber"] || found["931138499_eget"] != "931138499" {
			t.Fatalf("run %d: systems = %+v, want the demo's and the world's visible systems", run, out)
		}
		// --world loaded the team's own organisation next to the demo world.
		resp, err = hc.Post(demo["gatewayUrl"]+"/graphql", "application/json",
			strings.NewReader(`{"query":"{ organization(orgNumber: \"914785235\") { name } }"}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "Egen Kunde AS") {
			t.Fatalf("run %d: the world file's organisation: %s", run, body)
		}
		// The demo vendor's enterprise test certificate gets a token by x5c.
		var claims bytes.Buffer
		err = tokencli.RunTokenCommand(ctx, []string{"--client-id", demo["clientId"], "--x5c", "--cert", demo["clientCertFile"],
			"--key", demo["clientCertKeyFile"], "--scope", "altinn:authentication/systemregister.write",
			"--issuer", demo["simulatorUrl"], "--decode"}, &claims, &claims)
		if err != nil || !strings.Contains(claims.String(), `"client_amr": "virksomhetssertifikat"`) {
			t.Fatalf("run %d: x5c token: %v\n%s", run, err, claims.String())
		}
		if !strings.Contains(stdout.String(), "token --dev") {
			t.Fatalf("run %d: no how-to printed: %s", run, stdout.String())
		}
		if !strings.Contains(stderr.String(), "dev endpoints enabled") {
			t.Fatalf("run %d: no startup log line about the simulator's dev endpoints", run)
		}
		if got := strings.Contains(stderr.String(), "cold=true"); got != wantCold {
			t.Fatalf("run %d: cold start = %v, want %v", run, got, wantCold)
		}
		pid := postmasterPID(t, filepath.Join(state, "pgdata"))
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run %d: dev returned %v", run, err)
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Fatalf("run %d: postgres %d still running after shutdown (%v)", run, pid, err)
		}
		os.Remove(demoFile)
	}
}

func run1(ctx context.Context, state string, stdout, stderr *syncBuffer) error {
	world := filepath.Join(state, "world.yaml")
	if err := os.WriteFile(world, []byte(ownWorld), 0o600); err != nil {
		return err
	}
	return run(ctx, []string{"dev", "--database-url=", "--state-dir", state, "--world", world,
		"--gateway-addr", "127.0.0.1:0", "--simulator-addr", "127.0.0.1:0"}, stdout, stderr)
}

func waitForDemo(t *testing.T, path string, done <-chan error, stderr *syncBuffer) map[string]string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("dev exited early: %v\n%s", err, stderr.String())
		default:
		}
		if raw, err := os.ReadFile(path); err == nil {
			var demo map[string]string
			if json.Unmarshal(raw, &demo) == nil {
				return demo
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no demo.json after 60 s\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
