package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// UnavailableError says why the stack cannot start on this machine: Docker
// is unreachable or an image is missing. StartT skips on it (or fails when
// SYSTEMUSER_E2E_REQUIRED=1); any other Start error is a real failure.
type UnavailableError struct {
	Reason string
	Err    error
}

func (e *UnavailableError) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Preflight checks that Docker answers and the images Start needs are
// present, without starting anything. Its error is an *UnavailableError.
func Preflight(ctx context.Context, opts Options) error {
	opts = opts.withDefaults()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return &UnavailableError{Reason: "Docker is not reachable", Err: err}
	}
	defer cli.Close()
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(pingCtx, client.PingOptions{}); err != nil {
		return &UnavailableError{Reason: "Docker is not reachable", Err: err}
	}
	var missing []string
	for _, img := range []string{opts.Image, opts.PostgresImage} {
		_, err := cli.ImageInspect(ctx, img)
		if err == nil {
			continue
		}
		// The official postgres image can be pulled where a registry is
		// reachable; ours exist only where they were built.
		if img == DefaultPostgresImage && errdefs.IsNotFound(err) && pull(ctx, cli, img) == nil {
			continue
		}
		missing = append(missing, img)
	}
	if len(missing) > 0 {
		return &UnavailableError{Reason: fmt.Sprintf("image(s) %s missing: run `make e2e-images` (and set %s=systemuser-e2e-postgres:15 without a registry)",
			strings.Join(missing, ", "), EnvPostgresImage)}
	}
	return nil
}

// Required reports whether SYSTEMUSER_E2E_REQUIRED asks end-to-end tests to
// fail rather than skip when the stack is unavailable.
func Required() bool {
	v := os.Getenv(EnvRequired)
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// SkipUnavailable skips tb with a loud message when err is an
// *UnavailableError, or fails it when SYSTEMUSER_E2E_REQUIRED=1; any other
// non-nil err fails tb.
func SkipUnavailable(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		tb.Fatalf("e2e: %v", err)
	}
	msg := "\n" + strings.Repeat("!", 72) +
		"\n!! END-TO-END TEST NOT RUN: " + ue.Error() +
		"\n!! (set " + EnvRequired + "=1 to make this a failure)\n" + strings.Repeat("!", 72)
	if Required() {
		tb.Fatal(msg + "\n" + EnvRequired + " is set: failing")
	}
	tb.Skip(msg)
}

// pull fetches img; without a registry it fails fast.
func pull(ctx context.Context, cli *testcontainers.DockerClient, img string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	resp, err := cli.ImagePull(ctx, img, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	defer resp.Close()
	return resp.Wait(ctx)
}
