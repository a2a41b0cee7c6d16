package registry

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
)

// ErrInvalidCursor: a page cursor this API did not return.
var ErrInvalidCursor = apperr.New(apperr.Invalid, "INVALID_CURSOR", "the cursor is not valid")

// limit is the page size p asks for.
func (p Page) limit() (int, error) {
	switch {
	case p.First < 0:
		return 0, ErrInvalidPageSize
	case p.First == 0:
		return DefaultPageSize, nil
	case p.First > MaxPageSize:
		return MaxPageSize, nil
	}
	return p.First, nil
}

// Cursors are opaque to clients; inside they are the sort key. Lists sorted
// by creation use "t<unix-nanos>|<uuid>", lists sorted by a text key "k<key>".

func timeCursor(t time.Time, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte("t" + t.UTC().Format(time.RFC3339Nano) + "|" + id.String()))
}

func keyCursor(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("k" + key))
}

func decodeTimeCursor(c string) (time.Time, uuid.UUID, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) < 2 || raw[0] != 't' {
		return time.Time{}, uuid.Nil, ErrInvalidCursor
	}
	ts, idText, ok := strings.Cut(string(raw[1:]), "|")
	if !ok {
		return time.Time{}, uuid.Nil, ErrInvalidCursor
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, uuid.Nil, ErrInvalidCursor
	}
	id, err := uuid.Parse(idText)
	if err != nil {
		return time.Time{}, uuid.Nil, ErrInvalidCursor
	}
	return t, id, nil
}

func decodeKeyCursor(c string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) < 2 || raw[0] != 'k' {
		return "", ErrInvalidCursor
	}
	return string(raw[1:]), nil
}

// trim cuts a page fetched with limit+1 rows to limit and says whether more exist.
func trim[T any](rows []T, limit int) ([]T, bool) {
	if len(rows) > limit {
		return rows[:limit], true
	}
	return rows, false
}
