package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestNodeClients runs e2e/node's suite (graphql-js, graphql-ws, jose,
// openid-client: real JavaScript clients, unchanged) against a stack started
// here on free ports, described to it by a demo.json as `systemuser dev`
// writes one. It needs Node and `npm ci` in e2e/node (scripts/install-deps.sh
// does both); without them it skips loudly, or fails when
// SYSTEMUSER_NODE_REQUIRED=1 (CI).
func TestNodeClients(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "e2e", "node"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "no node on PATH"
	case !exists(filepath.Join(dir, "node_modules", "graphql")):
		missing = "no e2e/node/node_modules (run: cd e2e/node && npm ci)"
	}
	if missing != "" {
		msg := "NODE CLIENT SUITE NOT RUN: " + missing
		if os.Getenv("SYSTEMUSER_NODE_REQUIRED") == "1" {
			t.Fatal(msg + "; SYSTEMUSER_NODE_REQUIRED=1")
		}
		t.Skip(msg)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.test.mjs"))
	if len(files) == 0 {
		t.Fatal("no e2e/node/*.test.mjs")
	}

	s := startStack(t)
	demoFile := filepath.Join(t.TempDir(), "demo.json")
	if err := writeDemo(demoFile, s.app.Config, "", s.demo, devCerts{}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, append([]string{"--test", "--test-reporter=spec"}, files...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SYSTEMUSER_DEMO_FILE="+demoFile, "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("node --test:\n%s", out.String())
	if err != nil {
		t.Fatalf("node suite failed: %v", err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
