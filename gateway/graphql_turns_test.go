package gateway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/systemuser-gateway/systemuser/gateway"
	"github.com/systemuser-gateway/systemuser/gatewaytest"
)

// TestGraphQLAuthorizeAnswersWhileReadsWaitForTheDatabase: with every turn
// held by a read that waits on Postgres (a lock stands in for a database
// that stopped answering), an authorize answered from the cache still
// answers, without a turn, while those reads wait; they answer once the
// database does.
func TestGraphQLAuthorizeAnswersWhileReadsWaitForTheDatabase(t *testing.T) {
	t.Parallel()
	env := newAuthzEnv(t, gatewaytest.WithConfig(func(c *gateway.Config) {
		c.GraphQL.MaxConcurrent, c.GraphQL.TurnWait = 2, 20*time.Millisecond
	}))
	read := env.nestedReadWorld(t)
	ctx := context.Background()
	tx, err := env.bdb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "LOCK TABLE system_users IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	reads := make(chan error, 2)
	for range 2 {
		go func() { reads <- read.check(env.ge.Client) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for waiting := 0; waiting < 2; {
		if err := env.bdb.NewRaw(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`).
			Scan(ctx, &waiting); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reads waiting on the lock after 10 s, want 2", waiting)
		}
	}
	authorize := wrkTarget{url: env.gatewayURL + "/graphql", body: env.cachedGraphQL(0), bearer: env.bearer, want: `"result":"PERMIT"`}
	// Bounded: without its turn's longest wait, it would wait for the reads.
	hc := &http.Client{Transport: env.ge.Client.Transport, Timeout: 10 * time.Second}
	if err := authorize.check(hc); err != nil {
		t.Fatalf("authorize while both turns wait on the database: %v", err)
	}
	select {
	case err := <-reads:
		t.Fatalf("a read answered while the database held it: %v", err)
	default:
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-reads; err != nil {
			t.Fatalf("a read, once the database answered: %v", err)
		}
	}
}
