// Package apperr is the one application error type shared by registry, pdp,
// gateway and resolvers. Transports map Code to an HTTP status (HTTPStatus,
// shared by every HTTP face) or a GraphQL extensions.code (gateway/errors.go)
// in exactly one table each.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Code classifies an error for transports. Anything that is not an *Error is
// treated as Internal: logged in full, shown to users as "internal error".
type Code string

const (
	Invalid         Code = "invalid"
	NotFound        Code = "not_found"
	Conflict        Code = "conflict"
	Unauthenticated Code = "unauthenticated"
	Forbidden       Code = "forbidden"
	// Unavailable: a dependency (the database) cannot be reached right
	// now; the same request may succeed when retried shortly.
	Unavailable Code = "unavailable"
	Internal    Code = "internal"
)

// Error carries a classification, a stable machine-readable Reason (e.g.
// "RIGHTS_NOT_IN_SYSTEM", used as GraphQL extensions.code), an optional Altinn
// problem code (e.g. "AUTH-00004" or "AUTH.VLD-00004") and a human message.
type Error struct {
	Code    Code
	Reason  string
	Altinn  string
	Message string
	Err     error
	// Violations lists every validation failure of an Invalid error, so a
	// caller can fix them all at once (REST: STD-00000 validationErrors).
	Violations []Violation
}

// Violation is one failed validation rule of an input.
type Violation struct {
	Reason  string // e.g. "CLIENT_ID_TAKEN"
	Altinn  string // e.g. "AUTH.VLD-00004"
	Message string
	Path    string // e.g. "/registersystemrequest/clientid"
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrX) true for an *Error with ErrX's Code and
// Reason, so an exported error value still matches after WithAltinn or a
// message with details made a copy of it.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason != "" && t.Code == e.Code && t.Reason == e.Reason
}

// New builds an *Error without a cause.
func New(code Code, reason, message string) *Error {
	return &Error{Code: code, Reason: reason, Message: message}
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, reason, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// WithAltinn returns a copy of e carrying the Altinn problem code.
func (e *Error) WithAltinn(code string) *Error {
	c := *e
	c.Altinn = code
	return &c
}

// CodeOf returns the code of the first *Error in err's chain, Internal if none.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

// Validation builds an Invalid error from violations (nil if there are none).
func Validation(vs []Violation) error {
	if len(vs) == 0 {
		return nil
	}
	msg := vs[0].Message
	if len(vs) > 1 {
		msg = fmt.Sprintf("%s (and %d more)", msg, len(vs)-1)
	}
	return &Error{Code: Invalid, Reason: vs[0].Reason, Altinn: "STD-00000", Message: msg, Violations: vs}
}

// httpStatus is the HTTP status of each code.
var httpStatus = map[Code]int{
	Invalid:         http.StatusBadRequest,
	NotFound:        http.StatusNotFound,
	Conflict:        http.StatusConflict,
	Unauthenticated: http.StatusUnauthorized,
	Forbidden:       http.StatusForbidden,
	Unavailable:     http.StatusServiceUnavailable,
	Internal:        http.StatusInternalServerError,
}

// HTTPStatus is the HTTP status for err (500 for anything that is not an
// *Error).
func HTTPStatus(err error) int {
	if s, ok := httpStatus[CodeOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}
