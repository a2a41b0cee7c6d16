package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

// The vendor is a resolver field, so gqlgen defers it; systemId is not.
const deferredVendor = `{ systems(first: 2) { edges { node { systemId ... @defer(label: "vendor") { vendor { orgNumber } } } } } }`

func deferWorld(t *testing.T) *gatewaytest.Env {
	t.Helper()
	e := gatewaytest.New(t)
	mustExec(t, e.DB, &db.Organization{OrgNumber: "313775429", Name: "Owner AS"})
	world(t, e.DB, 2, "313775429")
	return e
}

// TestDeferOverMultipart is what Apollo Client and urql send for @defer:
// Accept: multipart/mixed. The first part holds the fields at hand with
// hasNext, later parts the deferred ones under incremental, the last says
// hasNext false.
func TestDeferOverMultipart(t *testing.T) {
	t.Parallel()
	e := deferWorld(t)
	body, _ := json.Marshal(map[string]any{"query": deferredVendor})
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "multipart/mixed;deferSpec=20220824, application/json")
	resp, err := e.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, content type %q: want 200 multipart/mixed", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	type payload struct {
		Data        json.RawMessage `json:"data"`
		HasNext     bool            `json:"hasNext"`
		Errors      []any           `json:"errors"`
		Incremental []struct {
			Data  json.RawMessage `json:"data"`
			Label string          `json:"label"`
			Path  []any           `json:"path"`
		} `json:"incremental"`
	}
	var parts []payload
	mr := multipart.NewReader(resp.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var pl payload
		if err := json.NewDecoder(p).Decode(&pl); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, pl)
	}
	if len(parts) < 2 {
		t.Fatalf("%d parts, want the initial one and the deferred ones: %+v", len(parts), parts)
	}
	first, last := parts[0], parts[len(parts)-1]
	if !first.HasNext || last.HasNext || len(first.Errors) > 0 {
		t.Fatalf("hasNext %v first, %v last; errors %v", first.HasNext, last.HasNext, first.Errors)
	}
	if !strings.Contains(string(first.Data), `"systemId"`) || strings.Contains(string(first.Data), `"orgNumber"`) {
		t.Fatalf("initial payload %s: want the systems without their vendors", first.Data)
	}
	vendors := 0
	for _, p := range parts[1:] {
		for _, inc := range p.Incremental {
			if inc.Label == "vendor" && strings.Contains(string(inc.Data), `"orgNumber"`) && len(inc.Path) == 4 {
				vendors++
			}
		}
	}
	if vendors != 2 {
		t.Fatalf("%d deferred vendors delivered, want 2: %+v", vendors, parts[1:])
	}
}

// TestDeferOnASingleResponseTransport: a plain POST or GET answers once, so
// a deferred fragment would be dropped; the operation is refused instead,
// unless its @defer is off.
func TestDeferOnASingleResponseTransport(t *testing.T) {
	t.Parallel()
	e := deferWorld(t)
	const fragment = `query { systems(first: 2) { edges { node { ...V @defer } } } } fragment V on System { systemId vendor { orgNumber } }`
	tests := []struct {
		name    string
		method  string
		query   string
		vars    map[string]any
		refused bool
	}{
		{"POST, inline fragment", http.MethodPost, deferredVendor, nil, true},
		{"GET, inline fragment", http.MethodGet, deferredVendor, nil, true},
		{"POST, fragment spread", http.MethodPost, fragment, nil, true},
		{"POST, @defer(if: false)", http.MethodPost, strings.Replace(deferredVendor, `@defer(label: "vendor")`, `@defer(if: false)`, 1), nil, false},
		{"POST, @defer(if: $d) with d false", http.MethodPost,
			`query($d: Boolean!) { systems(first: 2) { edges { node { systemId ... @defer(if: $d) { vendor { orgNumber } } } } } }`,
			map[string]any{"d": false}, false},
		{"POST, @defer(if: $d) with d true", http.MethodPost,
			`query($d: Boolean!) { systems(first: 2) { edges { node { systemId ... @defer(if: $d) { vendor { orgNumber } } } } } }`,
			map[string]any{"d": true}, true},
		{"POST, no @defer", http.MethodPost, `{ systems(first: 2) { edges { node { systemId vendor { orgNumber } } } } }`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var req *http.Request
			if tt.method == http.MethodGet {
				req, _ = http.NewRequest(http.MethodGet, e.URL+"/graphql?query="+url.QueryEscape(tt.query), nil)
			} else {
				body, _ := json.Marshal(map[string]any{"query": tt.query, "variables": tt.vars})
				req, _ = http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := e.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out struct {
				Data    json.RawMessage `json:"data"`
				HasNext *bool           `json:"hasNext"`
				Errors  []struct {
					Extensions map[string]any `json:"extensions"`
				} `json:"errors"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			if out.HasNext != nil {
				t.Fatalf("a single response with hasNext %v", *out.HasNext)
			}
			if tt.refused {
				if len(out.Errors) != 1 || out.Errors[0].Extensions["code"] != "INCREMENTAL_DELIVERY_REQUIRED" || string(out.Data) != "null" {
					t.Fatalf("status %d, data %s, errors %+v: want INCREMENTAL_DELIVERY_REQUIRED and no data", resp.StatusCode, out.Data, out.Errors)
				}
				return
			}
			if len(out.Errors) > 0 || strings.Count(string(out.Data), `"orgNumber"`) != 2 {
				t.Fatalf("data %s, errors %+v: want both vendors", out.Data, out.Errors)
			}
		})
	}
}

// TestDeferOverWebsocket: graphql-transport-ws sends every payload of an
// operation as its own next message.
func TestDeferOverWebsocket(t *testing.T) {
	t.Parallel()
	e := deferWorld(t)
	c := dialWS(t, e, e.VendorToken(t, "313775429", "altinn:authentication/systemregister.write"))
	c.subscribe("1", deferredVendor, nil)
	var payloads []string
	for {
		m := c.next()
		if m.Type == "complete" {
			break
		}
		if m.Type != "next" {
			t.Fatalf("got %s %s", m.Type, m.Payload)
		}
		payloads = append(payloads, string(m.Payload))
	}
	all := strings.Join(payloads, "\n")
	if len(payloads) < 2 || !strings.Contains(payloads[0], `"hasNext":true`) || strings.Contains(payloads[0], `"orgNumber"`) {
		t.Fatalf("payloads:\n%s\nwant the systems first, without their vendors", all)
	}
	// The deferred fragments as over multipart/mixed: under incremental.
	vendors := 0
	for _, p := range payloads[1:] {
		var inc struct {
			Incremental []struct {
				Data  struct{ Vendor struct{ OrgNumber string } }
				Label string
				Path  []any
			}
			HasNext *bool
		}
		if err := json.Unmarshal([]byte(p), &inc); err != nil || inc.HasNext == nil {
			t.Fatalf("payload %s: %v", p, err)
		}
		for _, i := range inc.Incremental {
			if i.Label == "vendor" && i.Data.Vendor.OrgNumber != "" && len(i.Path) == 4 {
				vendors++
			}
		}
	}
	if vendors != 2 || strings.Contains(payloads[len(payloads)-1], `"hasNext":true`) {
		t.Fatalf("payloads:\n%s\nwant both vendors under incremental, the last with hasNext false", all)
	}
}

// A multipart/mixed request whose body is not a GraphQL request in JSON is
// refused before gqlgen's transport, which would log the body.
func TestMultipartRefusesAMalformedBody(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	for _, body := range []string{`{"query": `, `[1,2]`, `"just a string"`} {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "multipart/mixed")
		resp, err := e.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "BAD_USER_INPUT") {
			t.Errorf("body %q: status %d %s, want 400 BAD_USER_INPUT", body, resp.StatusCode, b)
		}
	}
}
