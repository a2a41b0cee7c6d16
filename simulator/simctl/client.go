package simctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrDisabled is returned when the simulator answers 404 on the control
// prefix: it runs without --control.
var ErrDisabled = errors.New("simctl: the simulator's control API is off (start it with --control or in dev)")

// Client calls one simulator's control API. Key scopes faults, claim
// overrides and log queries to one test; use a distinct key per parallel test.
// A Client is safe for concurrent use.
type Client struct {
	BaseURL string // the simulator, e.g. http://localhost:8090
	Key     string
	HTTP    *http.Client // default http.DefaultClient
}

// New is a Client for the simulator at baseURL with key.
func New(baseURL, key string) *Client { return &Client{BaseURL: baseURL, Key: key} }

// WithKey is a copy of c for another key.
func (c *Client) WithKey(key string) *Client {
	cp := *c
	cp.Key = key
	return &cp
}

// ArmFault arms f (its Key defaults to c's) and returns it with its id.
func (c *Client) ArmFault(ctx context.Context, f Fault) (Fault, error) {
	if f.Key == "" {
		f.Key = c.Key
	}
	var out Fault
	err := c.do(ctx, http.MethodPost, "/faults", nil, f, &out)
	return out, err
}

// Faults lists the faults armed under c's key.
func (c *Client) Faults(ctx context.Context) ([]Fault, error) {
	var out Faults
	err := c.do(ctx, http.MethodGet, "/faults", c.keyQuery(), nil, &out)
	return out.Faults, err
}

// ClearFaults removes the faults armed under c's key.
func (c *Client) ClearFaults(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/faults", c.keyQuery(), nil, nil)
}

// Requests reads the request log. An empty q.Key means c's key; to see
// every key, use a Client with an empty key and q.Key "".
func (c *Client) Requests(ctx context.Context, q RequestQuery) ([]Request, error) {
	v := url.Values{}
	if q.Key == "" {
		q.Key = c.Key
	}
	if q.Key != "" {
		v.Set("key", q.Key)
	}
	if q.ClientID != "" {
		v.Set("client_id", q.ClientID)
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.Format(time.RFC3339Nano))
	}
	var out Requests
	err := c.do(ctx, http.MethodGet, "/requests", v, nil, &out)
	return out.Requests, err
}

// ClearRequests forgets the logged requests of c's key (every request when
// the key is empty).
func (c *Client) ClearRequests(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/requests", c.keyQuery(), nil, nil)
}

// Clock reads the simulator's clock.
func (c *Client) Clock(ctx context.Context) (Clock, error) {
	var out Clock
	err := c.do(ctx, http.MethodGet, "/clock", nil, nil, &out)
	return out, err
}

// SetClockOffset sets the clock to real time plus d (whole seconds). The
// clock is global to the simulator, not scoped by key.
func (c *Client) SetClockOffset(ctx context.Context, d time.Duration) (Clock, error) {
	s := int64(d / time.Second)
	var out Clock
	err := c.do(ctx, http.MethodPut, "/clock", nil, SetClock{OffsetSeconds: &s}, &out)
	return out, err
}

// AdvanceClock moves the clock forward by d (whole seconds).
func (c *Client) AdvanceClock(ctx context.Context, d time.Duration) (Clock, error) {
	var out Clock
	err := c.do(ctx, http.MethodPut, "/clock", nil, SetClock{AdvanceSeconds: int64(d / time.Second)}, &out)
	return out, err
}

// ResetClock removes the offset.
func (c *Client) ResetClock(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/clock", nil, nil, nil)
}

// Keys reports the signing keys.
func (c *Client) Keys(ctx context.Context) (Keys, error) {
	var out Keys
	err := c.do(ctx, http.MethodGet, "/keys", nil, nil, &out)
	return out, err
}

// RotateKeys makes a new signing key; dropOld removes the old one from /jwk
// at once instead of when its tokens expire.
func (c *Client) RotateKeys(ctx context.Context, dropOld bool) (Keys, error) {
	var out Keys
	err := c.do(ctx, http.MethodPost, "/keys/rotate", nil, Rotate{DropOld: dropOld}, &out)
	return out, err
}

// Clients lists the simulator's clients with their settings.
func (c *Client) Clients(ctx context.Context) ([]MaskinportenClient, error) {
	var out MaskinportenClients
	err := c.do(ctx, http.MethodGet, "/clients", nil, nil, &out)
	return out.Clients, err
}

// CreateClient adds a client. With GenerateKey the answer carries the
// private key, once.
func (c *Client) CreateClient(ctx context.Context, cl MaskinportenClient) (MaskinportenClient, error) {
	var out MaskinportenClient
	err := c.do(ctx, http.MethodPost, "/clients", nil, cl, &out)
	return out, err
}

// DeleteClient removes a client.
func (c *Client) DeleteClient(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/clients/"+url.PathEscape(id), nil, nil, nil)
}

// SetClientSettings replaces a client's token lifetime and extra claims.
func (c *Client) SetClientSettings(ctx context.Context, id string, s ClientSettings) (ClientSettings, error) {
	var out ClientSettings
	err := c.do(ctx, http.MethodPut, "/clients/"+url.PathEscape(id)+"/settings", nil, s, &out)
	return out, err
}

// OverrideClaims arms a one-shot claim override (Key defaults to c's).
func (c *Client) OverrideClaims(ctx context.Context, o ClaimOverride) (ClaimOverride, error) {
	if o.Key == "" {
		o.Key = c.Key
	}
	var out ClaimOverride
	err := c.do(ctx, http.MethodPost, "/claims", nil, o, &out)
	return out, err
}

// ClaimOverrides lists the overrides armed under c's key.
func (c *Client) ClaimOverrides(ctx context.Context) ([]ClaimOverride, error) {
	var out ClaimOverrides
	err := c.do(ctx, http.MethodGet, "/claims", c.keyQuery(), nil, &out)
	return out.Overrides, err
}

// ClearClaimOverrides removes the overrides armed under c's key.
func (c *Client) ClearClaimOverrides(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/claims", c.keyQuery(), nil, nil)
}

// Transport adds c's key to every request it sends, so a token client
// built on it is matched by c's faults and overrides:
//
//	hc := &http.Client{Transport: ctl.Transport(nil)}
func (c *Client) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return keyTransport{key: c.Key, base: base}
}

type keyTransport struct {
	key  string
	base http.RoundTripper
}

func (t keyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.key == "" {
		return t.base.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.Header.Set(KeyHeader, t.key)
	return t.base.RoundTrip(r)
}

func (c *Client) keyQuery() url.Values {
	return url.Values{"key": {c.Key}}
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	u := strings.TrimSuffix(c.BaseURL, "/") + Prefix + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("simctl: encode: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("simctl: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("simctl: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("simctl: read %s %s: %w", method, path, err)
	}
	if resp.StatusCode == http.StatusNotFound && !isAPIError(resp.Header.Get("Content-Type"), raw) {
		// Not the control API's own 404 (which says what was not found):
		// the simulator's catch-all, so the API is not there.
		return ErrDisabled
	}
	if resp.StatusCode >= 300 {
		e := &Error{StatusCode: resp.StatusCode}
		if json.Unmarshal(raw, e) != nil || e.Code == "" {
			e.Code, e.Message = http.StatusText(resp.StatusCode), strings.TrimSpace(string(raw))
		}
		return e
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("simctl: decode %s %s: %w", method, path, err)
		}
	}
	return nil
}

// isAPIError reports whether raw is an error of the simulator's APIs
// ({"error": ..., "message": ...}) rather than its catch-all's answer for
// a route it does not serve.
func isAPIError(contentType string, raw []byte) bool {
	var e struct {
		Message *string `json:"message"`
	}
	return strings.Contains(contentType, "json") && json.Unmarshal(raw, &e) == nil && e.Message != nil
}
