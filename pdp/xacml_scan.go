package pdp

import (
	"strconv"
	"unicode/utf8"
)

// scanXACML reads the common XACML JSON body in one pass over its bytes,
// without reflection: encoding/json spent most of a cached authorize's CPU
// on it (profile of issue 14). It takes only bodies whose meaning is plain:
// valid JSON whose recognised members are named in ASCII (any case), appear
// once, hold strings without escapes and the types the general path
// expects, and no number as an attribute value. For every other body ok is
// false and the caller decodes with encoding/json (xBody), so the two never
// disagree: FuzzScanXACML holds every body scanXACML takes to the general
// path's reading.
func scanXACML(body []byte) (r *xRequest, ok bool) {
	if !utf8.Valid(body) {
		return nil, false // encoding/json replaces bad bytes; leave that to it
	}
	// One copy of the body as a string: every string the request keeps is
	// a slice of it, not an allocation of its own.
	s := scanner{b: body, src: string(body)}
	s.space()
	var req *xRequest
	ok = s.object(func(key []byte) bool {
		if !keyIs(key, "Request") || req != nil {
			return s.skipOrRefuse(key, "Request")
		}
		req = &xRequest{}
		return s.request(req)
	})
	if !ok || req == nil {
		return nil, false
	}
	s.space()
	if s.i != len(s.b) {
		return nil, false
	}
	return req, true
}

// scanner is a cursor over a JSON text. Every method returns false at the
// first byte it does not take; the scan is then abandoned.
type scanner struct {
	b     []byte
	src   string // b as a string
	i     int
	depth int
	// Arenas the request's categories and attributes are cut from: a body
	// has a handful of each, so a few allocations serve them all.
	cats  []xCategory
	attrs []xAttribute
}

// newCategory returns a zeroed category in the arena; the ones of one list
// are contiguous, so the list is a slice of the arena.
func (s *scanner) newCategory() *xCategory {
	if len(s.cats) == cap(s.cats) {
		s.cats = make([]xCategory, 0, 4)
	}
	s.cats = append(s.cats, xCategory{})
	return &s.cats[len(s.cats)-1]
}

func (s *scanner) newAttribute() *xAttribute {
	if len(s.attrs) == cap(s.attrs) {
		s.attrs = make([]xAttribute, 0, 8)
	}
	s.attrs = append(s.attrs, xAttribute{})
	return &s.attrs[len(s.attrs)-1]
}

// maxScanDepth bounds nesting in skipped values; deeper bodies go to the
// general path (which has its own limit).
const maxScanDepth = 64

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// object reads {"key": value, ...}; member is called with the cursor on
// the value and must consume it.
func (s *scanner) object(member func(key []byte) bool) bool {
	more, ok := s.open('{', '}')
	for ; ok && more; more, ok = s.after('}') {
		key, isKey := s.plainString()
		if !isKey {
			return false
		}
		s.space()
		if s.peek() != ':' {
			return false
		}
		s.i++
		s.space()
		if !member(key) {
			return false
		}
	}
	return ok
}

// array reads [value, ...]; elem is called with the cursor on each value.
func (s *scanner) array(elem func() bool) bool {
	more, ok := s.open('[', ']')
	for ; ok && more; more, ok = s.after(']') {
		if !elem() {
			return false
		}
	}
	return ok
}

// open reads the opening bracket of an object or array; more is false if
// the closing one follows at once.
func (s *scanner) open(opening, closing byte) (more, ok bool) {
	if s.peek() != opening {
		return false, false
	}
	s.i++
	s.space()
	if s.peek() == closing {
		s.i++
		return false, true
	}
	return true, true
}

// after reads what follows a member or element: a comma (more follow) or
// the closing bracket.
func (s *scanner) after(closing byte) (more, ok bool) {
	s.space()
	switch s.peek() {
	case ',':
		s.i++
		s.space()
		return true, true
	case closing:
		s.i++
		return false, true
	}
	return false, false
}

// oneOrMany reads an array of objects, or one object as an array of one
// (Altinn accepts both).
func (s *scanner) oneOrMany(elem func() bool) bool {
	if s.peek() == '{' {
		return elem()
	}
	return s.array(func() bool {
		if s.peek() != '{' {
			return false
		}
		return elem()
	})
}

// plainString reads a string without escapes and returns its bytes (a
// sub-slice of the body); a string with escapes is refused.
func (s *scanner) plainString() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// str reads a plain string as a Go string, a slice of src.
func (s *scanner) str(dst *string) bool {
	start := s.i + 1
	v, ok := s.plainString()
	if ok {
		*dst = s.src[start : start+len(v)]
	}
	return ok
}

// skipOrRefuse skips the value of an unknown member. A member that names a
// known one in another spelling or a second time, or any non-ASCII key, is
// refused: encoding/json's case folding and merging decide those.
func (s *scanner) skipOrRefuse(key []byte, known ...string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, k := range known {
		if keyIs(key, k) {
			return false
		}
	}
	return s.skip()
}

// skip validates and passes over any JSON value, as strictly as
// encoding/json reads it.
func (s *scanner) skip() bool {
	switch c := s.peek(); {
	case c == '{':
		if s.depth++; s.depth > maxScanDepth {
			return false
		}
		ok := s.object(func([]byte) bool { return s.skip() })
		s.depth--
		return ok
	case c == '[':
		if s.depth++; s.depth > maxScanDepth {
			return false
		}
		ok := s.array(s.skip)
		s.depth--
		return ok
	case c == '"':
		return s.skipString()
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

// skipString passes over a string, escapes included, refusing what
// encoding/json refuses (control characters, unknown escapes, short \u).
func (s *scanner) skipString() bool {
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			j++
			if j >= len(s.b) {
				return false
			}
			switch s.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s.b) {
					return false
				}
				for _, h := range s.b[j+1 : j+5] {
					if !isHex(h) {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number passes over a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	s.i = i
	return true
}

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

func (s *scanner) boolean(dst *bool) bool {
	switch s.peek() {
	case 't':
		*dst = true
		return s.literal("true")
	case 'f':
		*dst = false
		return s.literal("false")
	}
	return false
}

// keyIs reports whether an ASCII key names want in any case, as
// encoding/json matches field names.
func keyIs(key []byte, want string) bool {
	if len(key) != len(want) {
		return false
	}
	for i := range key {
		a, b := key[i], want[i]
		if 'a' <= a && a <= 'z' {
			a -= 'a' - 'A'
		}
		if 'a' <= b && b <= 'z' {
			b -= 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// seen tracks which known members an object has had, to refuse repeats.
type seen uint8

func (m *seen) first(bit seen) bool {
	if *m&bit != 0 {
		return false
	}
	*m |= bit
	return true
}

func (s *scanner) request(r *xRequest) bool {
	var got seen
	return s.object(func(key []byte) bool {
		switch {
		case keyIs(key, "AccessSubject") && got.first(1):
			return s.categories(&r.AccessSubject)
		case keyIs(key, "Action") && got.first(2):
			return s.categories(&r.Action)
		case keyIs(key, "Resource") && got.first(4):
			return s.categories(&r.Resource)
		case keyIs(key, "MultiRequests") && got.first(8):
			r.MultiRequests = &xMultiRequests{}
			return s.multiRequests(r.MultiRequests)
		}
		return s.skipOrRefuse(key, "AccessSubject", "Action", "Resource", "MultiRequests")
	})
}

// categories reads a list of categories into the arena. A list that grows
// past the arena's room is moved to a fresh one, so it stays contiguous.
func (s *scanner) categories(dst *xCategories) bool {
	n := 0
	ok := s.oneOrMany(func() bool {
		if len(s.cats) == cap(s.cats) && n > 0 {
			moved := make([]xCategory, n, 2*n+4)
			copy(moved, s.cats[len(s.cats)-n:])
			s.cats = moved
		}
		n++
		return s.category(s.newCategory())
	})
	*dst = xCategories{} // encoding/json's reading of []: empty, not nil
	if n > 0 {
		*dst = s.cats[len(s.cats)-n : len(s.cats) : len(s.cats)]
	}
	return ok
}

func (s *scanner) category(c *xCategory) bool {
	var got seen
	return s.object(func(key []byte) bool {
		switch {
		case keyIs(key, "Id") && got.first(1):
			return s.str(&c.ID)
		case keyIs(key, "Attribute") && got.first(2):
			n := 0
			ok := s.oneOrMany(func() bool {
				if len(s.attrs) == cap(s.attrs) && n > 0 {
					moved := make([]xAttribute, n, 2*n+8)
					copy(moved, s.attrs[len(s.attrs)-n:])
					s.attrs = moved
				}
				n++
				return s.attribute(s.newAttribute())
			})
			c.Attribute = xAttributes{}
			if n > 0 {
				c.Attribute = s.attrs[len(s.attrs)-n : len(s.attrs) : len(s.attrs)]
			}
			return ok
		}
		return s.skipOrRefuse(key, "Id", "Attribute")
	})
}

func (s *scanner) attribute(a *xAttribute) bool {
	var got seen
	return s.object(func(key []byte) bool {
		switch {
		case keyIs(key, "AttributeId") && got.first(1):
			return s.str(&a.AttributeID)
		case keyIs(key, "Value") && got.first(2):
			if s.peek() == 't' || s.peek() == 'f' {
				var v bool
				if !s.boolean(&v) {
					return false
				}
				a.Value = strconv.FormatBool(v)
				return true
			}
			return s.str(&a.Value)
		case keyIs(key, "DataType") && got.first(4):
			return s.str(&a.DataType)
		case keyIs(key, "IncludeInResult") && got.first(8):
			return s.boolean(&a.IncludeInResult)
		}
		return s.skipOrRefuse(key, "AttributeId", "Value", "DataType", "IncludeInResult")
	})
}

func (s *scanner) multiRequests(m *xMultiRequests) bool {
	var got seen
	return s.object(func(key []byte) bool {
		if keyIs(key, "RequestReference") && got.first(1) {
			m.RequestReference = []xReference{}
			return s.array(func() bool {
				m.RequestReference = append(m.RequestReference, xReference{})
				ref := &m.RequestReference[len(m.RequestReference)-1]
				var gotRef seen
				return s.object(func(key []byte) bool {
					if keyIs(key, "ReferenceId") && gotRef.first(1) {
						ref.ReferenceID = []string{}
						return s.array(func() bool {
							ref.ReferenceID = append(ref.ReferenceID, "")
							return s.str(&ref.ReferenceID[len(ref.ReferenceID)-1])
						})
					}
					return s.skipOrRefuse(key, "ReferenceId")
				})
			})
		}
		return s.skipOrRefuse(key, "RequestReference")
	})
}
