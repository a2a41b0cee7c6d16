package gateway_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

func systemGlobalIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "System:%09d_sys%d", 310000000+i, i))
	}
	return ids
}

// TestNodesIsBounded: nodes(ids:) used to run one lookup per id with no
// price, so 2,000 ids cost thousands of statements, anonymously. Too many ids
// are refused before any SQL, and each id is priced like a node(id:).
func TestNodesIsBounded(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t)
	q := `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`

	t.Run("ErrTooManyIDs", func(t *testing.T) {
		e.Counter.Reset()
		out := e.GraphQL(t, "", q, map[string]any{"ids": systemGlobalIDs(2000)})
		if n := e.Counter.Count(); n != 0 {
			t.Fatalf("2,000 ids ran %d SQL statements, want 0", n)
		}
		if len(out.Errors) == 0 || out.Errors[0].Extensions["code"] != "TOO_MANY_IDS" ||
			out.Errors[0].Extensions["class"] != "BAD_USER_INPUT" ||
			!strings.Contains(out.Errors[0].Message, "100") {
			t.Fatalf("2,000 ids: %+v, want TOO_MANY_IDS (BAD_USER_INPUT) naming the cap", out.Errors)
		}
	})
	t.Run("ErrPricedPerID", func(t *testing.T) {
		// 100 ids, each asking for a page of 100 system users: the fan-out
		// the complexity limit exists for.
		heavy := `query($ids: [ID!]!) { nodes(ids: $ids) { ... on System { systemUsers(first: 100) { edges { node { id } } } } } }`
		e.Counter.Reset()
		out := e.GraphQL(t, "", heavy, map[string]any{"ids": systemGlobalIDs(100)})
		if len(out.Errors) == 0 || out.Errors[0].Extensions["code"] != "COMPLEXITY_LIMIT_EXCEEDED" {
			t.Fatalf("heavy nodes: %+v, want COMPLEXITY_LIMIT_EXCEEDED", out.Errors)
		}
		if n := e.Counter.Count(); n != 0 {
			t.Fatalf("a refused query ran %d SQL statements", n)
		}
	})
	t.Run("OK", func(t *testing.T) {
		out := e.GraphQL(t, "", q, map[string]any{"ids": systemGlobalIDs(100)})
		if len(out.Errors) != 0 || !strings.Contains(string(out.Data), `"nodes":[null`) {
			t.Fatalf("100 unknown ids: %s %+v, want a list of nulls", out.Data, out.Errors)
		}
	})
}

// TestAuthorizeBatchCap: the schema promises at most 100 questions; the
// engine used to take 1,000.
func TestAuthorizeBatchCap(t *testing.T) {
	t.Parallel()
	e := gatewaytest.New(t, gatewaytest.WithPDP())
	owner := e.VendorToken(t, "310000000", scopeAuthorize)
	batch := func(n int) []any {
		in := make([]any, n)
		for i := range in {
			in[i] = map[string]any{"systemUserId": "47caea5b-a80b-4343-b1d3-31eb523a4e28", "resourceId": "res-a",
				"action": "read", "partyOrgNumber": "310000000"}
		}
		return in
	}
	const m = `mutation($in: [AuthorizeInput!]!) { authorizeBatch(inputs: $in) { result } }`
	if out := e.GraphQL(t, owner, m, map[string]any{"in": batch(100)}); len(out.Errors) != 0 {
		t.Fatalf("100 questions: %+v", out.Errors)
	}
	out := e.GraphQL(t, owner, m, map[string]any{"in": batch(101)})
	if len(out.Errors) == 0 || out.Errors[0].Extensions["code"] != "BATCH_TOO_LARGE" {
		t.Fatalf("101 questions: %+v, want BATCH_TOO_LARGE", out.Errors)
	}
}
