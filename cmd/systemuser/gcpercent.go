package main

import (
	"log/slog"
	"runtime/debug"

	"github.com/systemuser-gateway/systemuser/gateway"
)

// defaultGCPercent is --gc-percent's default: the gateway's own (see there).
const defaultGCPercent = gateway.DefaultGCPercent

// gcPercent is the GC percent to set; ok is false when the environment's
// GOGC is set, which the runtime has already applied and which wins over
// our flag, as Go users expect.
func gcPercent(flagValue int, lookupEnv func(string) (string, bool)) (pct int, ok bool) {
	if _, set := lookupEnv("GOGC"); set {
		return 0, false
	}
	return flagValue, true
}

// applyGCPercent sets the process's GC percent: it is process-wide, so only
// the commands that serve the gateway call it, at start.
func applyGCPercent(flagValue int, lookupEnv func(string) (string, bool), logger *slog.Logger) {
	pct, ok := gcPercent(flagValue, lookupEnv)
	if !ok {
		logger.Info("GC percent from the environment's GOGC; --gc-percent ignored")
		return
	}
	debug.SetGCPercent(pct)
	logger.Debug("GC percent", "gc_percent", pct)
}
