package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db/seed"
)

// scaleSeed is `systemuser seed --scale N [--decisions M]`: a synthetic
// world for scale measurements (issue 14), loaded with COPY after the demo.
type scaleSeed struct {
	users, decisions int
}

func (s *scaleSeed) flags(fs flagSet) {
	fs.IntVar(&s.users, "scale", envInt("SYSTEMUSER_SEED_SCALE", 0),
		"also load a synthetic world of this many system users (COPY; 0: none) (env SYSTEMUSER_SEED_SCALE)")
	fs.IntVar(&s.decisions, "decisions", envInt("SYSTEMUSER_SEED_DECISIONS", -1),
		"with --scale: logged decisions to load over the last 30 days (default 10 per system user) (env SYSTEMUSER_SEED_DECISIONS)")
}

// envInt is key's integer value, or def when unset or not an integer (the
// flag's own parse reports a bad command-line value).
func envInt(key string, def int) int {
	if v, ok := os.LookupEnv(key); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func (s *scaleSeed) run(ctx context.Context, bdb *bun.DB, stdout io.Writer) error {
	if s.users <= 0 {
		return nil
	}
	if s.decisions < 0 {
		s.decisions = 10 * s.users
	}
	w, err := seed.ScaleLoad(ctx, bdb, seed.ScaleOptions{SystemUsers: s.users, Decisions: s.decisions})
	if err != nil {
		return err
	}
	var size string
	if err := bdb.NewRaw("SELECT pg_size_pretty(pg_database_size(current_database()))").Scan(ctx, &size); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded scale world: %d system users over %d vendors, %d systems and %d customers, %d decisions in %s; database %s\n",
		s.users, len(w.Vendors), len(w.Systems), len(w.Customers), s.decisions, w.Duration.Round(1e7), size)
	return nil
}
