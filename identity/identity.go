// Package identity is who is calling: it travels in the request context from
// the gateway's auth middleware to registry and pdp, which scope every query
// to it (so a resolver cannot forget to filter).
package identity

import (
	"context"
	"slices"
	"strings"
)

// Kind tells how the caller authenticated.
type Kind int

const (
	// Anonymous callers see only public data (visible systems, resources,
	// access packages).
	Anonymous Kind = iota
	// Organization callers hold a Maskinporten token; OrgNumber is its consumer.
	Organization
	// Person callers hold a person token (simulator dev login / ID-porten-like).
	Person
)

// Maskinporten scopes the gateway understands (Altinn's names).
const (
	ScopeSystemRegisterWrite = "altinn:authentication/systemregister.write"
	ScopeSystemRegisterAdmin = "altinn:authentication/systemregister.admin"
	ScopeRequestWrite        = "altinn:authentication/systemuser.request.write"
	ScopeRequestRead         = "altinn:authentication/systemuser.request.read"
	ScopeSystemUserLookup    = "altinn:maskinporten/systemuser.read"
	ScopeAuthorize           = "altinn:authorization/authorize"
	ScopeAuthorizeAdmin      = "altinn:authorization/authorize.admin"
	ScopeResourceWrite       = "altinn:resourceregistry/resource.write"
	ScopePortal              = "altinn:portal/enduser"
)

// Identity is an authenticated (or anonymous) caller.
type Identity struct {
	Kind      Kind
	OrgNumber string   // Organization: the token's consumer org (bare 9 digits)
	ClientID  string   // Organization: the Maskinporten client id
	Scopes    []string // scopes granted by the token
	PID       string   // Person: the person's id
	Name      string   // Person: display name, when the token carries it
	// SystemUserID is set when an Organization token is a system-user token.
	SystemUserID string
	TokenID      string // jti, for logs
}

// HasScope reports whether the caller holds scope exactly (Altinn matches a
// substring of the space-joined claim; an exact match is stricter and safe).
func (i *Identity) HasScope(scope string) bool {
	return i != nil && slices.Contains(i.Scopes, scope)
}

// HasAnyScope reports whether the caller holds one of scopes.
func (i *Identity) HasAnyScope(scopes ...string) bool {
	for _, s := range scopes {
		if i.HasScope(s) {
			return true
		}
	}
	return false
}

// IsAdmin reports whether the caller is a platform admin.
func (i *Identity) IsAdmin() bool {
	return i != nil && i.Kind == Organization && i.HasScope(ScopeSystemRegisterAdmin)
}

// String is a log-safe description (no token material).
func (i *Identity) String() string {
	if i == nil {
		return "anonymous"
	}
	switch i.Kind {
	case Organization:
		return "org:" + i.OrgNumber + " client:" + i.ClientID + " scopes:" + strings.Join(i.Scopes, " ")
	case Person:
		return "person:" + i.PID
	default:
		return "anonymous"
	}
}

type ctxKey struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the caller, or an anonymous identity (never nil).
func FromContext(ctx context.Context) *Identity {
	if id, ok := ctx.Value(ctxKey{}).(*Identity); ok && id != nil {
		return id
	}
	return &Identity{Kind: Anonymous}
}

// IsOrgNumberShape reports whether s has the form of an organisation number:
// nine digits. It does not check the mod-11 check digit; the database does,
// and an unknown number is simply not found.
func IsOrgNumberShape(s string) bool {
	if len(s) != 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
