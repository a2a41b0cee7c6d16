package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// GraphQLError is one entry of a GraphQL response's errors.
type GraphQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// Code is extensions.code, or "".
func (e GraphQLError) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// GraphQLErrors is a response that carried errors; the data that came with
// them has been decoded into the caller's out.
type GraphQLErrors []GraphQLError

func (es GraphQLErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Message
		if c := e.Code(); c != "" {
			msgs[i] += " (" + c + ")"
		}
	}
	return "graphql: " + strings.Join(msgs, "; ")
}

// Codes lists every error's extensions.code.
func (es GraphQLErrors) Codes() []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Code()
	}
	return out
}

// GraphQL posts query with vars to the gateway's /graphql, with token as the
// bearer unless empty, and decodes data into out (unless nil). Errors in the
// response come back as GraphQLErrors.
func (s *Stack) GraphQL(ctx context.Context, token, query string, vars map[string]any, out any) error {
	return s.GraphQLAt(ctx, s.GatewayURL, token, query, vars, out)
}

// GraphQLAt is GraphQL against another gateway instance (StartGateway).
func (s *Stack) GraphQLAt(ctx context.Context, baseURL, token, query string, vars map[string]any, out any) error {
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors GraphQLErrors   `json:"errors"`
	}
	body := map[string]any{"query": query, "variables": vars}
	status, err := s.DoAt(ctx, baseURL, http.MethodPost, "/graphql", token, body, &resp)
	if err != nil {
		return err
	}
	if out != nil && len(resp.Data) > 0 && string(resp.Data) != "null" {
		if err := json.Unmarshal(resp.Data, out); err != nil {
			return fmt.Errorf("e2e: decode graphql data: %w", err)
		}
	}
	if len(resp.Errors) > 0 {
		return resp.Errors
	}
	if status != http.StatusOK {
		return fmt.Errorf("e2e: graphql: HTTP %d without errors", status)
	}
	return nil
}

// Do sends a request to the gateway at path (with query string) and returns
// the status. token, unless empty, goes in Authorization: Bearer. body is
// sent as JSON unless it is nil, url.Values (a form) or []byte (sent as
// JSON text). A JSON response body is decoded into out (unless nil), on
// error statuses too, so out may be a problem-details struct. Only transport
// and decoding failures are errors.
func (s *Stack) Do(ctx context.Context, method, path, token string, body, out any) (int, error) {
	return s.DoAt(ctx, s.GatewayURL, method, path, token, body, out)
}

// DoAt is Do against baseURL (another gateway instance or the simulator).
func (s *Stack) DoAt(ctx context.Context, baseURL, method, path, token string, body, out any) (int, error) {
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, contentType = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case []byte:
		rd, contentType = bytes.NewReader(b), "application/json"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return 0, fmt.Errorf("e2e: encode body: %w", err)
		}
		rd, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(baseURL, "/")+path, rd)
	if err != nil {
		return 0, fmt.Errorf("e2e: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return 0, fmt.Errorf("e2e: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("e2e: read %s %s: %w", method, path, err)
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("e2e: decode %s %s (HTTP %d): %w: %.200s", method, path, resp.StatusCode, err, raw)
		}
	}
	return resp.StatusCode, nil
}
