package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/testclient"
)

// The app image runs `simulator --config FILE` with nothing else set: as
// uid 65532 it needs a writable state directory, which the image provides
// (/var/lib/systemuser, SYSTEMUSER_STATE_DIR). It used to run in / and
// fail with "mkdir .systemuser: permission denied".
func TestImageSimulatorFromConfigFile(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	opts := Options{}.withDefaults()
	SkipUnavailable(t, Preflight(ctx, opts))

	cfg := filepath.Join(t.TempDir(), "sim.yaml")
	if err := os.WriteFile(cfg, []byte("persons:\n  - {pid: \"01017012345\", name: Kari Nordmann}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	docker := func(args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	id := docker("create", "-p", "127.0.0.1::8090", "--label", "org.testcontainers=true", opts.Image,
		"simulator", "--config", "/tmp/sim.yaml", "--log-level", "warn")
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command("docker", "logs", id).CombinedOutput()
			t.Logf("simulator logs:\n%s", out)
		}
		_ = exec.Command("docker", "rm", "-f", id).Run()
	})
	// docker cp rather than a bind mount: the engine may not see this
	// process's file system.
	docker("cp", cfg, id+":/tmp/sim.yaml")
	docker("start", id)
	hostPort := docker("port", id, "8090/tcp")
	if i := strings.LastIndexByte(hostPort, '\n'); i >= 0 {
		hostPort = hostPort[:i] // one line per address family
	}
	url := "http://" + strings.Replace(hostPort, "0.0.0.0", "127.0.0.1", 1) + "/.well-known/oauth-authorization-server"
	waitHTTP(ctx, t, url)

	// Its signing keys were written to the state directory.
	if got := docker("exec", id, "/systemuser", "health", "http://127.0.0.1:8090/jwk"); got != "" {
		t.Errorf("health: %s", got)
	}
	resp, err := testclient.New(t).Get(strings.Replace(url, "/.well-known/oauth-authorization-server", "/metrics", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /metrics: %d", resp.StatusCode)
	}
}
