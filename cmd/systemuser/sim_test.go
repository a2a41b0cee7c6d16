package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/simulator"
	"github.com/systemuser-gateway/systemuser/simulator/mpclient"
	"github.com/systemuser-gateway/systemuser/simulator/simctl"
)

func simServer(t *testing.T, control bool) (*httptest.Server, *simulator.KeySet) {
	t.Helper()
	keys, err := simulator.NewKeySet(simulator.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := simulator.NewServer(simulator.Config{Keys: keys, Control: control, GatewayURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, keys
}

// sim runs `systemuser sim args...` against url and returns stdout.
func sim(t *testing.T, url string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--url", url, "--key", "cli-test")
	err := run(context.Background(), append([]string{"sim"}, args...), &out, &errb)
	return out.String(), err
}

func mustSim(t *testing.T, url string, args ...string) string {
	t.Helper()
	out, err := sim(t, url, args...)
	if err != nil {
		t.Fatalf("sim %v: %v", args, err)
	}
	return out
}

func TestSimCommand(t *testing.T) {
	t.Parallel()
	ts, _ := simServer(t, true)
	ctx := context.Background()

	out := mustSim(t, ts.URL, "clients", "add", "--client-id", "cli-client", "--org", "313775429", "--scope", "a:b c:d",
		"--generate-key", "--lifetime", "30s", "--claim", "n=1", "--claim", "s=text")
	var c simctl.MaskinportenClient
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.PrivateJWK == nil || c.Settings == nil ||
		c.Settings.TokenLifetimeSeconds != 30 || c.Settings.ExtraClaims["n"] != float64(1) || c.Settings.ExtraClaims["s"] != "text" {
		t.Fatalf("clients add: %v\n%s", err, out)
	}
	token := func(key string) (*mpclient.TokenResponse, error) {
		a := mpclient.Assertion{ClientID: "cli-client", Key: *c.PrivateJWK, Audience: simulator.DefaultIssuer, Scopes: []string{"a:b"}}
		s, err := a.Sign()
		if err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Transport: (&simctl.Client{Key: key}).Transport(nil)}
		return mpclient.Exchange(ctx, hc, ts.URL+"/token", s)
	}

	mustSim(t, ts.URL, "fault", "arm", "--status", "503", "--error", "temporarily_unavailable")
	if out := mustSim(t, ts.URL, "fault", "list"); strings.Count(out, `"id"`) != 1 || !strings.Contains(out, "temporarily_unavailable") {
		t.Fatalf("fault list:\n%s", out)
	}
	var mpErr *mpclient.Error
	if _, err := token("cli-test"); !errors.As(err, &mpErr) || mpErr.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("token with the CLI's fault armed: %v", err)
	}
	tr, err := token("cli-test")
	if err != nil || tr.ExpiresIn != 30 {
		t.Fatalf("token after the fault: %+v %v", tr, err)
	}
	if out := mustSim(t, ts.URL, "log", "--count"); strings.TrimSpace(out) != "2" {
		t.Fatalf("log --count: %q", out)
	}
	// --url and --key also work before the noun.
	var out2, errb bytes.Buffer
	if err := run(context.Background(), []string{"sim", "--url", ts.URL, "--key", "cli-test", "log", "--count"}, &out2, &errb); err != nil || strings.TrimSpace(out2.String()) != "2" {
		t.Fatalf("sim --url U --key K log --count: %q %v %s", out2.String(), err, errb.String())
	}
	if out := mustSim(t, ts.URL, "log", "--client-id", "cli-client", "--since", "1m"); !strings.Contains(out, `"outcome": "temporarily_unavailable"`) || !strings.Contains(out, `"outcome": "issued"`) {
		t.Fatalf("log:\n%s", out)
	}
	mustSim(t, ts.URL, "log", "clear")
	if out := mustSim(t, ts.URL, "log", "--count"); strings.TrimSpace(out) != "0" {
		t.Fatalf("log after clear: %q", out)
	}
	mustSim(t, ts.URL, "fault", "arm", "--reason", "no_system_user", "--count", "5")
	mustSim(t, ts.URL, "fault", "clear")
	if out := mustSim(t, ts.URL, "fault", "list"); strings.Contains(out, `"id"`) {
		t.Fatalf("after clear:\n%s", out)
	}

	if out := mustSim(t, ts.URL, "clock", "set", "1h"); !strings.Contains(out, `"offset_seconds": 3600`) {
		t.Fatalf("clock set:\n%s", out)
	}
	if out := mustSim(t, ts.URL, "clock", "advance", "-30m"); !strings.Contains(out, `"offset_seconds": 1800`) {
		t.Fatalf("clock advance:\n%s", out)
	}
	mustSim(t, ts.URL, "clock", "reset")
	if out := mustSim(t, ts.URL, "clock"); !strings.Contains(out, `"offset_seconds": 0`) {
		t.Fatalf("clock after reset:\n%s", out)
	}

	var before, after simctl.Keys
	_ = json.Unmarshal([]byte(mustSim(t, ts.URL, "keys")), &before)
	_ = json.Unmarshal([]byte(mustSim(t, ts.URL, "keys", "rotate", "--drop-old")), &after)
	if before.Current == "" || after.Current == before.Current || len(after.Retired) != 0 {
		t.Fatalf("keys rotate --drop-old: before %+v after %+v", before, after)
	}

	mustSim(t, ts.URL, "claims", "add", "--claim", `obj={"a":1}`, "--client-id", "cli-client")
	if out := mustSim(t, ts.URL, "claims", "list"); !strings.Contains(out, `"a": 1`) {
		t.Fatalf("claims list:\n%s", out)
	}
	mustSim(t, ts.URL, "claims", "clear")
	mustSim(t, ts.URL, "clients", "set", "cli-client", "--lifetime", "45s")
	if tr, err := token(""); err != nil || tr.ExpiresIn != 45 {
		t.Fatalf("token after clients set: %+v %v", tr, err)
	}
	if out := mustSim(t, ts.URL, "clients", "list"); !strings.Contains(out, `"clientId": "cli-client"`) {
		t.Fatalf("clients list:\n%s", out)
	}
	mustSim(t, ts.URL, "clients", "remove", "cli-client")
	if _, err := token(""); !errors.As(err, &mpErr) || mpErr.Code != "invalid_grant" {
		t.Fatalf("token of a removed client: %v", err)
	}

	for _, bad := range [][]string{{"fault", "explode"}, {"clock", "set", "soon"}, {"clients", "add", "--org", "12"}, {"claims", "add"}} {
		if _, err := sim(t, ts.URL, bad...); err == nil {
			t.Errorf("sim %v: no error", bad)
		}
	}
}

func TestSimCommandControlOff(t *testing.T) {
	t.Parallel()
	ts, _ := simServer(t, false)
	if _, err := sim(t, ts.URL, "fault", "list"); !errors.Is(err, simctl.ErrDisabled) {
		t.Fatalf("against a simulator without --control: %v", err)
	}
}
