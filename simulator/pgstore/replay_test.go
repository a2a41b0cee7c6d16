package pgstore_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/simulator"
	"github.com/systemuser-gateway/systemuser/simulator/pgstore"
	"github.com/systemuser-gateway/systemuser/testclient"
)

func TestReplayUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	r := pgstore.NewReplay(bdb)
	r.PurgeInterval = time.Hour // purged explicitly below
	now := time.Unix(1_800_000_000, 0)
	a, b := simulator.ReplayKey(sha256.Sum256([]byte("a"))), simulator.ReplayKey(sha256.Sum256([]byte("b")))
	steps := []struct {
		name string
		key  simulator.ReplayKey
		exp  time.Duration
		at   time.Duration
		want error
	}{
		{"Fresh", a, 10 * time.Second, 0, nil},
		{"Used", a, 10 * time.Second, time.Second, simulator.ErrGrantUsed},
		{"OtherFresh", b, 5 * time.Second, time.Second, nil},
		{"StillUsedBeforeExpiry", a, 10 * time.Second, 9 * time.Second, simulator.ErrGrantUsed},
		{"ExpiredRowTakenOver", a, 30 * time.Second, 10 * time.Second, nil},
		{"TakenOverRowIsLive", a, 30 * time.Second, 11 * time.Second, simulator.ErrGrantUsed},
	}
	for _, s := range steps {
		if err := r.Use(ctx, s.key, now.Add(s.exp), now.Add(s.at)); !errors.Is(err, s.want) {
			t.Fatalf("%s: got %v, want %v", s.name, err, s.want)
		}
	}
	// b expired at +5 s; a lives until +30 s.
	n, err := r.Purge(ctx, now.Add(20*time.Second))
	if err != nil || n != 1 {
		t.Fatalf("purge = %d, %v; want 1 row", n, err)
	}
	var left int
	if err := bdb.NewRaw("SELECT count(*) FROM simulator_used_grants").Scan(ctx, &left); err != nil || left != 1 {
		t.Fatalf("rows left = %d, %v; want 1", left, err)
	}
}

// Use purges on its own once PurgeInterval has passed on the simulator clock.
func TestReplayPurgesOnUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	r := pgstore.NewReplay(bdb)
	now := time.Unix(1_800_000_000, 0)
	for i := range 3 {
		k := simulator.ReplayKey(sha256.Sum256([]byte{byte(i)}))
		if err := r.Use(ctx, k, now.Add(10*time.Second), now); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Use(ctx, sha256.Sum256([]byte("later")), now.Add(3*time.Minute), now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := bdb.NewRaw("SELECT count(*) FROM simulator_used_grants").Scan(ctx, &left); err != nil || left != 1 {
		t.Fatalf("rows left = %d, %v; want only the latest grant", left, err)
	}
}

// Two simulator instances sharing one database: an assertion accepted by one
// is "used before" on the other, with and without a jti.
func TestReplaySharedBetweenInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	if _, err := bdb.NewInsert().Model(&db.Organization{OrgNumber: "991825827", Name: "Vendor AS"}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := simulator.GenerateKey(jose.RS256, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const scope = "altinn:authentication/systemregister.write"
	if err := pgstore.NewClients(bdb, 0).Create(ctx, simulator.Client{ID: "vendor-client", OrgNumber: "991825827",
		Scopes: []string{scope}, Keys: []jose.JSONWebKey{key.Public()}}); err != nil {
		t.Fatal(err)
	}
	keys, err := simulator.NewKeySet(simulator.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	instance := func() string {
		srv, err := simulator.NewServer(simulator.Config{Issuer: simulator.DefaultIssuer, Keys: keys,
			Clients: pgstore.NewClients(bdb, time.Minute), Replay: pgstore.NewReplay(bdb)})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		return ts.URL
	}
	one, two := instance(), instance()
	hc := testclient.New(t)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	post := func(base, assertion string) (int, string) {
		resp, err := hc.PostForm(base+"/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get(simulator.ReasonHeader)
	}
	for _, jti := range []string{"", "shared-jti"} {
		now := time.Now()
		claims := map[string]any{"iss": "vendor-client", "aud": simulator.DefaultIssuer, "scope": scope,
			"iat": now.Unix(), "exp": now.Add(120 * time.Second).Unix()}
		if jti != "" {
			claims["jti"] = jti
		}
		a, err := jwt.Signed(signer).Claims(claims).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		if status, reason := post(one, a); status != http.StatusOK {
			t.Fatalf("jti %q on instance one: %d %s", jti, status, reason)
		}
		if status, reason := post(two, a); status != http.StatusBadRequest || reason != simulator.ErrReplayed.ID {
			t.Fatalf("jti %q replayed on instance two: %d %s, want 400 %s", jti, status, reason, simulator.ErrReplayed.ID)
		}
	}
}

// Racing instances: of many concurrent uses of one grant exactly one wins,
// also when the key's row is dead (expired) and being taken over.
func TestReplayRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	now := time.Unix(1_800_000_000, 0)
	key := simulator.ReplayKey(sha256.Sum256([]byte("raced")))
	// A dead row for the key: expired at now.
	if err := pgstore.NewReplay(bdb).Use(ctx, key, now, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	const n = 16
	errs := make(chan error, n)
	for range n {
		go func() { errs <- pgstore.NewReplay(bdb).Use(ctx, key, now.Add(time.Minute), now) }()
	}
	won := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			won++
		case !errors.Is(err, simulator.ErrGrantUsed):
			t.Fatalf("use: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent uses won, want exactly 1", won, n)
	}
}
