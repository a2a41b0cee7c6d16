package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
)

// DESIGN §6: authorize, cached, with the caller's bearer token verified,
// against a bare net/http handler that decodes the same XACML body and
// answers from a map, in the same run, over 64 keep-alive connections.
//
// The cached targets run in interleaved rounds (bare, rest, graphql, bare,
// ...) so that a change in the machine's background load during the run
// falls on all of them alike rather than on one.
const (
	loadConns    = 64
	loadRounds   = 3
	loadRequests = 15_000          // per cached target and round
	loadFresh    = 3_000           // per uncached target: one new system user each
	loadLimit    = 2 * time.Second // per run, whatever the count
	loadWarmup   = 2_000
	// The open-loop phase: its rate as a share of the bare handler's
	// closed-loop rps (the GraphQL throughput bar, so that every target is
	// by requirement within its capacity), and how long each paced run lasts.
	loadPacedShare = 0.35
	loadPacedFor   = time.Second
)

// BenchmarkAuthorizeLoad runs every phase once per iteration (a phase is
// itself thousands of requests; one iteration is the natural setting) and
// reports the last iteration's figures.
func BenchmarkAuthorizeLoad(b *testing.B) {
	env := newAuthzEnv(b)
	ctx := context.Background()
	var res map[string]loadResult
	for range b.N {
		b.StopTimer()
		freshREST, freshGQL := env.freshSystemUsers(b, loadFresh), env.freshSystemUsers(b, loadFresh)
		b.StartTimer()
		res = map[string]loadResult{}
		cached := []loadTarget{env.bareTarget(), env.restTarget("rest", env.cachedBody), env.graphqlTarget("graphql", env.cachedGraphQL)}
		for _, t := range cached {
			if _, err := runLoad(ctx, t, loadConns, loadWarmup, loadLimit); err != nil {
				b.Fatal(err)
			}
		}
		run := func(t loadTarget, n int) {
			// The previous run's decisions must not be written on this
			// run's time.
			if err := env.engine.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			r, err := runLoad(ctx, t, loadConns, n, loadLimit)
			if err != nil {
				b.Fatal(err)
			}
			res[t.name] = res[t.name].merge(r)
		}
		for range loadRounds {
			for _, t := range cached {
				run(t, loadRequests)
			}
		}
		// The same targets again at one fixed arrival rate, a share of what
		// the bare handler just managed: closed-loop p99s above mostly restate
		// the throughput ratio (latency ≈ conns/throughput), these compare
		// the tails at equal load.
		rate := loadPacedShare * res["bare"].rps
		for range loadRounds {
			for _, t := range cached {
				if err := env.engine.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				r, err := runPaced(ctx, t, loadConns, rate, int(rate*loadPacedFor.Seconds()), loadLimit)
				if err != nil {
					b.Fatal(err)
				}
				res["paced_"+t.name] = res["paced_"+t.name].merge(r)
			}
		}
		// Uncached: one SQL round trip per request, each for a system user
		// no cache has seen. A run cut short by the limit may leave up to
		// loadConns queries without a counted answer, and as many of them
		// may finish only after the next run has started counting.
		for _, t := range []loadTarget{
			env.restTarget("rest_uncached", func(i int) []byte { return env.xacml(freshREST[i]) }),
			env.graphqlTarget("graphql_uncached", func(i int) []byte { return env.graphqlBody(freshGQL[i]) }),
		} {
			before := env.counter.Count()
			run(t, loadFresh)
			if n, got := res[t.name].requests, env.counter.Count()-before; got < n || got > n+2*loadConns {
				b.Errorf("%s: %d SQL statements for %d requests, want one each", t.name, got, n)
			}
		}
	}
	b.StopTimer()
	b.Logf("%-17s %9s %9s %9s %9s %8s %8s", "target", "requests", "rps", "p50", "p99", "rps/bare", "p99/bare")
	for _, name := range []string{"bare", "rest", "graphql", "rest_uncached", "graphql_uncached", "paced_bare", "paced_rest", "paced_graphql"} {
		bare := res["bare"]
		if strings.HasPrefix(name, "paced_") {
			bare = res["paced_bare"]
		}
		r := res[name]
		b.Logf("%-17s %9d %9.0f %9s %9s %7.0f%% %7.2fx", name, r.requests, r.rps,
			r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), 100*r.rps/bare.rps, float64(r.p99)/float64(bare.p99))
		b.ReportMetric(r.rps, name+"_rps")
		b.ReportMetric(float64(r.p50.Microseconds()), name+"_p50_µs")
		b.ReportMetric(float64(r.p99.Microseconds()), name+"_p99_µs")
		if name != "bare" && name != "paced_bare" {
			b.ReportMetric(100*r.rps/bare.rps, name+"_vs_bare_rps_%")
			b.ReportMetric(float64(r.p99)/float64(bare.p99), name+"_vs_bare_p99_x")
		}
	}
}

// authzEnv is a gateway with a live PDP (listener + Engine.Run) on a fresh
// database, trusting an httptest JWKS of a real simulator key set, beside
// the bare reference handler.
type authzEnv struct {
	bdb           *bun.DB
	engine        *pdp.Engine
	verifier      *auth.Verifier
	counter       *dbtest.QueryCounter
	gatewayURL    string
	bareURL       string
	bearer        string
	serviceOwner  string
	owner         string
	systemID      string
	cachedUser    uuid.UUID
	cachedBody    func(int) []byte
	cachedGraphQL func(int) []byte
}

func newAuthzEnv(tb testing.TB) *authzEnv {
	tb.Helper()
	ge := gatewaytest.New(tb, gatewaytest.WithEvents(), gatewaytest.WithTokenLifetime(10*time.Minute),
		gatewaytest.WithConfig(func(c *gateway.Config) { c.GraphQL = gateway.GraphQLConfig{} }))
	orgs := validOrgNumbers(3)
	env := &authzEnv{bdb: ge.DB, counter: ge.Counter, engine: ge.PDP,
		serviceOwner: orgs[0], owner: orgs[1], systemID: orgs[2] + "_ledger"}
	env.seed(tb, orgs[2])
	env.cachedUser = env.freshSystemUsers(tb, 1)[0]
	env.bearer = "Bearer " + ge.VendorToken(tb, env.serviceOwner, "altinn:authorization/authorize")
	env.verifier = ge.Verifier
	bare := httptest.NewServer(newBareHandler(map[string]string{
		env.cachedUser.String() + "|read|res-a|" + env.owner: "Permit",
	}))
	tb.Cleanup(bare.Close)
	env.gatewayURL, env.bareURL = ge.URL, bare.URL
	cached, cachedGQL := env.xacml(env.cachedUser), env.graphqlBody(env.cachedUser)
	env.cachedBody = func(int) []byte { return cached }
	env.cachedGraphQL = func(int) []byte { return cachedGQL }
	env.waitCached(tb, cached)
	return env
}

func (e *authzEnv) seed(tb testing.TB, vendor string) {
	tb.Helper()
	ctx := context.Background()
	for _, m := range []any{
		&db.Organization{OrgNumber: e.serviceOwner, Name: "Service Owner"},
		&db.Organization{OrgNumber: e.owner, Name: "Owner AS"},
		&db.Organization{OrgNumber: vendor, Name: "Vendor AS"},
		&db.Resource{ID: "res-a", OwnerOrg: e.serviceOwner, TitleNB: "A", TitleNN: "A", TitleEN: "A", Delegable: true},
		&db.ResourceAction{ResourceID: "res-a", Action: "read"},
		&db.System{ID: e.systemID, VendorOrg: vendor, NameNB: "S", NameNN: "S", NameEN: "S", IsVisible: true},
		&db.SystemRight{SystemID: e.systemID, ResourceID: "res-a", Action: "read"},
	} {
		if _, err := e.bdb.NewInsert().Model(m).Exec(ctx); err != nil {
			tb.Fatalf("insert %T: %v", m, err)
		}
	}
}

// freshSystemUsers inserts n system users of the system, each granted
// res-a/read, none of them in any cache yet.
func (e *authzEnv) freshSystemUsers(tb testing.TB, n int) []uuid.UUID {
	tb.Helper()
	ctx := context.Background()
	users := make([]db.SystemUser, n)
	rights := make([]db.SystemUserRight, n)
	for i := range users {
		id := uuid.New()
		users[i] = db.SystemUser{ID: id, IntegrationTitle: "bench", SystemID: e.systemID, OwnerOrg: e.owner,
			ExternalRef: id.String(), UserType: registry.TypeStandard}
		rights[i] = db.SystemUserRight{SystemUserID: id, ResourceID: "res-a", Action: "read"}
	}
	ids := make([]uuid.UUID, n)
	for i := range users {
		ids[i] = users[i].ID
	}
	for start := 0; start < n; start += 1000 {
		end := min(start+1000, n)
		us, rs := users[start:end], rights[start:end]
		if _, err := e.bdb.NewInsert().Model(&us).Exec(ctx); err != nil {
			tb.Fatalf("insert system users: %v", err)
		}
		if _, err := e.bdb.NewInsert().Model(&rs).Exec(ctx); err != nil {
			tb.Fatalf("insert rights: %v", err)
		}
	}
	return ids
}

// waitCached returns once a request for body runs no SQL: the listener is
// connected and the engine caches.
func (e *authzEnv) waitCached(tb testing.TB, body []byte) {
	tb.Helper()
	t := e.restTarget("warm", func(int) []byte { return body })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := runLoad(context.Background(), t, 1, 1, 5*time.Second); err != nil {
			tb.Fatal(err)
		}
		before := e.counter.Count()
		if _, err := runLoad(context.Background(), t, 1, 1, 5*time.Second); err != nil {
			tb.Fatal(err)
		}
		if e.counter.Count() == before {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal("authorize still runs SQL after 10s: the PDP cache never went live")
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline: no event says "cache live"
	}
}

func (e *authzEnv) xacml(systemUser uuid.UUID) []byte {
	return fmt.Appendf(nil, `{"Request":{"ReturnPolicyIdList":false,
  "AccessSubject":[{"Attribute":[{"AttributeId":"urn:altinn:systemuser:uuid","Value":%q}]}],
  "Action":[{"Attribute":[{"AttributeId":"urn:oasis:names:tc:xacml:1.0:action:action-id","Value":"read","DataType":"http://www.w3.org/2001/XMLSchema#string"}]}],
  "Resource":[{"Attribute":[{"AttributeId":"urn:altinn:resource","Value":"res-a"},
    {"AttributeId":"urn:altinn:organization:identifier-no","Value":%q}]}]}}`, systemUser.String(), e.owner)
}

func (e *authzEnv) graphqlBody(systemUser uuid.UUID) []byte {
	b, _ := json.Marshal(map[string]any{
		"query": `mutation Authorize($in: AuthorizeInput!) { authorize(input: $in) { result reasonCode } }`,
		"variables": map[string]any{"in": map[string]any{
			"systemUserId": systemUser.String(), "action": "read", "resourceId": "res-a", "partyOrgNumber": e.owner,
		}},
	})
	return b
}

func (e *authzEnv) headers() http.Header {
	return http.Header{"Authorization": {e.bearer}, "Content-Type": {"application/json"}}
}

func (e *authzEnv) restTarget(name string, body func(int) []byte) loadTarget {
	return loadTarget{name: name, url: e.gatewayURL + "/authorization/api/v1/authorize", header: e.headers(), body: body,
		check: expect(`"decision":"Permit"`)}
}

func (e *authzEnv) graphqlTarget(name string, body func(int) []byte) loadTarget {
	return loadTarget{name: name, url: e.gatewayURL + "/graphql", header: e.headers(), body: body,
		check: expect(`"result":"PERMIT"`)}
}

func (e *authzEnv) bareTarget() loadTarget {
	return loadTarget{name: "bare", url: e.bareURL, header: e.headers(), body: e.cachedBody,
		check: expect(`"decision":"Permit"`)}
}

func expect(substr string) func(int, []byte) error {
	return func(status int, body []byte) error {
		if status != http.StatusOK || !bytes.Contains(body, []byte(substr)) {
			return fmt.Errorf("status %d, body %.300s; want %s", status, body, substr)
		}
		return nil
	}
}

// The bare reference: encoding/json in (case-insensitive, as the profile
// needs), a map lookup, encoding/json out. No auth, no log.
type bareRequest struct {
	Request struct {
		AccessSubject, Action, Resource []struct {
			Attribute []struct {
				AttributeID string `json:"AttributeId"`
				Value       string
			}
		}
	}
}

type bareResponse struct {
	Response []bareResult `json:"response"`
}

type bareResult struct {
	Decision string `json:"decision"`
	Status   struct {
		StatusCode struct {
			Value string `json:"value"`
		} `json:"statusCode"`
	} `json:"status"`
}

func newBareHandler(decisions map[string]string) http.Handler {
	attr := func(cats []struct {
		Attribute []struct {
			AttributeID string `json:"AttributeId"`
			Value       string
		}
	}, id string) string {
		for _, c := range cats {
			for _, a := range c.Attribute {
				if a.AttributeID == id {
					return a.Value
				}
			}
		}
		return ""
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req bareRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rq := req.Request
		key := attr(rq.AccessSubject, "urn:altinn:systemuser:uuid") + "|" +
			attr(rq.Action, "urn:oasis:names:tc:xacml:1.0:action:action-id") + "|" +
			attr(rq.Resource, "urn:altinn:resource") + "|" + attr(rq.Resource, "urn:altinn:organization:identifier-no")
		d, ok := decisions[key]
		if !ok {
			d = "NotApplicable"
		}
		res := bareResult{Decision: d}
		res.Status.StatusCode.Value = "urn:oasis:names:tc:xacml:1.0:status:ok"
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(bareResponse{Response: []bareResult{res}})
	})
}
