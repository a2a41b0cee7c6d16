package registry

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestTimeCursorIsTheSortKey: a cursor is the base64 of "t<RFC 3339 time,
// UTC, nanoseconds as needed>|<uuid>" whatever the time's zone and
// precision, so cursors handed out before keep working, and it decodes to
// the same key.
func TestTimeCursorIsTheSortKey(t *testing.T) {
	t.Parallel()
	oslo := time.FixedZone("CET", 3600)
	for _, at := range []time.Time{
		time.Date(2026, 12, 1, 2, 3, 4, 0, time.UTC),
		time.Date(2026, 12, 1, 2, 3, 4, 123456000, oslo),
		time.Date(1999, 1, 2, 3, 4, 5, 1, time.UTC),
		time.Date(2400, 2, 29, 23, 59, 59, 999999999, oslo),
	} {
		for _, id := range []uuid.UUID{uuid.Nil, uuid.MustParse("ffffffff-ffff-ffff-ffff-ffffffffffff"), uuid.New()} {
			got := timeCursor(at, id)
			want := base64.RawURLEncoding.EncodeToString([]byte("t" + at.UTC().Format(time.RFC3339Nano) + "|" + id.String()))
			if got != want {
				t.Fatalf("%v %v: %s, want %s", at, id, got, want)
			}
			gotAt, gotID, err := decodeTimeCursor(got)
			if err != nil || !gotAt.Equal(at) || gotID != id {
				t.Fatalf("%v %v: decoded %v %v %v", at, id, gotAt, gotID, err)
			}
		}
	}
}
