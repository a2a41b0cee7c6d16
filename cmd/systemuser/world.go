package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/db/seed"
	"github.com/systemuser-gateway/systemuser/gateway"
)

// loadWorldFile applies the world in path (`--world`), next to the demo world.
func loadWorldFile(ctx context.Context, bdb *bun.DB, path, keyDir string, logger *slog.Logger) (*seed.Loaded, error) {
	w, err := seed.LoadWorldFile(path)
	if err != nil {
		return nil, err
	}
	loaded, err := seed.Apply(ctx, bdb, w, keyDir)
	if err != nil {
		return nil, fmt.Errorf("world %s: %w", path, err)
	}
	logWorld(logger, path, loaded)
	return loaded, nil
}

func logWorld(logger *slog.Logger, from string, l *seed.Loaded) {
	logger.Info("world loaded", "from", from, "organizations", len(l.Organizations), "persons", len(l.Persons),
		"resources", len(l.Resources), "systems", len(l.Systems), "clients", len(l.MaskinportenClients),
		"key_files", l.KeyFiles)
}

// worldLoader is the dev-only admin API's loader (POST /dev/world): a
// world the file's fault refuses is an invalid error, loading nothing.
func worldLoader(bdb *bun.DB, keyDir string, logger *slog.Logger) gateway.WorldLoader {
	return func(ctx context.Context, file []byte) (any, error) {
		w, err := seed.ParseWorld(file)
		if err == nil {
			var loaded *seed.Loaded
			if loaded, err = seed.Apply(ctx, bdb, w, keyDir); err == nil {
				logWorld(logger, "POST /dev/world", loaded)
				return loaded, nil
			}
		}
		if errors.Is(err, seed.ErrInvalidWorld) {
			return nil, apperr.Errorf(apperr.Invalid, "INVALID_WORLD", "%v", err)
		}
		return nil, err
	}
}
