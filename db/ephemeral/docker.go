package ephemeral

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	"github.com/testcontainers/testcontainers-go/wait"
)

// startDocker runs opts.DockerImage with testcontainers. The wait strategy is a real SQL
// round trip over the mapped port: the module's default waits for log lines only the
// official image prints, and the official image's init-time server listens on a socket
// only, so a TCP query cannot succeed early.
func startDocker(ctx context.Context, opts Options) (*Server, error) {
	start := time.Now()
	ready := wait.ForSQL("5432/tcp", "pg", func(host string, port network.Port) string {
		return buildURL(opts, fmt.Sprintf("%s:%d", host, port.Num()), opts.Database)
	}).WithQuery("SELECT 1").WithPollInterval(50 * time.Millisecond).WithStartupTimeout(opts.StartTimeout)

	ctr, err := tcpostgres.Run(ctx, opts.DockerImage,
		tcpostgres.WithDatabase(opts.Database),
		tcpostgres.WithUsername(opts.User),
		tcpostgres.WithPassword(opts.Password),
		testcontainers.WithCmd(append([]string{"postgres"}, settings(5432, withContainerDefaults(opts.Settings))...)...),
		testcontainers.WithWaitStrategy(ready),
	)
	if err != nil {
		if ctr != nil {
			_ = ctr.Terminate(context.WithoutCancel(ctx))
		}
		return nil, fmt.Errorf("%w: docker fallback (image %s): %w", ErrNoPostgres, opts.DockerImage, err)
	}
	dsn, err := ctr.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		_ = ctr.Terminate(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("ephemeral: container connection string: %w", err)
	}
	opts.Logger.Info("postgres container ready", slog.String("image", opts.DockerImage), slog.Duration("took", time.Since(start)))
	return &Server{
		url:         dsn,
		initialized: true,
		logger:      opts.Logger,
		stop: func(ctx context.Context) error {
			return ctr.Terminate(ctx)
		},
	}, nil
}

// withContainerDefaults listens on all interfaces inside the container, where Docker's
// port mapping connects from, and keeps the image's socket directory for its init scripts.
func withContainerDefaults(extra map[string]string) map[string]string {
	s := map[string]string{"listen_addresses": "*", "unix_socket_directories": "/var/run/postgresql"}
	for k, v := range extra {
		s[k] = v
	}
	return s
}
