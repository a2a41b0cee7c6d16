package db_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/db/dbtest"
)

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t) // migrated up by the template
	m, err := db.NewMigrator(bdb)
	if err != nil {
		t.Fatal(err)
	}
	tableExists := func() bool {
		var n int
		if err := bdb.NewRaw("SELECT count(*) FROM pg_tables WHERE tablename = 'system_users'").Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	if !tableExists() {
		t.Fatal("system_users missing after up")
	}
	for {
		names, err := m.Down(ctx)
		if err != nil {
			t.Fatalf("down: %v", err)
		}
		if len(names) == 0 {
			break
		}
	}
	if tableExists() {
		t.Fatal("system_users still there after down")
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Applied {
			t.Fatalf("%s still applied after down", s.Name)
		}
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if !tableExists() {
		t.Fatal("system_users missing after up again")
	}
	if n, err := m.Pending(ctx); err != nil || n != 0 {
		t.Fatalf("pending = %d, %v", n, err)
	}
}

// TestSchemaConstraints: the rules the schema itself enforces, whatever code
// (or hand-written SQL) writes the rows.
func TestSchemaConstraints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bdb := dbtest.New(t)
	exec := func(models ...any) error {
		return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, m := range models {
				if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
					return err
				}
			}
			return nil
		})
	}
	must := func(models ...any) {
		t.Helper()
		if err := exec(models...); err != nil {
			t.Fatal(err)
		}
	}
	must(&db.Organization{OrgNumber: "991825827", Name: "Vendor"}, &db.Organization{OrgNumber: "313775429", Name: "Customer"},
		&db.Resource{ID: "res", OwnerOrg: "991825827", TitleNB: "r", TitleNN: "r", TitleEN: "r"},
		&db.ResourceAction{ResourceID: "res", Action: "read"},
		&db.System{ID: "991825827_sys", VendorOrg: "991825827", NameNB: "s", NameNN: "s", NameEN: "s"})
	suID := uuid.New()
	must(&db.SystemUser{ID: suID, IntegrationTitle: "t", SystemID: "991825827_sys", OwnerOrg: "313775429", ExternalRef: "313775429", UserType: "standard"})
	deleted := time.Now()

	for _, tc := range []struct {
		name   string
		models []any
		ok     bool
	}{
		{"ErrOrgNumberCheckDigit", []any{&db.Organization{OrgNumber: "991825828", Name: "x"}}, false},
		{"ErrOrgNumberFormat", []any{&db.Organization{OrgNumber: "99182582", Name: "x"}}, false},
		{"ErrSystemIDNotVendorPrefixed", []any{&db.System{ID: "313775429_sys", VendorOrg: "991825827", NameNB: "s", NameNN: "s", NameEN: "s"}}, false},
		{"ErrSystemIDWithSpace", []any{&db.System{ID: "991825827_a b", VendorOrg: "991825827", NameNB: "s", NameNN: "s", NameEN: "s"}}, false},
		{"ErrRightOnUnknownAction", []any{&db.SystemRight{SystemID: "991825827_sys", ResourceID: "res", Action: "sign"}}, false},
		{"RightOnEveryAction", []any{&db.SystemRight{SystemID: "991825827_sys", ResourceID: "res"}}, true},
		{"ErrDuplicateAllActionsRight", []any{&db.SystemRight{SystemID: "991825827_sys", ResourceID: "res"}}, false},
		{"ErrClientIDOnTwoSystems", []any{
			&db.System{ID: "991825827_two", VendorOrg: "991825827", NameNB: "s", NameNN: "s", NameEN: "s"},
			&db.SystemClient{ClientID: "c", SystemID: "991825827_sys"}, &db.SystemClient{ClientID: "c", SystemID: "991825827_two"}}, false},
		{"ErrSecondActiveSystemUserForKey", []any{&db.SystemUser{IntegrationTitle: "t", SystemID: "991825827_sys", OwnerOrg: "313775429", ExternalRef: "313775429", UserType: "standard"}}, false},
		{"DeletedSystemUserFreesKey", []any{&db.SystemUser{IntegrationTitle: "t", SystemID: "991825827_sys", OwnerOrg: "313775429", ExternalRef: "other", UserType: "standard", DeletedAt: &deleted},
			&db.SystemUser{IntegrationTitle: "t", SystemID: "991825827_sys", OwnerOrg: "313775429", ExternalRef: "other", UserType: "standard"}}, true},
		{"ErrUserType", []any{&db.SystemUser{IntegrationTitle: "t", SystemID: "991825827_sys", OwnerOrg: "313775429", ExternalRef: "x", UserType: "robot"}}, false},
		{"ErrRequestStatus", []any{&db.Request{RequestType: "standard", SystemID: "991825827_sys", PartyOrg: "313775429", ExternalRef: "r", IntegrationTitle: "t", Status: "Maybe"}}, false},
		{"ErrAcceptedWithoutDecisionTime", []any{&db.Request{RequestType: "standard", SystemID: "991825827_sys", PartyOrg: "313775429", ExternalRef: "r", IntegrationTitle: "t", Status: "Accepted"}}, false},
		{"ErrPrivateKeyStored", []any{&db.MaskinportenClient{ClientID: "mp", OrgNumber: "991825827", Scopes: []string{}},
			&db.MaskinportenClientKey{ClientID: "mp", Kid: "k", PublicJWK: json.RawMessage(`{"kty":"RSA","n":"x","e":"AQAB","d":"secret"}`)}}, false},
		{"ErrChangeRequestIDIsTheSystemUser", []any{&db.ChangeRequest{ID: suID, SystemUserID: suID, Status: "New"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := exec(tc.models...)
			if tc.ok && err != nil {
				t.Fatalf("want success, got %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("want the schema to refuse this")
			}
		})
	}

	t.Run("ErrDecisionsAreAppendOnly", func(t *testing.T) {
		d := &db.Decision{ID: uuid.New(), DecidedAt: time.Now(), Action: "read", ResourceID: "res", Result: "Permit", ReasonCode: "PERMIT_RIGHT", Reason: "ok"}
		must(d)
		if _, err := bdb.NewUpdate().Model(d).Set("result = 'Deny'").WherePK().Exec(ctx); err == nil {
			t.Fatal("a decision was updated")
		}
		if _, err := bdb.NewDelete().Model(d).WherePK().Exec(ctx); err == nil {
			t.Fatal("a decision was deleted")
		}
		if _, err := bdb.ExecContext(ctx, "TRUNCATE decisions"); err == nil {
			t.Fatal("decisions were truncated")
		}
	})
}
