package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/db/seed"
	"github.com/systemuser-gateway/systemuser/metrics/metricstest"
)

// composeCLI finds a Compose implementation: the docker CLI plugin (v2) or
// the standalone docker-compose (Debian ships 1.29). Both must read the
// repository's compose.yaml.
func composeCLI() ([]string, error) {
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}, nil
	}
	if p, err := exec.LookPath("docker-compose"); err == nil {
		return []string{p}, nil
	}
	return nil, &UnavailableError{Reason: "neither `docker compose` nor docker-compose is installed (apt-get install docker-compose)"}
}

// composeProject is one `compose up` of ../compose.yaml under its own
// project name, on free host ports.
type composeProject struct {
	cli  []string
	env  []string
	name string
}

func (p *composeProject) run(ctx context.Context, args ...string) ([]byte, error) {
	full := append(append(p.cli[1:len(p.cli):len(p.cli)], "-f", "../compose.yaml", "-p", p.name), args...)
	cmd := exec.CommandContext(ctx, p.cli[0], full...)
	cmd.Env = append(os.Environ(), p.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w\n%s", p.cli[0], strings.Join(full, " "), err, out)
	}
	return out, nil
}

// TestComposeWalk brings up compose.yaml (PostgreSQL, migrate, seed,
// simulator, gateway) with the locally built images and runs the README's
// walk against it from the host: a vendor token, Altinn's request route, a
// person's approval, the system-user token and the service owner's XACML
// authorize.
func TestComposeWalk(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	opts := Options{}.withDefaults()
	cli, err := composeCLI()
	if err == nil {
		err = Preflight(ctx, opts)
	}
	SkipUnavailable(t, err)

	gwPort, err := freePort()
	ok(t, err)
	simPort, err := freePort()
	ok(t, err)
	p := &composeProject{cli: cli, name: strings.ToLower(strings.ReplaceAll(uniqueRef(t), "_", "-")), env: []string{
		"SYSTEMUSER_IMAGE=" + opts.Image,
		"POSTGRES_IMAGE=" + opts.PostgresImage,
		"SYSTEMUSER_GATEWAY_PORT=" + gwPort,
		"SYSTEMUSER_SIMULATOR_PORT=" + simPort,
		"SYSTEMUSER_LOG_LEVEL=warn",
	}}
	t.Cleanup(func() {
		downCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if t.Failed() {
			out, _ := p.run(downCtx, "logs", "--no-color", "--tail", "40")
			t.Logf("compose logs:\n%s", out)
		}
		if out, err := p.run(downCtx, "down", "-v", "--remove-orphans"); err != nil {
			t.Errorf("compose down: %v\n%s", err, out)
		}
	})
	begin := time.Now()
	if _, err := p.run(ctx, "up", "-d"); err != nil {
		t.Fatal(err)
	}

	s := &Stack{
		GatewayURL:   "http://127.0.0.1:" + gwPort,
		SimulatorURL: "http://127.0.0.1:" + simPort,
		// What compose.yaml configures: the issuer users see on the host.
		Issuer: "http://localhost:" + simPort + "/",
		HTTP:   &http.Client{Timeout: 30 * time.Second},
	}
	waitHTTP(ctx, t, s.GatewayURL+"/readyz")
	waitHTTP(ctx, t, s.SimulatorURL+"/.well-known/oauth-authorization-server")
	t.Logf("compose stack ready in %s", time.Since(begin).Round(time.Millisecond))

	// The seed wrote demo.json and the demo clients' keys into the state
	// volume; a user copies them out the same way.
	var gatewayURL string
	s.Demo, s.keys, gatewayURL = composeDemo(ctx, t, p)
	if want := "http://localhost:" + gwPort; gatewayURL != want {
		t.Errorf("demo.json gatewayUrl %q, want %q", gatewayURL, want)
	}

	// The README's "Try it": readiness and the systems query, anonymously.
	var systems struct {
		Systems struct {
			TotalCount int `json:"totalCount"`
		} `json:"systems"`
	}
	ok(t, s.GraphQL(ctx, "", `{ systems(first: 10) { totalCount } }`, nil, &systems))
	if systems.Systems.TotalCount == 0 {
		t.Fatal("no systems in the seeded world")
	}

	gwBefore := metricstest.Scrape(t, s.GatewayURL+"/metrics")
	simBefore := metricstest.Scrape(t, s.SimulatorURL+"/metrics")

	// 1. The vendor asks the customer for a system user (Altinn's route).
	vendor, err := s.VendorToken(ctx)
	ok(t, err)
	ref := uniqueRef(t)
	var req struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	status, err := s.Do(ctx, http.MethodPost, "/authentication/api/v1/systemuser/request/vendor", vendor, map[string]any{
		"systemId": s.Demo.SystemID, "partyOrgNo": bakeryOrg, "externalRef": ref,
		"rights": []any{map[string]any{"action": "read", "resource": []any{map[string]any{"id": "urn:altinn:resource", "value": demoResource}}}},
	}, &req)
	ok(t, err)
	if status != http.StatusCreated || req.Status != "New" {
		t.Fatalf("create request: HTTP %d %+v, want 201 New", status, req)
	}

	// 2. A person who administers the customer approves.
	person, err := s.PersonToken(ctx, kariPID)
	ok(t, err)
	var approved struct {
		Approve struct {
			SystemUserID string `json:"systemUserId"`
		} `json:"approveSystemUserRequest"`
	}
	ok(t, s.GraphQL(ctx, person, `mutation($id: ID!) { approveSystemUserRequest(id: $id) { systemUserId } }`,
		map[string]any{"id": req.ID}, &approved))

	// 3. The vendor's software gets a system-user token; 4. the service
	// owner asks whether it may read.
	_, err = s.SystemUserToken(ctx, bakeryOrg, ref)
	ok(t, err)
	owner, err := s.ServiceOwnerToken(ctx)
	ok(t, err)
	var decision struct {
		Response []struct {
			Decision string `json:"decision"`
		} `json:"response"`
	}
	status, err = s.Do(ctx, http.MethodPost, "/authorization/api/v1/authorize", owner, map[string]any{"Request": map[string]any{
		"AccessSubject": []any{map[string]any{"Attribute": []any{
			map[string]any{"AttributeId": "urn:altinn:systemuser:uuid", "Value": approved.Approve.SystemUserID}}}},
		"Action": []any{map[string]any{"Attribute": []any{
			map[string]any{"AttributeId": "urn:oasis:names:tc:xacml:1.0:action:action-id", "Value": "read"}}}},
		"Resource": []any{map[string]any{"Attribute": []any{
			map[string]any{"AttributeId": "urn:altinn:resource", "Value": demoResource},
			map[string]any{"AttributeId": "urn:altinn:organization:identifier-no", "Value": bakeryOrg}}}},
	}}, &decision)
	ok(t, err)
	if status != http.StatusOK || len(decision.Response) != 1 || decision.Response[0].Decision != "Permit" {
		t.Fatalf("authorize: HTTP %d %+v, want 200 Permit", status, decision)
	}

	// The walk shows on both /metrics: the standard collectors, and the
	// product's families moving.
	gwAfter := metricstest.Scrape(t, s.GatewayURL+"/metrics")
	simAfter := metricstest.Scrape(t, s.SimulatorURL+"/metrics")
	for _, m := range []metricstest.Samples{gwAfter, simAfter} {
		for _, k := range []string{"go_gc_duration_seconds_count", "process_cpu_seconds_total"} {
			if _, found := m[k]; !found {
				t.Errorf("%s missing", k)
			}
		}
	}
	moved := func(name string, before, after metricstest.Samples, k string, want float64) {
		if got := after[k] - before[k]; got < want {
			t.Errorf("%s: %s moved by %v, want at least %v", name, k, got, want)
		}
	}
	moved("gateway", gwBefore, gwAfter, `systemuser_authorize_decisions_total{result="Permit"}`, 1)
	moved("gateway", gwBefore, gwAfter, `systemuser_http_requests_total{code="200",method="post",route="POST /authorization/api/v1/authorize"}`, 1)
	moved("gateway", gwBefore, gwAfter, `systemuser_http_requests_total{code="201",method="post",route="POST /authentication/api/v1/systemuser/request/vendor"}`, 1)
	moved("simulator", simBefore, simAfter, `systemuser_simulator_tokens_issued_total{kind="maskinporten"}`, 3)
	moved("simulator", simBefore, simAfter, `systemuser_simulator_tokens_issued_total{kind="person"}`, 1)
}

// waitHTTP polls url until it answers 2xx: `compose up -d` returns once the
// containers run, and 1.29 has no --wait.
func waitHTTP(ctx context.Context, t *testing.T, url string) {
	t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return
			}
			err = errors.New(resp.Status)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s not ready: %v", url, err)
		case <-time.After(200 * time.Millisecond): // polling interval; the context's deadline decides
		}
	}
}

// composeState reads the seed container's state directory (a tar stream
// from `docker cp`; the container has exited, its volume remains).
func composeState(ctx context.Context, t *testing.T, p *composeProject) map[string][]byte {
	t.Helper()
	id, err := exec.CommandContext(ctx, "docker", "ps", "-aq",
		"--filter", "label=com.docker.compose.project="+p.name,
		"--filter", "label=com.docker.compose.service=seed").Output()
	ok(t, err)
	cid := strings.TrimSpace(string(id))
	if cid == "" || strings.Contains(cid, "\n") {
		t.Fatalf("seed container: %q", cid)
	}
	out, err := exec.CommandContext(ctx, "docker", "cp", cid+":/var/lib/systemuser/.", "-").Output()
	ok(t, err)
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		ok(t, err)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		ok(t, err)
		// Entries are relative to the copied directory ("./keys/x.jwk").
		files["/var/lib/systemuser/"+path.Clean(strings.TrimPrefix(h.Name, "./"))] = b
	}
	return files
}

func composeDemo(ctx context.Context, t *testing.T, p *composeProject) (*seed.Demo, map[string]jose.JSONWebKey, string) {
	t.Helper()
	files := composeState(ctx, t, p)
	raw := files["/var/lib/systemuser/demo.json"]
	var demo seed.Demo
	ok(t, json.Unmarshal(raw, &demo))
	var urls struct {
		GatewayURL string `json:"gatewayUrl"`
	}
	ok(t, json.Unmarshal(raw, &urls))
	keys := map[string]jose.JSONWebKey{}
	for id, file := range map[string]string{demo.ClientID: demo.ClientKeyFile, demo.ServiceOwnerClientID: demo.ServiceOwnerKeyFile} {
		b, found := files[file]
		if !found {
			t.Fatalf("key file %s of client %q not in the state volume (have %d files)", file, id, len(files))
		}
		var k jose.JSONWebKey
		ok(t, k.UnmarshalJSON(b))
		keys[id] = k
	}
	return &demo, keys, urls.GatewayURL
}
