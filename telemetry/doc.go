// Package telemetry holds the OpenTelemetry wiring: a tracer provider that
// exports over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set and is absent otherwise, a
// slog handler that stamps trace ids on log lines, and a gqlgen extension
// that traces GraphQL operations and their root fields.
//
// When tracing is off, callers install none of it (Tracing.Enabled is
// false): the hot paths then run exactly the code they run without this
// package, which is how "no cost when off" is kept rather than measured
// away.
package telemetry
