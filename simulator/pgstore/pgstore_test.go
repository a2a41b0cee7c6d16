package pgstore_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
	"github.com/systemuser-gateway/systemuser/simulator"
	"github.com/systemuser-gateway/systemuser/simulator/pgstore"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestClientLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	if _, err := bdb.NewInsert().Model(&db.Organization{OrgNumber: "991825827", Name: "Vendor AS"}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	store := pgstore.NewClients(bdb, 0)
	key, err := simulator.GenerateKey(jose.RS256, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := simulator.Client{ID: "vendor-client", OrgNumber: "991825827", Name: "v", Scopes: []string{"a:b"}, Keys: []jose.JSONWebKey{key}}
	if err := store.Create(ctx, c); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := store.Create(ctx, c); !errors.Is(err, simulator.ErrClientExists) {
		t.Fatalf("second create: got %v, want ErrClientExists", err)
	}
	got, err := store.Get(ctx, "vendor-client")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if k, ok := got.Key(key.KeyID); !ok || !k.IsPublic() {
		t.Fatalf("key %s missing or not public: %+v", key.KeyID, got.Keys)
	}
	list, err := store.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %v, %v; want one client", list, err)
	}
	key2, _ := simulator.GenerateKey(jose.RS256, rand.Reader)
	if err := store.ReplaceKeys(ctx, "vendor-client", []jose.JSONWebKey{key2}); err != nil {
		t.Fatalf("replace keys: %v", err)
	}
	got, _ = store.Get(ctx, "vendor-client")
	if _, ok := got.Key(key.KeyID); ok {
		t.Fatal("old key still present after ReplaceKeys")
	}
	if err := store.Delete(ctx, "vendor-client"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := store.Get(ctx, "vendor-client"); !errors.Is(err, simulator.ErrClientNotFound) {
		t.Fatalf("get after delete: %v, want ErrClientNotFound", err)
	}
	if err := store.Delete(ctx, "vendor-client"); !errors.Is(err, simulator.ErrClientNotFound) {
		t.Fatalf("second delete: %v, want ErrClientNotFound", err)
	}
	if err := store.Create(ctx, c); err != nil {
		t.Fatalf("re-create after delete: %v", err)
	}
}

func TestCreateUnknownOrgIsInvalid(t *testing.T) {
	t.Parallel()
	store := pgstore.NewClients(dbtest.New(t), 0)
	err := store.Create(context.Background(), simulator.Client{ID: "x", OrgNumber: "313775429", Scopes: []string{"a"}})
	if !errors.Is(err, simulator.ErrInvalidClient) {
		t.Fatalf("got %v, want ErrInvalidClient", err)
	}
}

// A key registered with its enterprise certificate keeps the chain (x5c)
// through the database.
func TestClientCertificateKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	if _, err := bdb.NewInsert().Model(&db.Organization{OrgNumber: "991825827", Name: "Vendor AS"}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	ca, err := simulator.NewTestCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	key, err := simulator.GenerateKey(jose.RS256, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(key.Public().Key, simulator.EnterpriseCertOptions{OrgNumber: "991825827", OrgName: "Vendor AS", NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public()
	pub.Certificates = []*x509.Certificate{cert, ca.Cert}
	store := pgstore.NewClients(bdb, 0)
	if err := store.Create(ctx, simulator.Client{ID: "cert-client", OrgNumber: "991825827", Scopes: []string{"a:b"}, Keys: []jose.JSONWebKey{pub}}); err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx, "cert-client")
	if err != nil {
		t.Fatal(err)
	}
	k, ok := got.Key(key.KeyID)
	if !ok || len(k.Certificates) != 2 || !k.Certificates[0].Equal(cert) {
		t.Fatalf("key %+v", k)
	}
}
