package registry

import (
	"encoding/base64"
	"encoding/hex"
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

// systemUserCursor is a system user's cursor in any list of them: they are
// all in order of creation.
func systemUserCursor(su *SystemUser) string { return timeCursor(su.CreatedAt, su.ID) }

func timeCursor(t time.Time, id uuid.UUID) string {
	// Built in one buffer on the stack: a page of system users makes one
	// a row, and the strings of the straightforward concatenation were a
	// twentieth of a nested read's allocations (issue 14).
	var raw [80]byte
	b := append(raw[:0], 't')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '|')
	b = appendUUID(b, id)
	var enc [112]byte // and its encoding: the string is the one allocation
	return string(base64.RawURLEncoding.AppendEncode(enc[:0], b))
}

// appendUUID appends id as uuid.UUID.String writes it.
func appendUUID(b []byte, id uuid.UUID) []byte {
	var s [36]byte
	hex.Encode(s[0:8], id[0:4])
	hex.Encode(s[9:13], id[4:6])
	hex.Encode(s[14:18], id[6:8])
	hex.Encode(s[19:23], id[8:10])
	hex.Encode(s[24:36], id[10:16])
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	return append(b, s[:]...)
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
