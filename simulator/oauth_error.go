package simulator

import (
	"encoding/json"
	"net/http"
)

// OAuthError is a token endpoint rejection. ID is our stable identifier for
// the case (tests and logs use it); Code and Description are what Maskinporten
// puts on the wire, and clients match on Description's exact text.
type OAuthError struct {
	ID          string
	Status      int
	Code        string
	Description string
}

func (e *OAuthError) Error() string { return e.ID + ": " + e.Code + ": " + e.Description }

// Description texts as Digdir documents them (ALTINN-REFERENCE §5.4).
const (
	descClientAuthFailed = "Invalid assertion. Client authentication failed."
	descWrongAudience    = "Invalid assertion. Client authentication failed. Invalid JWT claim aud"
	descExpired          = "JWT is expired"
	descBadSignature     = "Could not validate JWT Signature"
	descReplayed         = "Grant is used before"
	descIssuedInFuture   = "Issue time is after now"
	descIssuedTooLongAgo = "Issue time is before now minus the allowed clock skew"
	descInvalidParameter = "Invalid assertion. Invalid parameter value"
	descInvalidScopes    = "Token request contains invalid scopes for client"
	descNoSystemUser     = "No system user found for the given system, customer and externalRef (MP-303)"
)

func grantErr(id, desc string) *OAuthError {
	return &OAuthError{ID: id, Status: http.StatusBadRequest, Code: "invalid_grant", Description: desc}
}

func requestErr(id string) *OAuthError {
	return &OAuthError{ID: id, Status: http.StatusBadRequest, Code: "invalid_request", Description: descInvalidParameter}
}

func scopeErr(id string) *OAuthError {
	return &OAuthError{ID: id, Status: http.StatusBadRequest, Code: "invalid_scope", Description: descInvalidScopes}
}

// Stable identifiers of every rejection the token endpoint can produce.
var (
	ErrUnsupportedGrantType = &OAuthError{ID: "unsupported_grant_type", Status: http.StatusBadRequest, Code: "unsupported_grant_type", Description: descInvalidParameter}
	ErrMalformedRequest     = requestErr("malformed_request")
	ErrMalformedAssertion   = requestErr("malformed_assertion")
	ErrAlgNotAllowed        = grantErr("alg_not_allowed", descBadSignature)
	ErrMissingKid           = grantErr("missing_kid", descClientAuthFailed)
	ErrUnknownClient        = grantErr("unknown_client", descClientAuthFailed)
	ErrUnknownKid           = grantErr("unknown_kid", descClientAuthFailed)
	ErrBadSignature         = grantErr("bad_signature", descBadSignature)
	ErrSubjectMismatch      = grantErr("sub_mismatch", descClientAuthFailed)
	ErrWrongAudience        = grantErr("wrong_aud", descWrongAudience)
	ErrMissingExp           = requestErr("missing_exp")
	ErrMissingIat           = requestErr("missing_iat")
	ErrExpired              = grantErr("expired", descExpired)
	ErrIssuedInFuture       = grantErr("iat_in_future", descIssuedInFuture)
	ErrNotYetValid          = grantErr("nbf_in_future", descIssuedInFuture)
	// Digdir documents no text for an iat older than the clock skew; ours
	// names the rule the grant broke.
	ErrIssuedTooLongAgo = grantErr("iat_too_old", descIssuedTooLongAgo)
	ErrLifetimeTooLong  = grantErr("lifetime_too_long", descInvalidParameter)
	ErrReplayed         = grantErr("jti_replayed", descReplayed)
	ErrMissingScope     = scopeErr("missing_scope")
	ErrScopeNotAllowed  = scopeErr("scope_not_allowed")
	ErrBadAuthzDetails  = requestErr("bad_authorization_details")
	ErrNoSystemUser     = &OAuthError{ID: "no_system_user", Status: http.StatusBadRequest, Code: "invalid_altinn_customer_configuration", Description: descNoSystemUser}
	ErrReplayCacheFull  = &OAuthError{ID: "replay_cache_full", Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "Too many grants in flight, retry shortly"}
	ErrLookupFailed     = &OAuthError{ID: "lookup_failed", Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "System user lookup failed, retry shortly"}
	ErrUnavailable      = &OAuthError{ID: "store_unavailable", Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "The service is temporarily unavailable, retry shortly"}
	ErrServer           = &OAuthError{ID: "server_error", Status: http.StatusInternalServerError, Code: "server_error", Description: "Internal error"}
)

// ReasonHeader carries OAuthError.ID on every token endpoint rejection.
const ReasonHeader = "X-Simulator-Reason"

func writeOAuthError(w http.ResponseWriter, e *OAuthError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	// Simulator-only: the stable reason id, so tests and developers can tell
	// apart cases that share Maskinporten's wording.
	w.Header().Set(ReasonHeader, e.ID)
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{e.Code, e.Description})
}
