package registry

import (
	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/identity"
)

// Errors shared by several methods; each carries Altinn's problem code where
// Altinn has one, so the REST layer can answer as Altinn does.
var (
	errUnauthenticated  = apperr.New(apperr.Unauthenticated, "UNAUTHENTICATED", "authentication required")
	errMissingScope     = apperr.New(apperr.Forbidden, "MISSING_SCOPE", "the token lacks a required scope")
	errNotAdministrator = apperr.New(apperr.Forbidden, "NOT_ADMINISTRATOR", "you do not administer this organisation")
	errSystemNotFound   = apperr.New(apperr.NotFound, "SYSTEM_NOT_FOUND", "system not found").WithAltinn("AUTH-00011")
	errSystemUserNF     = apperr.New(apperr.NotFound, "SYSTEM_USER_NOT_FOUND", "system user not found").WithAltinn("AUTH-00015")
	ErrRequestNotFound  = apperr.New(apperr.NotFound, "REQUEST_NOT_FOUND", "request not found").WithAltinn("AUTH-00010")
	errChangeReqNF      = apperr.New(apperr.NotFound, "CHANGE_REQUEST_NOT_FOUND", "change request not found").WithAltinn("AUTH-00010")
	errOrgNotFound      = apperr.New(apperr.NotFound, "ORGANIZATION_NOT_FOUND", "organisation not found")
	errPersonNotFound   = apperr.New(apperr.NotFound, "PERSON_NOT_FOUND", "person not found")
	errSystemUserExists = apperr.New(apperr.Invalid, "SYSTEM_USER_EXISTS", "a system user already exists for this system, organisation and externalRef").WithAltinn("AUTH-00004")
	errRequestNotNew    = apperr.New(apperr.Conflict, "REQUEST_NOT_NEW", "the request is no longer New").WithAltinn("AUTH-00013")
	errRequestTimedOut  = apperr.New(apperr.Invalid, "REQUEST_TIMED_OUT", "the request has timed out")
	errNotAnAgent       = apperr.New(apperr.Invalid, "NOT_AN_AGENT", "the system user is not an agent system user").WithAltinn("AUTH.VLD-00015")
)

// requireOrg returns the caller if it is an organisation holding one of
// scopes (any scope if none are given).
func requireOrg(id *identity.Identity, scopes ...string) error {
	switch id.Kind {
	case identity.Anonymous:
		return errUnauthenticated
	case identity.Person:
		return errMissingScope // authenticated, but not as an organisation
	}
	if len(scopes) > 0 && !id.HasAnyScope(scopes...) {
		return errMissingScope
	}
	return nil
}

// requirePerson fails unless the caller is a person.
func requirePerson(id *identity.Identity) error {
	if id.Kind != identity.Person || id.PID == "" {
		return errUnauthenticated
	}
	return nil
}
