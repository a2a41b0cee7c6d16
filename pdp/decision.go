// Package pdp answers authorize questions about system users: may this
// system user do action on resource for party? It keeps what a decision
// needs in memory (invalidated by the database's events), explains every
// answer with a reason code, logs every decision and speaks Altinn's XACML
// 3.0 JSON profile.
package pdp

import (
	"time"

	"github.com/google/uuid"
)

// Result is the outcome of a decision (XACML's four values).
type Result string

const (
	Permit        Result = "Permit"
	Deny          Result = "Deny"
	NotApplicable Result = "NotApplicable"
	Indeterminate Result = "Indeterminate"
)

// ReasonCode says why a decision came out as it did; one per rule.
type ReasonCode string

const (
	PermitRight   ReasonCode = "PERMIT_RIGHT"   // a delegated right covers (resource, action)
	PermitPackage ReasonCode = "PERMIT_PACKAGE" // a held access package contains the resource

	SystemUserNotFound ReasonCode = "SYSTEM_USER_NOT_FOUND"
	SystemUserDeleted  ReasonCode = "SYSTEM_USER_DELETED"
	SystemDeleted      ReasonCode = "SYSTEM_DELETED"
	PartyNotOwner      ReasonCode = "PARTY_NOT_OWNER"      // standard: party is not the owner
	ClientNotDelegated ReasonCode = "CLIENT_NOT_DELEGATED" // agent: party is not one of its clients
	NotGranted         ReasonCode = "NOT_GRANTED"

	ResourceNotFound   ReasonCode = "RESOURCE_NOT_FOUND"
	ActionNotSupported ReasonCode = "ACTION_NOT_SUPPORTED"

	TokenInvalid         ReasonCode = "TOKEN_INVALID"
	TokenSubjectMismatch ReasonCode = "TOKEN_SUBJECT_MISMATCH"
	TokenScopeMissing    ReasonCode = "TOKEN_SCOPE_MISSING"

	MissingAttribute ReasonCode = "MISSING_ATTRIBUTE" // subject, action, resource or party absent
	InvalidAttribute ReasonCode = "INVALID_ATTRIBUTE" // e.g. several subjects, a subject that is not a uuid
	SyntaxError      ReasonCode = "SYNTAX_ERROR"      // XACML body unreadable
	ProcessingError  ReasonCode = "PROCESSING_ERROR"  // we failed (database down): never a Permit
)

// Request is one authorize question.
type Request struct {
	// SystemUserID is the subject; it may be left zero when Token is given.
	SystemUserID uuid.UUID
	// Token, when given, is a system-user token the caller received; it is
	// verified, must name SystemUserID (when set) and carry the resource's
	// required scope.
	Token      string
	Action     string
	ResourceID string
	PartyOrg   string // the organisation acted for
	CallerOrg  string // the service owner asking, for the decision log
}

// Decision is an answer with its explanation.
type Decision struct {
	ID           uuid.UUID // v7: sorts by time
	Result       Result
	ReasonCode   ReasonCode
	Reason       string // human text
	PermittedBy  string // "right:<resource>:<action|*>" or "package:<urn>", Permit only
	SystemUserID uuid.UUID
	SystemID     string
	OwnerOrg     string
	Action       string
	ResourceID   string
	PartyOrg     string
	CallerOrg    string
	Latency      time.Duration
	DecidedAt    time.Time
}

// XACMLResult is what the XACML route answers for d. Altinn answers
// NotApplicable when no delegation applies (unknown, deleted or never
// granted system user), so every Deny becomes NotApplicable there; service
// owners test decision == "Permit", so nothing but a Permit grants access.
func (d Decision) XACMLResult() Result { return xacmlResult(d.Result) }
