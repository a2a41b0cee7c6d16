// Package simctl is the client of the Maskinporten simulator's control API
// (served under /control when the simulator runs with --control or in dev):
// arm faults on the token endpoint, read the request log, move the clock,
// rotate the signing key, add clients and override claims. It holds the wire
// types the simulator serves, so a test, the e2e harness and the CLI speak the
// same JSON. It does not depend on the simulator's server code.
package simctl

import (
	"encoding/json"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Prefix is where the control API is served on the simulator's listener.
const Prefix = "/control"

// KeyHeader on a token request names the test it belongs to: only faults and
// claim overrides armed with the same key apply to it, and the request log
// records the key. KeyQuery is the same as a query parameter of the token
// URL, for clients that cannot add headers.
const (
	KeyHeader = "X-Simulator-Key"
	KeyQuery  = "simulator_key"
)

// FaultHeader is set on a response a fault produced, to the fault's id.
const FaultHeader = "X-Simulator-Fault"

// Fault makes matching token requests fail. A request matches when it
// carries Key (a missing key matches Key ""), comes from ClientID and asks for
// Scope (when those are set). The first Count matching requests get the
// fault; then it is gone.
//
// What happens: DelayMS waits first. Then Drop closes the connection without
// an answer; Reason answers with one of the simulator's own rejections
// (e.g. "no_system_user" is Maskinporten's MP-303 with its exact text);
// Error and/or Status answer with that OAuth error (description defaulting to
// Maskinporten's text for the code). A fault with only DelayMS slows a
// request that then proceeds normally.
type Fault struct {
	ID               string `json:"id,omitempty"` // assigned by the simulator
	Key              string `json:"key,omitempty"`
	ClientID         string `json:"client_id,omitempty"`
	Scope            string `json:"scope,omitempty"`
	Count            int    `json:"count,omitempty"` // default 1; on listing, what is left
	Status           int    `json:"status,omitempty"`
	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"error_description,omitempty"`
	Reason           string `json:"reason,omitempty"`
	DelayMS          int    `json:"delay_ms,omitempty"`
	Drop             bool   `json:"drop,omitempty"`
}

// Faults is the list answer.
type Faults struct {
	Faults []Fault `json:"faults"`
}

// Request is one token request as the request log keeps it: never the
// assertion and never the token. ClientID and Scopes are what the assertion
// claimed, also when it was rejected.
type Request struct {
	Time                 time.Time       `json:"time"`
	Key                  string          `json:"key,omitempty"`
	ClientID             string          `json:"client_id"`
	Scopes               []string        `json:"scopes"`
	AuthorizationDetails json.RawMessage `json:"authorization_details,omitempty"`
	Status               int             `json:"status"`
	// Outcome is "issued", the OAuth error code of the answer, or "dropped".
	Outcome string `json:"outcome"`
	// Reason is the simulator's stable reason id of a rejection.
	Reason    string  `json:"reason,omitempty"`
	Fault     string  `json:"fault,omitempty"` // id of the fault that shaped the answer
	LatencyMS float64 `json:"latency_ms"`
}

// Requests is the request log answer, oldest first.
type Requests struct {
	Requests []Request `json:"requests"`
	Count    int       `json:"count"`
}

// RequestQuery filters the request log; zero fields do not filter.
type RequestQuery struct {
	Key      string
	ClientID string
	Since    time.Time
	Until    time.Time
}

// Clock is the simulator's clock: Now includes OffsetSeconds.
type Clock struct {
	Now           time.Time `json:"now"`
	OffsetSeconds int64     `json:"offset_seconds"`
}

// SetClock moves the clock: OffsetSeconds replaces the offset, or
// AdvanceSeconds adds to it.
type SetClock struct {
	OffsetSeconds  *int64 `json:"offset_seconds,omitempty"`
	AdvanceSeconds int64  `json:"advance_seconds,omitempty"`
}

// Rotate asks for a new signing key. The old key stays in /jwk until the
// tokens it signed have expired, unless DropOld removes it at once.
type Rotate struct {
	DropOld bool `json:"drop_old,omitempty"`
}

// Keys is the published key set as the control API reports it.
type Keys struct {
	Current string       `json:"current"` // kid that signs new tokens
	Retired []RetiredKey `json:"retired"`
}

// RetiredKey is an old key still in /jwk until Until.
type RetiredKey struct {
	KeyID string    `json:"kid"`
	Until time.Time `json:"until"`
}

// ClientSettings change what tokens of one client look like.
type ClientSettings struct {
	// TokenLifetimeSeconds replaces the default lifetime (0 = default).
	TokenLifetimeSeconds int `json:"token_lifetime_seconds,omitempty"`
	// ExtraClaims are added to every token of the client; they may replace
	// standard claims too.
	ExtraClaims map[string]any `json:"extra_claims,omitempty"`
}

// MaskinportenClient is a Maskinporten client created or listed through the control API.
// PrivateJWK is only in the answer that generated it.
type MaskinportenClient struct {
	ClientID    string             `json:"clientId"`
	OrgNumber   string             `json:"orgNumber"`
	Name        string             `json:"name,omitempty"`
	Scopes      []string           `json:"scopes"`
	JWKS        jose.JSONWebKeySet `json:"jwks"`
	GenerateKey bool               `json:"generateKey,omitempty"`
	PrivateJWK  *jose.JSONWebKey   `json:"privateJwk,omitempty"`
	Settings    *ClientSettings    `json:"settings,omitempty"`
}

// MaskinportenClients is the list answer.
type MaskinportenClients struct {
	Clients []MaskinportenClient `json:"clients"`
}

// ClaimOverride changes the claims of the next Count tokens issued for
// matching requests (Key, and ClientID when set), then is gone: the
// enqueueCallback idea over HTTP. Claims may replace standard claims.
type ClaimOverride struct {
	ID       string         `json:"id,omitempty"`
	Key      string         `json:"key,omitempty"`
	ClientID string         `json:"client_id,omitempty"`
	Count    int            `json:"count,omitempty"` // default 1
	Claims   map[string]any `json:"claims"`
}

// ClaimOverrides is the list answer.
type ClaimOverrides struct {
	Overrides []ClaimOverride `json:"overrides"`
}

// Error is the control API's error body.
type Error struct {
	StatusCode int    `json:"-"`
	Code       string `json:"error"`
	Message    string `json:"message"`
}

func (e *Error) Error() string { return "simctl: " + e.Code + ": " + e.Message }
