package simulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/simulator/simctl"
)

// control is the state behind the control API (control_http.go): armed
// faults, the request log, the clock offset, per-client token settings and
// one-shot claim overrides. Its clock offset and client settings are read on
// every token request even when the API is off (then they stay zero).
type control struct {
	offset atomic.Int64 // nanoseconds added to the configured clock

	mu        sync.Mutex
	seq       int
	faults    []*simctl.Fault
	overrides []*simctl.ClaimOverride
	settings  map[string]simctl.ClientSettings
	// maxLifetime is the longest token lifetime configured so far: a
	// rotated key stays published at least this long.
	maxLifetime time.Duration
	log         requestLog
	// privateKeys are keys the control API generated for its clients, kept
	// so the debugger page can sign for them. Memory only.
	privateKeys map[string]jose.JSONWebKey
}

func newControl(tokenLifetime time.Duration) *control {
	return &control{
		settings:    map[string]simctl.ClientSettings{},
		privateKeys: map[string]jose.JSONWebKey{},
		maxLifetime: tokenLifetime,
		log:         requestLog{max: 10_000},
	}
}

// clock wraps base with the control offset.
func (c *control) clock(base func() time.Time) func() time.Time {
	return func() time.Time { return base().Add(time.Duration(c.offset.Load())) }
}

// requestKey is the test a token request belongs to.
func requestKey(r *http.Request) string {
	if k := r.Header.Get(simctl.KeyHeader); k != "" {
		return k
	}
	return r.URL.Query().Get(simctl.KeyQuery)
}

func (c *control) nextID(prefix string) string {
	c.seq++
	return prefix + strconv.Itoa(c.seq)
}

// armFault stores a validated fault and returns it with its id.
func (c *control) armFault(f simctl.Fault) simctl.Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.ID = c.nextID("f")
	c.faults = append(c.faults, &f)
	return f
}

func (c *control) listFaults(key string) []simctl.Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []simctl.Fault{}
	for _, f := range c.faults {
		if f.Key == key {
			out = append(out, *f)
		}
	}
	return out
}

func (c *control) clearFaults(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = slices.DeleteFunc(c.faults, func(f *simctl.Fault) bool { return f.Key == key })
}

// takeFault consumes one use of the first armed fault matching the request.
func (c *control) takeFault(key, clientID string, scopes []string) (simctl.Fault, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, f := range c.faults {
		if f.Key != key || (f.ClientID != "" && f.ClientID != clientID) || (f.Scope != "" && !slices.Contains(scopes, f.Scope)) {
			continue
		}
		f.Count--
		got := *f
		if f.Count <= 0 {
			c.faults = slices.Delete(c.faults, i, i+1)
		}
		return got, true
	}
	return simctl.Fault{}, false
}

func (c *control) addOverride(o simctl.ClaimOverride) simctl.ClaimOverride {
	c.mu.Lock()
	defer c.mu.Unlock()
	o.ID = c.nextID("c")
	c.overrides = append(c.overrides, &o)
	return o
}

func (c *control) listOverrides(key string) []simctl.ClaimOverride {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []simctl.ClaimOverride{}
	for _, o := range c.overrides {
		if o.Key == key {
			out = append(out, *o)
		}
	}
	return out
}

func (c *control) clearOverrides(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.overrides = slices.DeleteFunc(c.overrides, func(o *simctl.ClaimOverride) bool { return o.Key == key })
}

func (c *control) setSettings(clientID string, s simctl.ClientSettings) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.TokenLifetimeSeconds == 0 && len(s.ExtraClaims) == 0 {
		delete(c.settings, clientID)
		return
	}
	c.settings[clientID] = s
	if d := time.Duration(s.TokenLifetimeSeconds) * time.Second; d > c.maxLifetime {
		c.maxLifetime = d
	}
}

func (c *control) settingsOf(clientID string) (simctl.ClientSettings, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.settings[clientID]
	return s, ok
}

func (c *control) forgetClient(clientID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.settings, clientID)
	delete(c.privateKeys, clientID)
}

func (c *control) rememberKey(clientID string, k jose.JSONWebKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.privateKeys[clientID] = k
}

func (c *control) privateKey(clientID string) (jose.JSONWebKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.privateKeys[clientID]
	return k, ok
}

func (c *control) keyLifetime() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.maxLifetime
}

// shapeGrant applies the client's settings and consumes the first matching
// one-shot override: called once per token about to be issued.
func (c *control) shapeGrant(key string, g *MaskinportenGrant) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var extra map[string]any
	if s, ok := c.settings[g.ClientID]; ok {
		g.Lifetime = time.Duration(s.TokenLifetimeSeconds) * time.Second
		if len(s.ExtraClaims) > 0 {
			extra = maps.Clone(s.ExtraClaims)
		}
	}
	for i, o := range c.overrides {
		if o.Key != key || (o.ClientID != "" && o.ClientID != g.ClientID) {
			continue
		}
		if extra == nil {
			extra = map[string]any{}
		}
		maps.Copy(extra, o.Claims)
		o.Count--
		if o.Count <= 0 {
			c.overrides = slices.Delete(c.overrides, i, i+1)
		}
		break
	}
	g.ExtraClaims = extra
}

// requestLog is a bounded log of token requests, oldest first.
type requestLog struct {
	mu      sync.Mutex
	max     int
	entries []simctl.Request
}

func (l *requestLog) add(e simctl.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.entries) >= l.max {
		// Drop the oldest tenth at once so appends stay amortised O(1).
		l.entries = slices.Delete(l.entries, 0, l.max/10+1)
	}
	l.entries = append(l.entries, e)
}

// query filters by key only when keyed is set, so "" can ask for the
// requests that carried no key.
func (l *requestLog) query(keyed bool, q simctl.RequestQuery) []simctl.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []simctl.Request{}
	for _, e := range l.entries {
		if keyed && e.Key != q.Key {
			continue
		}
		if q.ClientID != "" && e.ClientID != q.ClientID {
			continue
		}
		if !q.Since.IsZero() && e.Time.Before(q.Since) {
			continue
		}
		if !q.Until.IsZero() && e.Time.After(q.Until) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func (l *requestLog) clear(keyed bool, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !keyed {
		l.entries = nil
		return
	}
	l.entries = slices.DeleteFunc(l.entries, func(e simctl.Request) bool { return e.Key == key })
}

// oauthErrors are the rejections a fault may name by reason id.
var oauthErrors = []*OAuthError{
	ErrUnsupportedGrantType, ErrMalformedRequest, ErrMalformedAssertion, ErrAlgNotAllowed, ErrMissingKid,
	ErrUnknownClient, ErrUnknownKid, ErrBadSignature, ErrSubjectMismatch, ErrWrongAudience, ErrMissingExp,
	ErrMissingIat, ErrExpired, ErrIssuedInFuture, ErrNotYetValid, ErrIssuedTooLongAgo, ErrLifetimeTooLong,
	ErrReplayed, ErrMissingScope, ErrScopeNotAllowed, ErrBadAuthzDetails, ErrNoSystemUser,
	ErrReplayCacheFull, ErrLookupFailed, ErrUnavailable, ErrServer,
	ErrCertificateUntrusted, ErrCertificateExpired, ErrCertificateInvalid, ErrCertWrongOrg,
}

func oauthErrorByID(id string) *OAuthError {
	for _, e := range oauthErrors {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// faultDefaults are the status and Maskinporten's description for an OAuth
// error code a fault names without them (ALTINN-REFERENCE §5.4).
var faultDefaults = map[string]struct {
	status int
	desc   string
}{
	"invalid_grant":                         {http.StatusBadRequest, descClientAuthFailed},
	"invalid_request":                       {http.StatusBadRequest, descInvalidParameter},
	"invalid_scope":                         {http.StatusBadRequest, descInvalidScopes},
	"unsupported_grant_type":                {http.StatusBadRequest, descInvalidParameter},
	"invalid_altinn_customer_configuration": {http.StatusBadRequest, descNoSystemUser},
	"temporarily_unavailable":               {http.StatusServiceUnavailable, "Service temporarily unavailable, retry shortly"},
	"server_error":                          {http.StatusInternalServerError, "Internal error"},
}

const maxFaultDelay = 60 * time.Second

// validateFault fills defaults and refuses a fault that could not be served.
func validateFault(f *simctl.Fault) error {
	if f.Count == 0 {
		f.Count = 1
	}
	if f.Count < 0 || f.Count > 10_000 {
		return fmt.Errorf("count must be 1..10000")
	}
	if f.DelayMS < 0 || time.Duration(f.DelayMS)*time.Millisecond > maxFaultDelay {
		return fmt.Errorf("delay_ms must be 0..%d", maxFaultDelay.Milliseconds())
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return fmt.Errorf("status must be a 4xx or 5xx code")
	}
	if f.Reason != "" {
		e := oauthErrorByID(f.Reason)
		if e == nil {
			return fmt.Errorf("unknown reason %q", f.Reason)
		}
		if f.Error != "" || f.Status != 0 || f.Drop {
			return fmt.Errorf("reason names the whole answer: leave error, status and drop out")
		}
		f.Status, f.Error, f.ErrorDescription = e.Status, e.Code, e.Description
		return nil
	}
	if f.Drop {
		if f.Error != "" || f.Status != 0 {
			return fmt.Errorf("a dropped connection has no status or error")
		}
		return nil
	}
	if f.Error == "" && f.Status == 0 {
		if f.DelayMS == 0 {
			return fmt.Errorf("a fault needs status, error, reason, drop or delay_ms")
		}
		return nil // delay only
	}
	if !validErrorCode(f.Error) {
		return fmt.Errorf("error must be an OAuth error code (printable ASCII without quote or backslash)")
	}
	if f.Error == "" {
		switch {
		case f.Status == http.StatusServiceUnavailable:
			f.Error = "temporarily_unavailable"
		case f.Status >= 500:
			f.Error = "server_error"
		default:
			f.Error = "invalid_request"
		}
	}
	d, known := faultDefaults[f.Error]
	if f.Status == 0 {
		f.Status = http.StatusBadRequest
		if known {
			f.Status = d.status
		}
	}
	if f.ErrorDescription == "" && known {
		f.ErrorDescription = d.desc
	}
	return nil
}

func validErrorCode(s string) bool {
	if len(s) > 100 {
		return false
	}
	for i := range len(s) {
		b := s[i]
		if b < 0x20 || b > 0x7e || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}

func validateOverride(o *simctl.ClaimOverride) error {
	if o.Count == 0 {
		o.Count = 1
	}
	if o.Count < 0 || o.Count > 10_000 {
		return fmt.Errorf("count must be 1..10000")
	}
	if len(o.Claims) == 0 {
		return fmt.Errorf("claims must name at least one claim")
	}
	return nil
}

func validateSettings(s simctl.ClientSettings) error {
	if s.TokenLifetimeSeconds < 0 || s.TokenLifetimeSeconds > 86_400 {
		return fmt.Errorf("token_lifetime_seconds must be 0..86400")
	}
	if _, err := json.Marshal(s.ExtraClaims); err != nil {
		return fmt.Errorf("extra_claims: %w", err)
	}
	return nil
}

// mergeClaims lays extra over the standard claims. When extra sets a
// numeric exp, that is the token's expiry (so expires_in tells the truth).
func mergeClaims(std MaskinportenClaims, extra map[string]any) (map[string]any, time.Time, error) {
	b, err := json.Marshal(std)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("simulator: encode claims: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, time.Time{}, fmt.Errorf("simulator: encode claims: %w", err)
	}
	maps.Copy(m, extra)
	var exp time.Time
	if v, ok := extra["exp"].(float64); ok {
		exp = time.Unix(int64(v), 0)
	}
	return m, exp, nil
}
