package auth

import (
	"errors"
	"slices"

	"github.com/systemuser-gateway/systemuser/identity"
)

// This file is the policy table: who may call each operation. Every REST
// route (gateway/rest's route table) and every GraphQL root field
// (gateway's field policy) names one Requirement below, and OpenAPI's
// security is generated from the same values, so a rule is written once.
// What a caller may then see is scoped inside registry and pdp.
//
// The values follow Altinn (ALTINN-REFERENCE §2.1–§2.6): the platform
// admin scope (systemregister.admin) stands in for systemregister.write, not
// for the request scopes.

// Caller is a kind of caller, as the token shows it.
type Caller uint8

const (
	Anonymous    Caller = iota // no token
	Organization               // a Maskinporten token: vendor, service owner, Maskinporten's lookup, admin
	Person                     // a person token (ID-porten-like; the simulator's dev login)
)

func (c Caller) String() string {
	switch c {
	case Organization:
		return "organization"
	case Person:
		return "person"
	}
	return "anonymous"
}

// Admit is one way to satisfy a Requirement: a caller of this kind whose
// token holds Scope ("" = any token of that kind).
type Admit struct {
	Caller Caller
	Scope  string
}

// Requirement is who may call an operation: any one of Admits.
type Requirement struct {
	Name   string // stable name, shown in docs and test failures
	Admits []Admit
}

// The errors of a failed Check. Transports answer them without a body
// (Altinn's policy failures carry none): 401 with a Bearer challenge, 403.
var (
	ErrUnauthenticated = errors.New("auth: this operation needs a bearer token")
	ErrForbidden       = errors.New("auth: the token does not admit this operation")
)

func org(scopes ...string) []Admit {
	out := make([]Admit, len(scopes))
	for i, s := range scopes {
		out[i] = Admit{Organization, s}
	}
	return out
}

const (
	scopeClientDelegationsRead  = "altinn:clientdelegations.read"
	scopeClientDelegationsWrite = "altinn:clientdelegations.write"
)

// The policy table.
var (
	// Public: anyone, anonymous included.
	Public = Requirement{"public", []Admit{{Anonymous, ""}, {Organization, ""}, {Person, ""}}}
	// Authenticated: any valid token; what it may see is scoped by registry.
	Authenticated = Requirement{"authenticated", []Admit{{Organization, ""}, {Person, ""}}}
	// Portal: an end user with Altinn's portal scope (§2.1 "Portal").
	Portal = Requirement{"portal", []Admit{{Person, identity.ScopePortal}}}
	// SystemRegisterWrite: a vendor managing its systems (§2.2).
	SystemRegisterWrite = Requirement{"systemregister.write",
		org(identity.ScopeSystemRegisterWrite, identity.ScopeSystemRegisterAdmin)}
	// RequestWrite: a vendor creating or deleting requests (§2.3, §2.4).
	RequestWrite = Requirement{"systemuser.request.write", org(identity.ScopeRequestWrite)}
	// RequestRead: a vendor reading its requests; the write scope alone is
	// not enough (§2.1).
	RequestRead = Requirement{"systemuser.request.read", org(identity.ScopeRequestRead)}
	// RequestStatus: who may read a request: its vendor (read scope) or an
	// end user (portal scope); registry scopes it to their own.
	RequestStatus = Requirement{"systemuser.request.status",
		[]Admit{{Organization, identity.ScopeRequestRead}, {Person, identity.ScopePortal}}}
	// VendorRead: a vendor holding any Altinn vendor scope; registry shows
	// such a vendor the system users of its systems, and only such a vendor.
	VendorRead = Requirement{"vendor.read", org(identity.ScopeSystemRegisterWrite, identity.ScopeRequestWrite,
		identity.ScopeRequestRead, identity.ScopeSystemRegisterAdmin)}
	// SystemUserLookup: Maskinporten asking for a system user (§2.5).
	SystemUserLookup = Requirement{"systemuser.lookup", org(identity.ScopeSystemUserLookup)}
	// Authorize: a service owner asking the PDP (§4).
	Authorize = Requirement{"authorize", org(identity.ScopeAuthorize, identity.ScopeAuthorizeAdmin)}
	// ClientDelegationRead/Write: an end user managing an agent system
	// user's clients (§2.6). Altinn wants an exchanged token with
	// altinn:clientdelegations.*; the simulator's person tokens carry the
	// portal scope, so either is admitted, and so is a platform admin.
	ClientDelegationRead = Requirement{"clientdelegations.read", []Admit{{Person, identity.ScopePortal},
		{Person, scopeClientDelegationsRead}, {Organization, identity.ScopeSystemRegisterAdmin}}}
	ClientDelegationWrite = Requirement{"clientdelegations.write", []Admit{{Person, identity.ScopePortal},
		{Person, scopeClientDelegationsWrite}, {Organization, identity.ScopeSystemRegisterAdmin}}}
)

// Policies lists the table, for documentation and tests.
func Policies() []Requirement {
	return []Requirement{Public, Authenticated, Portal, SystemRegisterWrite, RequestWrite, RequestRead,
		RequestStatus, VendorRead, SystemUserLookup, Authorize, ClientDelegationRead, ClientDelegationWrite}
}

// CallerOf is the kind of caller id is.
func CallerOf(id *identity.Identity) Caller {
	switch {
	case id == nil:
		return Anonymous
	case id.Kind == identity.Organization:
		return Organization
	case id.Kind == identity.Person:
		return Person
	}
	return Anonymous
}

// Allows reports whether id satisfies r.
func (r Requirement) Allows(id *identity.Identity) bool {
	c := CallerOf(id)
	return slices.ContainsFunc(r.Admits, func(a Admit) bool {
		return a.Caller == c && (a.Scope == "" || id.HasScope(a.Scope))
	})
}

// Check is nil when id satisfies r, ErrUnauthenticated for an anonymous
// caller it does not, else ErrForbidden.
func (r Requirement) Check(id *identity.Identity) error {
	switch {
	case r.Allows(id):
		return nil
	case CallerOf(id) == Anonymous:
		return ErrUnauthenticated
	}
	return ErrForbidden
}
