package graph

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestMarshalDataAsAFreshBuffer: the data is what the executor's own
// bytes.Buffer held (nil when nothing was written), and each answer owns
// its bytes though the buffer is reused.
func TestMarshalDataAsAFreshBuffer(t *testing.T) {
	t.Parallel()
	writes := func(s string) graphql.Marshaler {
		return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, s) })
	}
	big := `{"a":"` + strings.Repeat("x", maxPooledData) + `"}`
	var kept [][]byte
	var want []string
	for _, s := range []string{`{"systems":{"totalCount":2}}`, "null", "", big, `{"b":1}`, big, `{}`} {
		var buf bytes.Buffer
		writes(s).MarshalGQL(&buf)
		got := marshalData(writes(s))
		if !bytes.Equal(got, buf.Bytes()) || (got == nil) != (buf.Bytes() == nil) {
			t.Fatalf("%.40q: marshalled %.40q, a fresh buffer %.40q", s, got, buf.Bytes())
		}
		kept, want = append(kept, got), append(want, s)
	}
	for i := range kept {
		if string(kept[i]) != want[i] {
			t.Fatalf("answer %d changed to %.40q after later ones", i, kept[i])
		}
	}
}
