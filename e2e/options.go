package e2e

import (
	"cmp"
	"log/slog"
	"os"
	"time"
)

// Environment variables that choose the images and the skipping rule.
const (
	EnvImage         = "SYSTEMUSER_E2E_IMAGE"
	EnvPostgresImage = "SYSTEMUSER_E2E_POSTGRES_IMAGE"
	EnvRequired      = "SYSTEMUSER_E2E_REQUIRED"
)

// Defaults for Options.
const (
	DefaultImage         = "systemuser:dev"
	DefaultPostgresImage = "postgres:15"
	// Issuer is the simulator's issuer inside the Docker network: every token
	// carries it as iss, and assertions carry it as aud, whichever URL the
	// caller used to reach the simulator.
	Issuer = "http://simulator:8090/"
)

// Options configure Start. Zero values take the defaults noted.
type Options struct {
	// Image of the systemuser binary (default $SYSTEMUSER_E2E_IMAGE, then
	// DefaultImage).
	Image string
	// PostgresImage (default $SYSTEMUSER_E2E_POSTGRES_IMAGE, then
	// DefaultPostgresImage). It must honour the official image's
	// POSTGRES_USER/PASSWORD/DB variables.
	PostgresImage string
	// StartupTimeout bounds each container's readiness wait (default 60 s).
	StartupTimeout time.Duration
	// Logger receives progress (container start times); default discards.
	Logger *slog.Logger
	// LogLevel of the gateway and simulator (default "warn").
	LogLevel string
}

// Option changes Options; StartT takes them.
type Option func(*Options)

// WithImage sets Options.Image.
func WithImage(image string) Option { return func(o *Options) { o.Image = image } }

// WithPostgresImage sets Options.PostgresImage.
func WithPostgresImage(image string) Option { return func(o *Options) { o.PostgresImage = image } }

// WithLogger sets Options.Logger.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithLogLevel sets Options.LogLevel.
func WithLogLevel(level string) Option { return func(o *Options) { o.LogLevel = level } }

func (o Options) withDefaults() Options {
	o.Image = cmp.Or(o.Image, os.Getenv(EnvImage), DefaultImage)
	o.PostgresImage = cmp.Or(o.PostgresImage, os.Getenv(EnvPostgresImage), DefaultPostgresImage)
	o.StartupTimeout = cmp.Or(o.StartupTimeout, 60*time.Second)
	o.LogLevel = cmp.Or(o.LogLevel, "warn")
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
