package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/testclient"
)

// startSimulatorCmd runs `systemuser simulator --config` (no database) with
// extra args and returns its URL and log once it listens.
func startSimulatorCmd(t *testing.T, extra ...string) (string, *syncBuffer) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sim.yaml")
	if err := os.WriteFile(cfg, []byte("persons:\n  - {pid: \"01017012345\", name: Kari Nordmann}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	args := append([]string{"simulator", "--config", cfg, "--state-dir", dir, "--simulator-addr", "127.0.0.1:0"}, extra...)
	go func() { done <- run(ctx, args, &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulator: %v", err)
		}
	})
	re := regexp.MustCompile(`"simulator listening" url=(\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], &stderr
		}
		select {
		case err := <-done:
			t.Fatalf("simulator exited: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("simulator not listening after 20 s\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The simulator command serves /admin/* and /person-token only when asked,
// by flag or environment, and says so in its log.
func TestSimulatorCommandDevEndpoints(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  string
		want int
	}{
		{"OffByDefault", nil, "", http.StatusNotFound},
		{"Flag", []string{"--dev-endpoints"}, "", http.StatusOK},
		{"Env", nil, "true", http.StatusOK},
		{"AdminOpenImpliesThem", []string{"--admin-open"}, "", http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("SYSTEMUSER_DEV_ENDPOINTS", tt.env)
			}
			url, logs := startSimulatorCmd(t, tt.args...)
			for _, path := range []string{"/person-token", "/admin/clients"} {
				method, body := http.MethodPost, `{"pid":"01017012345"}`
				if path == "/admin/clients" {
					method, body = http.MethodGet, ""
				}
				req, err := http.NewRequest(method, url+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := testclient.New(t).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				want := tt.want
				if path == "/admin/clients" && want == http.StatusOK && tt.name != "AdminOpenImpliesThem" {
					want = http.StatusUnauthorized // on, but not open: an admin token is needed
				}
				if resp.StatusCode != want {
					t.Errorf("%s %s: status %d, want %d", method, path, resp.StatusCode, want)
				}
			}
			if got := strings.Contains(logs.String(), "dev endpoints enabled"); got != (tt.want == http.StatusOK) {
				t.Errorf("log mentions dev endpoints = %v\n%s", got, logs.String())
			}
		})
	}
}
