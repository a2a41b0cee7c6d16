package registry

import (
	"errors"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/identity"
)

// The errors registry returns, exported so transports match them with
// errors.Is (never on strings); each carries Altinn's problem code where
// Altinn has one, so the REST layer can answer as Altinn does. Errors used by
// one area stand beside it (request_write.go, change_request.go, client.go,
// system_write.go, page.go).
var (
	ErrNotSystemVendor        = apperr.New(apperr.Forbidden, "NOT_SYSTEM_VENDOR", "the vendor must be the caller's organisation")
	ErrInvalidPageSize        = apperr.New(apperr.Invalid, "INVALID_PAGE_SIZE", "first must not be negative")
	ErrLookupParameterMissing = apperr.New(apperr.Invalid, "LOOKUP_PARAMETER_MISSING", "clientId, systemProviderOrgNo and systemUserOwnerOrgNo are required")

	ErrUnauthenticated       = apperr.New(apperr.Unauthenticated, "UNAUTHENTICATED", "authentication required")
	ErrMissingScope          = apperr.New(apperr.Forbidden, "MISSING_SCOPE", "the token lacks a required scope")
	ErrNotAdministrator      = apperr.New(apperr.Forbidden, "NOT_ADMINISTRATOR", "you do not administer this organisation")
	ErrSystemNotFound        = apperr.New(apperr.NotFound, "SYSTEM_NOT_FOUND", "system not found").WithAltinn("AUTH-00011")
	ErrSystemUserNotFound    = apperr.New(apperr.NotFound, "SYSTEM_USER_NOT_FOUND", "system user not found").WithAltinn("AUTH-00015")
	ErrRequestNotFound       = apperr.New(apperr.NotFound, "REQUEST_NOT_FOUND", "request not found").WithAltinn("AUTH-00010")
	ErrChangeRequestNotFound = apperr.New(apperr.NotFound, "CHANGE_REQUEST_NOT_FOUND", "change request not found").WithAltinn("AUTH-00010")
	ErrOrganizationNotFound  = apperr.New(apperr.NotFound, "ORGANIZATION_NOT_FOUND", "organisation not found")
	ErrPersonNotFound        = apperr.New(apperr.NotFound, "PERSON_NOT_FOUND", "person not found")
	ErrSystemUserExists      = apperr.New(apperr.Invalid, "SYSTEM_USER_EXISTS", "a system user already exists for this system, organisation and externalRef").WithAltinn("AUTH-00004")
	ErrRequestNotNew         = apperr.New(apperr.Conflict, "REQUEST_NOT_NEW", "the request is no longer New").WithAltinn("AUTH-00013")
	ErrRequestTimedOut       = apperr.New(apperr.Invalid, "REQUEST_TIMED_OUT", "the request has timed out")
	ErrNotAnAgent            = apperr.New(apperr.Invalid, "NOT_AN_AGENT", "the system user is not an agent system user").WithAltinn("AUTH.VLD-00015")
)

// require checks the caller against an operation's policy from auth's table,
// the one the transports check too: the rule is written once, and the
// registry does not trust a transport to have applied it.
func require(id *identity.Identity, req auth.Requirement) error {
	switch err := req.Check(id); {
	case err == nil:
		return nil
	case errors.Is(err, auth.ErrUnauthenticated):
		return ErrUnauthenticated
	}
	return ErrMissingScope
}

// requireOrg returns the caller if it is an organisation holding one of
// scopes (any scope if none are given). The request reads still use it with
// both request scopes; the transports apply the stricter auth.RequestRead.
func requireOrg(id *identity.Identity, scopes ...string) error {
	switch id.Kind {
	case identity.Anonymous:
		return ErrUnauthenticated
	case identity.Person:
		return ErrMissingScope // authenticated, but not as an organisation
	}
	if len(scopes) > 0 && !id.HasAnyScope(scopes...) {
		return ErrMissingScope
	}
	return nil
}

// requirePerson fails unless the caller is a person.
func requirePerson(id *identity.Identity) error {
	if id.Kind != identity.Person || id.PID == "" {
		return ErrUnauthenticated
	}
	return nil
}
