package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/gateway/publicurl"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

// decodeJSON reads exactly one JSON value into v. Field names match
// case-insensitively and unknown members are ignored, as System.Text.Json's
// defaults in Altinn's ASP.NET binder do (ALTINN-REFERENCE §2.1: a vendor's
// extra or misspelled field never fails the request; a misspelled required
// field then fails on that field). A wrong type or trailing data are errors
// that name the problem.
//
// Every JSON body of the API passes here, so the rules are the same on
// every route: the content type must be JSON, the body valid UTF-8 without
// NUL characters (which no text column can store), and a document rather
// than a bare null.
func decodeJSON(r *http.Request, v any) error {
	if err := requireJSONContentType(r); err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	if err := checkText(body); err != nil {
		return err
	}
	if t := bytes.TrimSpace(body); bytes.Equal(t, []byte("null")) {
		return bodyViolation("NULL_BODY", "the body is null; a JSON object is required", "/")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bodyViolation("MALFORMED_JSON", "the body holds more than one JSON value", "/")
	}
	return nil
}

// requireJSONContentType accepts application/json and application/*+json.
func requireJSONContentType(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && (mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))) {
		return nil
	}
	return bodyViolation("UNSUPPORTED_MEDIA_TYPE", "the body must be sent as Content-Type: application/json", "/")
}

// checkText refuses a JSON text that is not valid UTF-8 or that escapes a
// NUL character (\u0000): encoding/json would quietly replace the first
// and pass the second on to the database, which refuses it.
func checkText(body []byte) error {
	if !utf8.Valid(body) {
		return bodyViolation("INVALID_UTF8", "the body is not valid UTF-8", "/")
	}
	if HasNULEscape(body) {
		return bodyViolation("NUL_CHARACTER", "the body holds a NUL character (\\u0000), which no field accepts", "/")
	}
	return nil
}

// HasNULEscape reports whether the JSON text b holds the escape \u0000
// (an escaped backslash followed by "u0000" does not count).
func HasNULEscape(b []byte) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`u0000`))
		if j < 0 {
			return false
		}
		k := i + j // index of 'u'
		n := 0
		for p := k - 1; p >= 0 && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i = k + 1
	}
}

func bodyViolation(reason, msg, path string) error {
	return apperr.Validation([]apperr.Violation{{Reason: reason, Message: msg, Path: path}})
}

func bodyError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return bodyViolation("EMPTY_BODY", "the request body is empty; a JSON document is required", "/")
	case errors.As(err, &tooBig):
		return bodyViolation("BODY_TOO_LARGE", fmt.Sprintf("the request body exceeds %d bytes", tooBig.Limit), "/")
	case errors.As(err, &syn):
		return bodyViolation("MALFORMED_JSON", fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.Offset), "/")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bodyViolation("MALFORMED_JSON", "the body is not valid JSON (unexpected end)", "/")
	case errors.As(err, &typ):
		path := "/" + strings.ReplaceAll(typ.Field, ".", "/")
		return bodyViolation("INVALID_FIELD_TYPE", fmt.Sprintf("field %q must be a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String())), path)
	}
	return bodyViolation("MALFORMED_JSON", "the body is not a valid JSON document of the expected shape", "/")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	case "string":
		return "string"
	}
	return "number"
}

// pathUUID parses a GUID path parameter; anything else is a 400, as
// ASP.NET's route constraint answers.
func pathUUID(r *http.Request, name string) (uuid.UUID, error) {
	return parseUUID(r.PathValue(name), name)
}

func parseUUID(raw, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return uuid.Nil, apperr.Validation([]apperr.Violation{{Reason: "INVALID_GUID",
			Message: fmt.Sprintf("%s must be a GUID", name), Path: "/" + name}})
	}
	return id, nil
}

var errRESTNotVendor = apperr.New(apperr.Forbidden, "NOT_SYSTEM_VENDOR", "the system belongs to another vendor")

// requireSystemPrefix rejects a vendor working on a system id whose org
// prefix is not its own, as Altinn's ownership check does from the id alone
// (403, and nothing about the system is read).
func requireSystemPrefix(id *identity.Identity, systemID string) error {
	if id.IsAdmin() {
		return nil
	}
	prefix, _, _ := strings.Cut(systemID, "_")
	if prefix != id.OrgNumber {
		return errRESTNotVendor
	}
	return nil
}

// attributePair is Altinn's {id, value}.
type attributePair struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// rightJSON is Altinn's Right: a resource (as attribute pairs) and an
// optional action.
type rightJSON struct {
	Action   string          `json:"action,omitempty"`
	Resource []attributePair `json:"resource"`
}

type accessPackageJSON struct {
	URN string `json:"urn"`
}

const (
	attrResource = "urn:altinn:resource"
	attrOrg      = "urn:altinn:org"
	attrApp      = "urn:altinn:app"
)

func rightsToJSON(rs []registry.Right) []rightJSON {
	out := make([]rightJSON, len(rs))
	for i, r := range rs {
		out[i] = rightJSON{Action: r.Action, Resource: []attributePair{{ID: attrResource, Value: r.Resource}}}
	}
	return out
}

func packagesToJSON(urns []string) []accessPackageJSON {
	out := make([]accessPackageJSON, len(urns))
	for i, u := range urns {
		out[i] = accessPackageJSON{URN: u}
	}
	return out
}

// rightsFromJSON reads Altinn rights. A resource is urn:altinn:resource, or
// the old app form urn:altinn:org + urn:altinn:app (app_{org}_{app}); any
// other attribute is AUTH.VLD-00009 at path.
func rightsFromJSON(in []rightJSON, path string) ([]registry.Right, []apperr.Violation) {
	out := make([]registry.Right, 0, len(in))
	var vs []apperr.Violation
	for i, r := range in {
		var res, org, app string
		bad := len(r.Resource) == 0
		for _, p := range r.Resource {
			switch strings.ToLower(p.ID) {
			case attrResource:
				res = p.Value
			case attrOrg:
				org = p.Value
			case attrApp:
				app = p.Value
			default:
				bad = true
			}
		}
		if res == "" && org != "" && app != "" {
			res = "app_" + org + "_" + app
		}
		if bad || res == "" {
			vs = append(vs, apperr.Violation{Reason: "INVALID_RESOURCE_ID", Altinn: "AUTH.VLD-00009",
				Message: fmt.Sprintf("right %d: a resource must be one attribute with id %q and a value", i, attrResource),
				Path:    path})
			continue
		}
		out = append(out, registry.Right{Resource: res, Action: r.Action})
	}
	return out, vs
}

func packagesFromJSON(in []accessPackageJSON) []string {
	out := make([]string, len(in))
	for i, p := range in {
		out[i] = p.URN
	}
	return out
}

// page reads Altinn's ?token= cursor.
func pageOf(r *http.Request) registry.Page {
	// Altinn's paginated lists carry a next link and no total.
	return registry.Page{After: r.URL.Query().Get("token"), SkipTotal: true}
}

// paginated is Altinn's Paginated<T> wrapper.
type paginated[T any] struct {
	Links paginatedLinks `json:"links"`
	Data  []T            `json:"data"`
}

type paginatedLinks struct {
	Next string `json:"next,omitempty"`
}

// nextLink is the URL of the page after cursor on the same route.
func (s *Server) nextLink(r *http.Request, more bool, endCursor string) string {
	if !more || endCursor == "" {
		return ""
	}
	return s.publicBase(r) + r.URL.Path + "?token=" + endCursor
}

// publicBase is how clients reach the gateway (publicurl.Base).
func (s *Server) publicBase(r *http.Request) string { return publicurl.Base(s.cfg.PublicURL, r) }
