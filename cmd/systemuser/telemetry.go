package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/systemuser-gateway/systemuser/telemetry"
)

// startTracing turns tracing on when OTEL_EXPORTER_OTLP_ENDPOINT (or the
// traces variant) is set, and then stamps trace ids on the logger's
// lines. Off, it returns logger unchanged and stop does nothing.
func startTracing(ctx context.Context, logger *slog.Logger) (_ *telemetry.Tracing, _ *slog.Logger, stop func(), _ error) {
	tr, err := telemetry.Start(ctx, "systemuser", version(), os.LookupEnv)
	if err != nil {
		return nil, nil, nil, err
	}
	if !tr.Enabled() {
		return tr, logger, func() {}, nil
	}
	logger = slog.New(telemetry.LogHandler(logger.Handler()))
	logger.Info("tracing on: exporting spans over OTLP/HTTP")
	return tr, logger, func() {
		// Bounded: an unreachable collector must not hold up the exit.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tr.Shutdown(ctx); err != nil {
			logger.Warn("flushing spans", "error", err)
		}
	}, nil
}
