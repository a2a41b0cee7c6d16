package graph

import (
	"bytes"
	"sync"

	"github.com/99designs/gqlgen/graphql"
)

// dataBuffers are scratch space for marshalData; a buffer that grew past
// maxPooledData (a rare, large answer) is left to the collector rather than
// kept for every later one.
var dataBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledData = 64 << 10

// marshalData is a response's data as the executor wrote it into a fresh
// bytes.Buffer, which grew by doubling from 64 bytes: for issue 14's nested
// read (3.3 KB) that was seven allocations and 8 KB. The writes go to a
// pooled buffer instead, and the data is one copy of its exact size, which
// the response owns.
func marshalData(data graphql.Marshaler) []byte {
	b := dataBuffers.Get().(*bytes.Buffer)
	b.Reset()
	data.MarshalGQL(b)
	var out []byte // as an empty bytes.Buffer's Bytes
	if b.Len() > 0 {
		out = bytes.Clone(b.Bytes())
	}
	if b.Cap() <= maxPooledData {
		dataBuffers.Put(b)
	}
	return out
}
