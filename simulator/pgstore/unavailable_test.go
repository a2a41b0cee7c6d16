package pgstore_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/systemuser-gateway/systemuser/simulator"
	"github.com/systemuser-gateway/systemuser/simulator/pgstore"
)

// A database that cannot be reached is "unavailable", which the token
// endpoint answers with 503 temporarily_unavailable, not "internal".
func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	t.Parallel()
	bdb := bun.NewDB(sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN("postgres://postgres@127.0.0.1:1/none?sslmode=disable"))), pgdialect.New())
	t.Cleanup(func() { bdb.Close() })
	if _, err := pgstore.NewClients(bdb, 0).Get(context.Background(), "any"); !errors.Is(err, simulator.ErrStoreUnavailable) {
		t.Errorf("clients: %v, want ErrStoreUnavailable", err)
	}
	if _, err := pgstore.NewPersons(bdb).Get(context.Background(), "01017012345"); !errors.Is(err, simulator.ErrStoreUnavailable) {
		t.Errorf("persons: %v, want ErrStoreUnavailable", err)
	}
}
