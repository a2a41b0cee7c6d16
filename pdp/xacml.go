package pdp

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

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
	MultiRequests *struct {
		RequestReference []struct {
			ReferenceID []string `json:"ReferenceId"`
		}
	}
}

type xCategory struct {
	ID        string `json:"Id"`
	Attribute xAttributes
}

type xAttribute struct {
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
func (a *xAttributes) UnmarshalJSON(b []byte) error { return oneOrMany(b, (*[]xAttribute)(a)) }

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
	var b xBody
	if err := json.Unmarshal(body, &b); err != nil || b.Request == nil {
		return []xItem{{fixed: indeterminate(SyntaxError, "the body is not an XACML JSON request")}}
	}
	r := b.Request
	var refs [][]string
	if r.MultiRequests != nil && len(r.MultiRequests.RequestReference) >= 2 {
		if len(r.MultiRequests.RequestReference) > maxItems {
			return []xItem{{fixed: indeterminate(ProcessingError, "too many requests in MultiRequests")}}
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
	byID := func(cats xCategories, id string) *xCategory {
		for i := range cats {
			if cats[i].ID == id {
				return &cats[i]
			}
		}
		return nil
	}
	items := make([]xItem, 0, len(refs))
	for _, ids := range refs {
		var s, a, res *xCategory
		bad := false
		for _, id := range ids {
			switch {
			case s == nil && byID(r.AccessSubject, id) != nil:
				s = byID(r.AccessSubject, id)
			case a == nil && byID(r.Action, id) != nil:
				a = byID(r.Action, id)
			case res == nil && byID(r.Resource, id) != nil:
				res = byID(r.Resource, id)
			default:
				bad = true
			}
		}
		if bad {
			items = append(items, xItem{fixed: indeterminate(SyntaxError, "a ReferenceId names no category or one twice")})
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
	id, err := uuid.Parse(string(s.Attribute[0].Value))
	if err != nil {
		it.fixed = indeterminate(InvalidAttribute, attrSystemUser+" is not a uuid")
		return it
	}
	it.req.SystemUserID = id
	for _, at := range a.Attribute {
		if at.AttributeID == attrActionID {
			it.req.Action = string(at.Value)
		}
	}
	var appOrg, app, legacyOrg string
	for _, at := range r.Attribute {
		switch at.AttributeID {
		case attrResource:
			it.req.ResourceID = string(at.Value)
		case attrOrgNo:
			it.req.PartyOrg = string(at.Value)
		case attrOrgNoLegacy:
			legacyOrg = string(at.Value)
		case attrAppOrg:
			appOrg = string(at.Value)
		case attrApp:
			app = string(at.Value)
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
			vals = append(vals, xEchoValue{AttributeID: at.AttributeID, Value: string(at.Value), DataType: at.DataType})
		}
	}
	if len(vals) == 0 {
		return out
	}
	return append(out, xEchoCategory{CategoryID: categoryID, Attribute: vals})
}

type xResponse struct {
	Response []xResult `json:"response"`
}

type xResult struct {
	Decision    Result          `json:"decision"`
	Status      xStatus         `json:"status"`
	Obligations []xObligation   `json:"obligations,omitempty"`
	Category    []xEchoCategory `json:"category,omitempty"`
}

type xStatus struct {
	StatusMessage string `json:"statusMessage,omitempty"`
	StatusCode    struct {
		Value string `json:"value"`
	} `json:"statusCode"`
}

type xObligation struct {
	ID                  string        `json:"id"`
	AttributeAssignment []xAssignment `json:"attributeAssignment"`
}

type xAssignment struct {
	AttributeID string `json:"attributeId"`
	Value       string `json:"value"`
	Category    string `json:"category"`
	DataType    string `json:"dataType"`
}

// formatXACML renders the answers; results[i] answers items[i].
func formatXACML(items []xItem, results []verdict) []byte {
	resp := xResponse{Response: make([]xResult, len(items))}
	for i, v := range results {
		out := &resp.Response[i]
		out.Decision = v.result
		if v.result != Permit && v.result != Indeterminate {
			out.Decision = NotApplicable // see Decision.XACMLResult
		}
		out.Category = items[i].echo
		switch {
		case v.result != Indeterminate:
			out.Status.StatusCode.Value = statusOK
		case v.code == MissingAttribute:
			out.Status.StatusCode.Value = statusMissing
		case v.code == SyntaxError:
			out.Status.StatusCode.Value = statusSyntax
		default:
			out.Status.StatusCode.Value = statusProcessing
		}
		if v.result == Indeterminate {
			out.Status.StatusMessage = v.reason
		}
		if v.result == Permit {
			out.Obligations = []xObligation{{
				ID: "urn:altinn:obligation:authenticationLevel1",
				AttributeAssignment: []xAssignment{{
					AttributeID: "urn:altinn:obligation-assignment:1", Value: minAuthLevel,
					Category: "urn:altinn:minimum-authenticationlevel",
					DataType: "http://www.w3.org/2001/XMLSchema#integer",
				}},
			}}
		}
	}
	b, err := json.Marshal(resp)
	if err != nil { // only plain strings inside: cannot happen
		return []byte(`{"response":[{"decision":"Indeterminate","status":{"statusCode":{"value":"` + statusProcessing + `"}}}]}`)
	}
	return b
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
	return formatXACML(items, results), err
}
