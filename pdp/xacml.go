package pdp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/google/uuid"
)

// XACML 3.0 JSON profile as Altinn's PDP speaks it (ALTINN-REFERENCE §4):
// input keys in any case, output camelCase.
const (
	attrSystemUser   = "urn:altinn:systemuser:uuid"
	attrOrgNo        = "urn:altinn:organization:identifier-no"
	attrOrgNoLegacy  = "urn:altinn:organizationnumber"
	attrResource     = "urn:altinn:resource"
	attrAppOrg       = "urn:altinn:org"
	attrApp          = "urn:altinn:app"
	attrActionID     = "urn:oasis:names:tc:xacml:1.0:action:action-id"
	catAccessSubject = "urn:oasis:names:tc:xacml:1.0:subject-category:access-subject"
	catAction        = "urn:oasis:names:tc:xacml:3.0:attribute-category:action"
	catResource      = "urn:oasis:names:tc:xacml:3.0:attribute-category:resource"

	statusOK         = "urn:oasis:names:tc:xacml:1.0:status:ok"
	statusMissing    = "urn:oasis:names:tc:xacml:1.0:status:missing-attribute"
	statusSyntax     = "urn:oasis:names:tc:xacml:1.0:status:syntax-error"
	statusProcessing = "urn:oasis:names:tc:xacml:1.0:status:processing-error"

	// minAuthLevel is the authenticationLevel obligation on a Permit: the
	// level a system user has after token exchange, which a PEP compares
	// with the token's.
	minAuthLevel = "3"
)

// encoding/json matches keys case-insensitively, as Altinn's PDP does.
type xBody struct {
	Request *xRequest
}

type xRequest struct {
	AccessSubject xCategories
	Action        xCategories
	Resource      xCategories
	MultiRequests *xMultiRequests
}

type xCategory struct {
	ID        string `json:"Id"`
	Attribute xAttributes
}

type xAttribute struct {
	AttributeID     string `json:"AttributeId"`
	Value           string
	DataType        string
	IncludeInResult bool
}

// xAttributeLoose is xAttribute for the general path, where a value may
// also be a number or a boolean.
type xAttributeLoose struct {
	AttributeID     string `json:"AttributeId"`
	Value           xValue
	DataType        string
	IncludeInResult bool
}

// xCategories and xAttributes accept one object or an array (the profile
// allows both).
type xCategories []xCategory
type xAttributes []xAttribute

func (c *xCategories) UnmarshalJSON(b []byte) error { return oneOrMany(b, (*[]xCategory)(c)) }

func (a *xAttributes) UnmarshalJSON(b []byte) error {
	var loose []xAttributeLoose
	if err := oneOrMany(b, &loose); err != nil {
		return err
	}
	if loose == nil {
		*a = nil
		return nil
	}
	*a = make(xAttributes, len(loose))
	for i, l := range loose {
		(*a)[i] = xAttribute{AttributeID: l.AttributeID, Value: string(l.Value), DataType: l.DataType, IncludeInResult: l.IncludeInResult}
	}
	return nil
}

func oneOrMany[T any](b []byte, out *[]T) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one T
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*out = []T{one}
		return nil
	}
	return json.Unmarshal(b, out)
}

type xMultiRequests struct {
	RequestReference []xReference
}

type xReference struct {
	ReferenceID []string `json:"ReferenceId"`
}

// decodeXACML reads a body: the usual one in a single pass (scanXACML),
// any other with encoding/json, whose UnmarshalJSON methods above take
// Altinn's looser shapes (an object for a one-element list, a number or
// boolean value).
func decodeXACML(body []byte) (*xRequest, error) {
	if r, ok := scanXACML(body); ok {
		return r, nil
	}
	var b xBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, err
	}
	if b.Request == nil {
		return nil, errNoRequest
	}
	return b.Request, nil
}

var errNoRequest = errors.New("no Request")

// xValue is a string, or a number or boolean taken as its text.
type xValue string

func (v *xValue) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = xValue(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*v = xValue(n.String())
		return nil
	}
	var t bool
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	*v = xValue(strconv.FormatBool(t))
	return nil
}

// xItem is one question of a (multi-)request: either a Request for the
// engine or an answer fixed by the parser (Indeterminate).
type xItem struct {
	req   Request
	fixed *verdict
	echo  []xEchoCategory
}

type xEchoCategory struct {
	CategoryID string       `json:"categoryId"`
	Attribute  []xEchoValue `json:"attribute"`
}

type xEchoValue struct {
	AttributeID string `json:"attributeId"`
	Value       string `json:"value"`
	DataType    string `json:"dataType,omitempty"`
}

func indeterminate(code ReasonCode, reason string) *verdict {
	return &verdict{result: Indeterminate, code: code, reason: reason}
}

// parseXACML turns a body into questions; it never fails (a malformed body
// is one Indeterminate syntax-error answer).
func parseXACML(body []byte, callerOrg string, maxItems int) []xItem {
	r, err := decodeXACML(body)
	if err != nil {
		return []xItem{{fixed: indeterminate(SyntaxError, "the body is not an XACML JSON request")}}
	}
	var refs [][]string
	if r.MultiRequests != nil && len(r.MultiRequests.RequestReference) >= 2 {
		if len(r.MultiRequests.RequestReference) > maxItems {
			return []xItem{{fixed: indeterminate(ProcessingError, fmt.Sprintf("too many requests in MultiRequests (at most %d)", maxItems))}}
		}
		for _, ref := range r.MultiRequests.RequestReference {
			refs = append(refs, ref.ReferenceID)
		}
	}
	if refs == nil {
		// A single request: one category of each kind.
		if len(r.AccessSubject) > 1 || len(r.Action) > 1 || len(r.Resource) > 1 {
			return []xItem{{fixed: indeterminate(InvalidAttribute, "a single request has one subject, action and resource category")}}
		}
		return []xItem{buildItem(first(r.AccessSubject), first(r.Action), first(r.Resource), callerOrg)}
	}
	// Each kind's categories by Id, so a reference costs three map lookups
	// whatever the body's size (scanning every category per id made a 1 MiB
	// body cost seconds). The first category with an Id wins.
	byID := func(cats xCategories) map[string]*xCategory {
		m := make(map[string]*xCategory, len(cats))
		for i := range cats {
			if _, dup := m[cats[i].ID]; !dup {
				m[cats[i].ID] = &cats[i]
			}
		}
		return m
	}
	subjects, actions, resources := byID(r.AccessSubject), byID(r.Action), byID(r.Resource)
	items := make([]xItem, 0, len(refs))
	for _, ids := range refs {
		if len(ids) != 3 {
			items = append(items, xItem{fixed: indeterminate(SyntaxError,
				"a ReferenceId names exactly three categories: a subject, an action and a resource")})
			continue
		}
		var s, a, res *xCategory
		bad := false
		for _, id := range ids {
			if c := subjects[id]; s == nil && c != nil {
				s = c
			} else if c := actions[id]; a == nil && c != nil {
				a = c
			} else if c := resources[id]; res == nil && c != nil {
				res = c
			} else {
				bad = true
			}
		}
		if bad {
			items = append(items, xItem{fixed: indeterminate(SyntaxError, "a ReferenceId names no category or one kind twice")})
			continue
		}
		items = append(items, buildItem(s, a, res, callerOrg))
	}
	return items
}

func first(c xCategories) *xCategory {
	if len(c) == 0 {
		return nil
	}
	return &c[0]
}

func buildItem(s, a, r *xCategory, callerOrg string) xItem {
	it := xItem{req: Request{CallerOrg: callerOrg}}
	it.echo = appendEcho(it.echo, catAccessSubject, s)
	it.echo = appendEcho(it.echo, catAction, a)
	it.echo = appendEcho(it.echo, catResource, r)
	if s == nil || a == nil || r == nil {
		it.fixed = indeterminate(MissingAttribute, "the request needs a subject, an action and a resource")
		return it
	}
	// Altinn: the system user must be the only subject attribute.
	if len(s.Attribute) != 1 || s.Attribute[0].AttributeID != attrSystemUser {
		it.fixed = indeterminate(InvalidAttribute, "the subject must be exactly one "+attrSystemUser+" attribute")
		return it
	}
	id, err := uuid.Parse(s.Attribute[0].Value)
	if err != nil {
		it.fixed = indeterminate(InvalidAttribute, attrSystemUser+" is not a uuid")
		return it
	}
	it.req.SystemUserID = id
	for _, at := range a.Attribute {
		if at.AttributeID == attrActionID {
			it.req.Action = at.Value
		}
	}
	var appOrg, app, legacyOrg string
	for _, at := range r.Attribute {
		switch at.AttributeID {
		case attrResource:
			it.req.ResourceID = at.Value
		case attrOrgNo:
			it.req.PartyOrg = at.Value
		case attrOrgNoLegacy:
			legacyOrg = at.Value
		case attrAppOrg:
			appOrg = at.Value
		case attrApp:
			app = at.Value
		}
	}
	if it.req.PartyOrg == "" {
		it.req.PartyOrg = legacyOrg
	}
	if it.req.ResourceID == "" && appOrg != "" && app != "" {
		it.req.ResourceID = "app_" + appOrg + "_" + app
	}
	return it
}

func appendEcho(out []xEchoCategory, categoryID string, c *xCategory) []xEchoCategory {
	if c == nil {
		return out
	}
	var vals []xEchoValue
	for _, at := range c.Attribute {
		if at.IncludeInResult {
			vals = append(vals, xEchoValue{AttributeID: at.AttributeID, Value: at.Value, DataType: at.DataType})
		}
	}
	if len(vals) == 0 {
		return out
	}
	return append(out, xEchoCategory{CategoryID: categoryID, Attribute: vals})
}

// permitObligation is the obligation every Permit carries (see minAuthLevel).
const permitObligation = `"obligations":[{"id":"urn:altinn:obligation:authenticationLevel1",` +
	`"attributeAssignment":[{"attributeId":"urn:altinn:obligation-assignment:1","value":"` + minAuthLevel + `",` +
	`"category":"urn:altinn:minimum-authenticationlevel","dataType":"http://www.w3.org/2001/XMLSchema#integer"}]}]`

// formatXACML renders the answers; results[i] answers items[i]. Written by
// hand rather than with encoding/json: the shape is fixed, and reflection
// cost more than the decision itself. Strings are escaped exactly as
// encoding/json would escape them.
func formatXACML(items []xItem, results []verdict) []byte {
	// One allocation: a Permit with its obligation is ≈ 420 bytes, plus
	// what the reason and the echoed attributes add (escapes aside).
	size := 16
	for i, v := range results {
		size += 420 + len(v.reason)
		for _, c := range items[i].echo {
			size += 48 + len(c.CategoryID)
			for _, a := range c.Attribute {
				size += 48 + len(a.AttributeID) + len(a.Value) + len(a.DataType)
			}
		}
	}
	b := make([]byte, 0, size)
	b = append(b, `{"response":[`...)
	for i, v := range results {
		if i > 0 {
			b = append(b, ',')
		}
		decision := xacmlResult(v.result)
		b = append(b, `{"decision":`...)
		b = appendJSONString(b, string(decision))
		b = append(b, `,"status":{`...)
		if v.result == Indeterminate && v.reason != "" {
			b = append(b, `"statusMessage":`...)
			b = appendJSONString(b, v.reason)
			b = append(b, ',')
		}
		status := statusProcessing
		switch {
		case v.result != Indeterminate:
			status = statusOK
		case v.code == MissingAttribute:
			status = statusMissing
		case v.code == SyntaxError:
			status = statusSyntax
		}
		b = append(b, `"statusCode":{"value":"`+status...)
		b = append(b, `"}}`...)
		if v.result == Permit {
			b = append(b, ',')
			b = append(b, permitObligation...)
		}
		if echo := items[i].echo; len(echo) > 0 {
			b = append(b, `,"category":[`...)
			for j, c := range echo {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"categoryId":`...)
				b = appendJSONString(b, c.CategoryID)
				b = append(b, `,"attribute":[`...)
				for k, a := range c.Attribute {
					if k > 0 {
						b = append(b, ',')
					}
					b = append(b, `{"attributeId":`...)
					b = appendJSONString(b, a.AttributeID)
					b = append(b, `,"value":`...)
					b = appendJSONString(b, a.Value)
					if a.DataType != "" {
						b = append(b, `,"dataType":`...)
						b = appendJSONString(b, a.DataType)
					}
					b = append(b, '}')
				}
				b = append(b, "]}"...)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendJSONString appends s quoted as encoding/json quotes it by default:
// HTML-significant characters and U+2028/U+2029 as \u escapes, invalid
// UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hexdigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			default:
				b = append(b, `\u00`...)
				b = append(b, hexdigits[c>>4], hexdigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexdigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AuthorizeXACML answers an XACML 3.0 JSON request body (single or
// multi-request) for service owner callerOrg, in Altinn's response shape.
// It never fails on bad input: malformed bodies and attributes become
// Indeterminate answers. The error is non-nil (apperr Internal) only when
// the database failed; the returned JSON is still a valid answer
// (Indeterminate, processing-error) that the handler may send.
func (e *Engine) AuthorizeXACML(ctx context.Context, body []byte, callerOrg string) ([]byte, error) {
	items := parseXACML(body, callerOrg, e.maxBatch)
	var reqs []Request
	var idx []int
	for i := range items {
		if items[i].fixed == nil {
			reqs = append(reqs, items[i].req)
			idx = append(idx, i)
		}
	}
	results := make([]verdict, len(items))
	for i := range items {
		if items[i].fixed != nil {
			results[i] = *items[i].fixed
		}
	}
	var err error
	if len(reqs) > 0 {
		var ds []Decision
		ds, err = e.authorize(ctx, reqs)
		for j, d := range ds {
			results[idx[j]] = verdict{result: d.Result, code: d.ReasonCode, reason: d.Reason}
		}
	}
	for i := range results {
		e.stats.countDecision(xacmlResult(results[i].result))
	}
	return formatXACML(items, results), err
}

// xacmlResult is what the XACML route answers for an engine result (see
// Decision.XACMLResult).
func xacmlResult(r Result) Result {
	if r != Permit && r != Indeterminate {
		return NotApplicable
	}
	return r
}
