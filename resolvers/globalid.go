package resolvers

import (
	"encoding/base64"
	"strings"

	"github.com/systemuser-gateway/systemuser/apperr"
)

// Global ids are base64("Type:key"), the form Relay's examples use, so a
// client can treat them as opaque and node(id:) can route them.
const (
	typeOrganization  = "Organization"
	typeSystem        = "System"
	typeSystemUser    = "SystemUser"
	typeResource      = "Resource"
	typeAccessPackage = "AccessPackage"
	typeRequest       = "Request"
	typeChangeRequest = "ChangeRequest"
	typeDecision      = "Decision"
)

func globalID(typ, key string) string {
	// Built on the stack, both the text and its encoding, so the string is
	// the one allocation: every node of a page asks for one (issue 14).
	var raw [96]byte
	var enc [128]byte
	return string(base64.StdEncoding.AppendEncode(enc[:0], append(append(append(raw[:0], typ...), ':'), key...)))
}

// parseGlobalID splits a global id; ok is false when id is not one.
func parseGlobalID(id string) (typ, key string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(id)
	if err != nil {
		return "", "", false
	}
	typ, key, ok = strings.Cut(string(raw), ":")
	if !ok || key == "" {
		return "", "", false
	}
	switch typ {
	case typeOrganization, typeSystem, typeSystemUser, typeResource, typeAccessPackage,
		typeRequest, typeChangeRequest, typeDecision:
		return typ, key, true
	}
	return "", "", false
}

// keyOf accepts either a global id of type typ or the domain key itself, so
// `system(id: "991825827_x")` and `system(id: <global id>)` both work.
func keyOf(id, typ string) (string, error) {
	if t, key, ok := parseGlobalID(id); ok {
		if t != typ {
			return "", apperr.Errorf(apperr.Invalid, "INVALID_ID", "id is a %s id, not a %s id", t, typ)
		}
		return key, nil
	}
	return id, nil
}
