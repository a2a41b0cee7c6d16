// Package auth verifies bearer tokens: the trusted issuers and their JWKS,
// the claims the gateway and the PDP read, and a cache of verified tokens.
// It is a leaf: it knows identity, the standard library and go-jose only, so
// every transport and the PDP check tokens the same way.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/sync/singleflight"

	"github.com/systemuser-gateway/systemuser/identity"
)

// Only asymmetric algorithms: alg "none" and HS256-with-a-public-key are
// impossible by construction.
var allowedAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256}

// tokenLeeway absorbs clock skew between the gateway and the issuer.
const tokenLeeway = 10 * time.Second

// TrustedIssuer is an issuer whose tokens the gateway accepts.
type TrustedIssuer struct {
	Issuer  string // exact "iss" value
	JWKSURL string
}

// Claims is what the gateway reads from a verified token.
type Claims struct {
	Issuer      string
	Expiry      time.Time
	JTI         string
	Scopes      []string
	ClientID    string
	ConsumerOrg string
	PID         string
	Name        string
	// Nonce is the login's nonce in a person token from an interactive
	// login; the confirm pages check it against the login they started.
	Nonce         string
	SystemUserIDs []string
	SystemUserOrg string
	SystemID      string
}

// Identity maps verified claims to a caller.
func (c *Claims) Identity() *identity.Identity {
	id := &identity.Identity{Scopes: c.Scopes, TokenID: c.JTI}
	switch {
	case c.PID != "":
		id.Kind, id.PID, id.Name = identity.Person, c.PID, c.Name
	case c.ConsumerOrg != "":
		id.Kind, id.OrgNumber, id.ClientID = identity.Organization, c.ConsumerOrg, c.ClientID
		if len(c.SystemUserIDs) > 0 {
			id.SystemUserID = c.SystemUserIDs[0]
		}
	default:
		id.Kind = identity.Anonymous
	}
	return id
}

// Error is why a token was refused. Reason is a stable machine-readable code
// that transports pass on to clients.
type Error struct {
	Reason  string
	Message string
}

func (e *Error) Error() string { return e.Message }

// The reasons a token is refused; match them with errors.Is.
var (
	ErrInvalidToken    = &Error{"INVALID_TOKEN", "the bearer token is not valid"}
	ErrUntrustedIssuer = &Error{"UNTRUSTED_ISSUER", "the token's issuer is not trusted"}
	ErrTokenExpired    = &Error{"TOKEN_EXPIRED", "the token has expired or is not yet valid"}
	ErrForeignAudience = &Error{"FOREIGN_AUDIENCE", "the token was issued for another audience"}
	ErrNotPortalToken  = &Error{"PORTAL_SCOPE_MISSING", "a person's token needs the scope " + identity.ScopePortal}
)

// HasScope reports whether the token grants scope exactly.
func (c *Claims) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// Verifier checks bearer JWTs against the trusted issuers' JWKS. Verified
// tokens are cached until they expire: an RS256 verification costs more than
// a whole cached authorize decision.
type Verifier struct {
	issuers map[string]*jwks
	now     func() time.Time
	logger  *slog.Logger

	cache     sync.Map // token string -> *verified
	cacheSize atomic.Int64
	maxCache  int64

	audiences atomic.Pointer[map[string]bool] // accepted "aud" values
}

// Audiences every Verifier accepts. Maskinporten puts Unspecified in a
// token asked for without a resource; GatewayAudience is what the bundled
// simulator's person login issues for this gateway. A token for any other
// named audience was minted for another API and is refused (replaying it
// here is the attack), as is a token without an audience.
const (
	Unspecified     = "unspecified"
	GatewayAudience = "systemuser-gateway"
)

// AcceptAudiences adds audiences (e.g. the gateway's public URL, given to
// Maskinporten as the token's resource) to those accepted.
func (v *Verifier) AcceptAudiences(auds ...string) {
	for {
		old := v.audiences.Load()
		next := map[string]bool{}
		for a := range *old {
			next[a] = true
		}
		for _, a := range auds {
			if a != "" {
				next[a] = true
			}
		}
		if v.audiences.CompareAndSwap(old, &next) {
			return
		}
	}
}

// acceptsAudience reports whether one of aud is accepted.
func (v *Verifier) acceptsAudience(aud jwt.Audience) bool {
	accepted := *v.audiences.Load()
	for _, a := range aud {
		if accepted[a] {
			return true
		}
	}
	return false
}

// verified is a cache entry: the claims and the views of them that callers
// need, built once per token rather than once per request. All are shared
// by every request with the token and never modified.
type verified struct {
	claims   *Claims
	identity *identity.Identity
	notAfter time.Time // Expiry plus leeway
}

// NewVerifier trusts issuers; client fetches their JWKS.
func NewVerifier(issuers []TrustedIssuer, client *http.Client, now func() time.Time, logger *slog.Logger) *Verifier {
	if now == nil {
		now = time.Now
	}
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	v := &Verifier{issuers: map[string]*jwks{}, now: now, logger: logger, maxCache: 100_000}
	v.audiences.Store(&map[string]bool{Unspecified: true, GatewayAudience: true})
	for _, is := range issuers {
		v.issuers[is.Issuer] = &jwks{url: is.JWKSURL, client: client, now: now}
	}
	return v
}

// Verify returns the claims of a valid token, or an Unauthenticated error.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	e, err := v.lookup(ctx, raw)
	if err != nil {
		return nil, err
	}
	return e.claims, nil
}

// lookup is Verify returning the whole cache entry. The hit path is a map
// load and a clock read.
func (v *Verifier) lookup(ctx context.Context, raw string) (*verified, error) {
	if c, ok := v.cache.Load(raw); ok {
		e := c.(*verified)
		if v.now().Before(e.notAfter) {
			return e, nil
		}
		if v.cache.CompareAndDelete(raw, c) {
			v.cacheSize.Add(-1)
		}
		return nil, ErrInvalidToken
	}
	claims, err := v.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	e := &verified{claims: claims, identity: claims.Identity(), notAfter: claims.Expiry.Add(tokenLeeway)}
	if v.cacheSize.Add(1) > v.maxCache {
		v.evictExpired()
	}
	if _, loaded := v.cache.LoadOrStore(raw, e); loaded {
		v.cacheSize.Add(-1) // a concurrent first use stored it already
	}
	return e, nil
}

// evictExpired drops expired tokens, or everything when none had expired, so
// the cache stays bounded whatever callers send.
func (v *Verifier) evictExpired() {
	now := v.now()
	removed := 0
	v.cache.Range(func(k, c any) bool {
		if !now.Before(c.(*verified).notAfter) && v.cache.CompareAndDelete(k, c) {
			removed++
		}
		return true
	})
	if removed == 0 {
		v.cache.Clear()
		v.cacheSize.Store(0)
		return
	}
	v.cacheSize.Add(int64(-removed))
}

// rawClaims is the union of Maskinporten and person token payloads.
type rawClaims struct {
	jwt.Claims
	Scope                string          `json:"scope"`
	ClientID             string          `json:"client_id"`
	Consumer             json.RawMessage `json:"consumer"`
	PID                  string          `json:"pid"`
	Name                 string          `json:"name"`
	Nonce                string          `json:"nonce"`
	AuthorizationDetails []struct {
		Type          string          `json:"type"`
		SystemUserOrg json.RawMessage `json:"systemuser_org"`
		SystemUserID  []string        `json:"systemuser_id"`
		SystemID      string          `json:"system_id"`
	} `json:"authorization_details"`
}

func (v *Verifier) verify(ctx context.Context, raw string) (*Claims, error) {
	tok, err := jwt.ParseSigned(raw, allowedAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return nil, ErrInvalidToken
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, ErrInvalidToken
	}
	iss, ok := v.issuers[unverified.Issuer]
	if !ok {
		return nil, ErrUntrustedIssuer
	}
	key, err := iss.key(ctx, tok.Headers[0].KeyID)
	if err != nil {
		v.logger.WarnContext(ctx, "token key lookup failed", "kid", tok.Headers[0].KeyID, "error", err)
		return nil, ErrInvalidToken
	}
	if key.Algorithm != "" && key.Algorithm != tok.Headers[0].Algorithm {
		return nil, ErrInvalidToken
	}
	var rc rawClaims
	if err := tok.Claims(key.Key, &rc); err != nil {
		return nil, ErrInvalidToken
	}
	if rc.Expiry == nil || rc.IssuedAt == nil {
		return nil, ErrInvalidToken // go-jose skips absent claims
	}
	if err := rc.Claims.ValidateWithLeeway(jwt.Expected{Issuer: unverified.Issuer, Time: v.now()}, tokenLeeway); err != nil {
		return nil, ErrTokenExpired
	}
	if !v.acceptsAudience(rc.Audience) {
		return nil, ErrForeignAudience
	}
	c := &Claims{
		Issuer: rc.Issuer, Expiry: rc.Expiry.Time(), JTI: rc.ID, Scopes: strings.Fields(rc.Scope),
		ClientID: rc.ClientID, PID: rc.PID, Name: rc.Name, Nonce: rc.Nonce,
	}
	if c.PID != "" && !c.HasScope(identity.ScopePortal) {
		// A person's token issued for something else than acting in the
		// portal (another application's login) is not one here.
		return nil, ErrNotPortalToken
	}
	if len(rc.Consumer) > 0 {
		c.ConsumerOrg = orgOf(rc.Consumer)
		if c.ConsumerOrg == "" {
			return nil, ErrInvalidToken
		}
	}
	for _, d := range rc.AuthorizationDetails {
		if d.Type != "urn:altinn:systemuser" {
			continue
		}
		c.SystemUserIDs, c.SystemID, c.SystemUserOrg = d.SystemUserID, d.SystemID, orgOf(d.SystemUserOrg)
	}
	return c, nil
}

// orgOf reads {"authority":..,"ID":"0192:<orgno>"}, accepting "id" too
// (Altinn's own PEP matches case-insensitively).
func orgOf(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	for k, v := range m {
		if strings.EqualFold(k, "id") {
			s, _ := v.(string)
			if n, ok := strings.CutPrefix(s, "0192:"); ok && identity.IsOrgNumberShape(n) {
				return n
			}
		}
	}
	return ""
}

// jwks caches an issuer's key set; an unknown kid triggers a refresh, at most
// once per refreshEvery, so garbage kids cannot hammer the issuer. Readers
// never wait for a refresh: the current set is an atomic pointer, replaced
// when a fetch succeeds. Concurrent refreshes share one fetch, and no lock
// is held while it runs, so a token with a random kid delays only callers
// that need a key the set does not have.
type jwks struct {
	url    string
	client *http.Client
	now    func() time.Time

	set     atomic.Pointer[jose.JSONWebKeySet]
	flight  singleflight.Group
	mu      sync.Mutex // guards fetched
	fetched time.Time
}

const refreshEvery = 5 * time.Second

func (j *jwks) lookup(kid string) (jose.JSONWebKey, bool) {
	if set := j.set.Load(); set != nil {
		if keys := set.Key(kid); len(keys) > 0 {
			return keys[0], true
		}
	}
	return jose.JSONWebKey{}, false
}

func (j *jwks) key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	if k, ok := j.lookup(kid); ok {
		return k, nil
	}
	ch := j.flight.DoChan("refresh", func() (any, error) {
		// Checked inside the flight: a refresh that just finished counts.
		j.mu.Lock()
		recent := !j.fetched.IsZero() && j.now().Sub(j.fetched) < refreshEvery
		if !recent {
			j.fetched = j.now()
		}
		j.mu.Unlock()
		if recent {
			return nil, nil
		}
		// Not the first caller's context: its cancellation must not fail
		// the others sharing this fetch (the client's timeout bounds it).
		set, err := j.fetch(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		j.set.Store(&set)
		return nil, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return jose.JSONWebKey{}, res.Err
		}
	case <-ctx.Done():
		return jose.JSONWebKey{}, ctx.Err()
	}
	if k, ok := j.lookup(kid); ok {
		return k, nil
	}
	return jose.JSONWebKey{}, fmt.Errorf("unknown kid %q", kid)
}

func (j *jwks) fetch(ctx context.Context) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return set, fmt.Errorf("jwks request: %w", err)
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return set, fmt.Errorf("jwks fetch %s: %w", j.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return set, fmt.Errorf("jwks fetch %s: status %d", j.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return set, fmt.Errorf("jwks read: %w", err)
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return set, fmt.Errorf("jwks parse: %w", err)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			return jose.JSONWebKeySet{}, errors.New("jwks holds a private key")
		}
	}
	return set, nil
}

// Identity verifies an Authorization header value ("Bearer <jwt>") and
// returns the caller it names. The identity is built once per token and
// shared: callers must not modify it.
func (v *Verifier) Identity(ctx context.Context, authorization string) (*identity.Identity, error) {
	scheme, raw, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	raw = strings.TrimSpace(raw)
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return nil, ErrInvalidToken
	}
	e, err := v.lookup(ctx, raw)
	if err != nil {
		return nil, err
	}
	return e.identity, nil
}
