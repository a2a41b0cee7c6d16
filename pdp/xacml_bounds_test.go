package pdp

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// multiBody is a multi-request with the given categories (each with attrs
// kind -> attribute JSON) and references.
func multiBody(subjects, actions, resources []string, attrs map[string]string, refs [][]string) []byte {
	var b bytes.Buffer
	cat := func(name string, ids []string) {
		fmt.Fprintf(&b, "%q:[", name)
		for i, id := range ids {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"Id":%q,"Attribute":[%s]}`, id, attrs[name])
		}
		b.WriteString("],")
	}
	b.WriteString(`{"Request":{`)
	cat("AccessSubject", subjects)
	cat("Action", actions)
	cat("Resource", resources)
	b.WriteString(`"MultiRequests":{"RequestReference":[`)
	for i, r := range refs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"ReferenceId":["%s"]}`, strings.Join(r, `","`))
	}
	b.WriteString("]}}}")
	return b.Bytes()
}

var validAttrs = map[string]string{
	"AccessSubject": `{"AttributeId":"urn:altinn:systemuser:uuid","Value":"47caea5b-a80b-4343-b1d3-31eb523a4e28"}`,
	"Action":        `{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":"read"}`,
	"Resource":      `{"AttributeId":"urn:altinn:resource","Value":"ske-krav"},{"AttributeId":"urn:altinn:organization:identifier-no","Value":"310000000"}`,
}

// TestXACMLReferences: every reference names exactly one subject, one
// action and one resource category; anything else is a clear Indeterminate
// for that reference (the others are still answered).
func TestXACMLReferences(t *testing.T) {
	t.Parallel()
	cats := []string{"s1"}
	for _, tc := range []struct {
		name string
		ref  []string
		want string // "" = a question for the engine
	}{
		{"OK", []string{"s1", "a1", "r1"}, ""},
		{"OKAnyOrder", []string{"r1", "s1", "a1"}, ""},
		{"ErrTwoIDs", []string{"s1", "a1"}, "exactly three"},
		{"ErrFourIDs", []string{"s1", "a1", "r1", "r1"}, "exactly three"},
		{"ErrUnknownID", []string{"s1", "a1", "zz"}, "names no category"},
		{"ErrTwoOfAKind", []string{"s1", "s2", "r1"}, "names no category or one kind twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := multiBody(append(cats, "s2"), []string{"a1"}, []string{"r1"}, validAttrs, [][]string{tc.ref, {"s1", "a1", "r1"}})
			items := parseXACML(body, "", 100)
			if len(items) != 2 || items[1].fixed != nil {
				t.Fatalf("%d items, second fixed %+v", len(items), items[1].fixed)
			}
			got := items[0].fixed
			switch {
			case tc.want == "" && got != nil:
				t.Fatalf("fixed %+v, want a question", got)
			case tc.want != "" && (got == nil || got.result != Indeterminate || !strings.Contains(got.reason, tc.want)):
				t.Fatalf("fixed %+v, want Indeterminate %q", got, tc.want)
			}
		})
	}
}

// TestXACMLBatchCap: at most 100 questions per multi-request, as
// authorizeBatch.
func TestXACMLBatchCap(t *testing.T) {
	t.Parallel()
	e := New(nil, Options{})
	if e.maxBatch != 100 {
		t.Fatalf("default batch cap %d, want 100", e.maxBatch)
	}
	refs := make([][]string, 101)
	for i := range refs {
		refs[i] = []string{"s1", "a1", "r1"}
	}
	items := parseXACML(multiBody([]string{"s1"}, []string{"a1"}, []string{"r1"}, validAttrs, refs), "", e.maxBatch)
	if len(items) != 1 || items[0].fixed == nil || !strings.Contains(items[0].fixed.reason, "at most 100") {
		t.Fatalf("101 references: %d items, %+v", len(items), items[0].fixed)
	}
}

// TestXACMLLargeBodyIsLinear: a 1 MiB body of many categories and long
// references used to cost seconds of CPU (every id looked up by scanning
// every category). Looked up by map, and refused past three ids, it is
// parsed in about the time JSON decoding takes.
func TestXACMLLargeBodyIsLinear(t *testing.T) {
	t.Parallel()
	n := 5000
	ids := func(p string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s%d", p, i)
		}
		return out
	}
	// References of ids that name no category: each used to cost a scan of
	// every category.
	long := make([]string, 40_000)
	for i := range long {
		long[i] = "x"
	}
	refs := [][]string{long, long}
	body := multiBody(ids("s"), ids("a"), ids("r"), nil, refs)
	// Compared with decoding the same body in the same run (the fastest of
	// three each), so a loaded machine or -race slows both alike.
	fastest := func(f func()) time.Duration {
		best := time.Duration(1<<63 - 1)
		for range 3 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	var items []xItem
	parse := fastest(func() { items = parseXACML(body, "", 100) })
	decode := fastest(func() {
		if _, err := decodeXACML(body); err != nil {
			t.Fatal(err)
		}
	})
	if len(items) != len(refs) || items[0].fixed == nil {
		t.Fatalf("%d items, first %+v", len(items), items[0].fixed)
	}
	if parse > 5*decode+50*time.Millisecond {
		t.Fatalf("parsing a %d-byte body took %v; decoding it takes %v", len(body), parse, decode)
	}
	t.Logf("%d bytes: parse %v, decode %v", len(body), parse, decode)
}
