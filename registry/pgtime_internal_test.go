package registry

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

// TestParseTimestamptzAsTheDriver: whatever Postgres sends, and whatever it
// does not, parseTimestamptz answers as the driver's parse of the column
// would, to the same time.Time: the same instant in the same location (the
// driver makes a new one for every offset but UTC's).
func TestParseTimestamptzAsTheDriver(t *testing.T) {
	t.Parallel()
	inputs := []string{
		"2026-12-01 06:17:24.301678+00", "2026-12-01 06:17:24+00", "2026-12-01 06:17:24.5+00",
		"1999-01-02 03:04:05.000001+00", "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00",
		"2024-02-29 12:00:00+00", "2023-02-29 12:00:00+00", "2026-04-31 00:00:00+00",
		"2026-13-01 00:00:00+00", "2026-00-10 00:00:00+00", "2026-12-00 00:00:00+00",
		"2026-12-01 24:00:00+00", "2026-12-01 23:60:00+00", "2026-12-01 23:59:60+00",
		"2026-12-01 06:17:24.+00", "2026-12-01 06:17:24.1234567891+00", "2026-12-01 06:17:24.123456789+00",
		"2026-12-01 06:17:24.12x+00", "2026-1x-01 06:17:24+00", "2026-12-01T06:17:24Z",
		"2026-12-01 06:17:24.301678+01", "2026-12-01 06:17:24-05:30", "2026-12-01 06:17:24+05:30:15",
		"2026-12-01 06:17:24 BC+00", "12026-12-01 06:17:24+00", "2026-12-01 06:17:24", "2026-12-01", "",
		"infinity", "-infinity", "2026-12-01 06:17:24.301678+0", "2026/12/01 06:17:24+00",
	}
	rng := rand.New(rand.NewPCG(14, 2026))
	for range 2000 {
		at := time.Unix(rng.Int64N(400*365*86400)-200*365*86400, 0).UTC().Add(time.Duration(rng.IntN(1_000_000)) * time.Microsecond)
		inputs = append(inputs, pgText(at))
	}
	for _, s := range inputs {
		got, gotErr := parseTimestamptz(s)
		want, wantErr := pgdriver.ParseTime(s)
		if (gotErr != nil) != (wantErr != nil) || !sameTime(got, want) {
			t.Fatalf("%q: %v (%v), the driver %v (%v)", s, got, gotErr, want, wantErr)
		}
	}
}

func sameTime(a, b time.Time) bool {
	if a.Location() == time.UTC || b.Location() == time.UTC {
		return a.Equal(b) && a.Location() == b.Location()
	}
	aName, aOffset := a.Zone()
	bName, bOffset := b.Zone()
	return a.Equal(b) && aName == bName && aOffset == bOffset
}

// pgText is at as Postgres writes a timestamptz in UTC: the fraction without
// its trailing zeros, and none when it is zero.
func pgText(at time.Time) string {
	s := at.Format("2006-01-02 15:04:05")
	if us := at.Nanosecond() / 1000; us != 0 {
		frac := fmt.Sprintf(".%06d", us)
		for frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		s += frac
	}
	return s + "+00"
}
