// Package pgstore keeps the simulator's clients and persons in the gateway's
// PostgreSQL database, so clients created through the admin API survive a
// restart when the simulator runs beside the gateway.
package pgstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/simulator"
)

// Clients is a simulator.ClientStore on Postgres. Get is on the token hot
// path, so clients are cached in memory for a short time; writes through this
// store drop the cached entry at once.
type Clients struct {
	db  *bun.DB
	ttl time.Duration
	now func() time.Time

	mu    sync.RWMutex
	cache map[string]cachedClient
}

type cachedClient struct {
	c   simulator.Client
	err error
	at  time.Time
}

var _ simulator.ClientStore = (*Clients)(nil)

// NewClients returns a store on bdb; ttl bounds how long a client read is reused.
func NewClients(bdb *bun.DB, ttl time.Duration) *Clients {
	return &Clients{db: bdb, ttl: ttl, now: time.Now, cache: map[string]cachedClient{}}
}

func (s *Clients) Get(ctx context.Context, id string) (simulator.Client, error) {
	s.mu.RLock()
	e, ok := s.cache[id]
	s.mu.RUnlock()
	if ok && s.now().Sub(e.at) < s.ttl {
		return e.c, e.err
	}
	c, err := s.get(ctx, id)
	if err == nil || errors.Is(err, simulator.ErrClientNotFound) {
		s.mu.Lock()
		s.cache[id] = cachedClient{c: c, err: err, at: s.now()}
		s.mu.Unlock()
	}
	return c, err
}

func (s *Clients) get(ctx context.Context, id string) (simulator.Client, error) {
	var m db.MaskinportenClient
	err := s.db.NewSelect().Model(&m).Relation("Keys").
		Where("mc.client_id = ?", id).Where("mc.deleted_at IS NULL").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return simulator.Client{}, simulator.ErrClientNotFound
	}
	if err != nil {
		return simulator.Client{}, storeErr("get client", err)
	}
	return toClient(&m)
}

func toClient(m *db.MaskinportenClient) (simulator.Client, error) {
	c := simulator.Client{ID: m.ClientID, OrgNumber: m.OrgNumber, Name: m.Name, Scopes: m.Scopes}
	for _, k := range m.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(k.PublicJWK); err != nil {
			return simulator.Client{}, fmt.Errorf("pgstore: key %s of %s: %w", k.Kid, m.ClientID, err)
		}
		c.Keys = append(c.Keys, jwk)
	}
	return c, nil
}

func (s *Clients) List(ctx context.Context) ([]simulator.Client, error) {
	var ms []*db.MaskinportenClient
	err := s.db.NewSelect().Model(&ms).Relation("Keys").
		Where("mc.deleted_at IS NULL").Order("mc.client_id").Scan(ctx)
	if err != nil {
		return nil, storeErr("list clients", err)
	}
	out := make([]simulator.Client, 0, len(ms))
	for _, m := range ms {
		c, err := toClient(m)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Clients) Create(ctx context.Context, c simulator.Client) error {
	c, err := simulator.ValidateClient(c)
	if err != nil {
		return err
	}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		m := &db.MaskinportenClient{ClientID: c.ID, OrgNumber: c.OrgNumber, Name: c.Name, Scopes: nonNil(c.Scopes)}
		// A soft-deleted client's id may be taken again.
		if _, err := tx.NewDelete().Model((*db.MaskinportenClient)(nil)).
			Where("client_id = ? AND deleted_at IS NOT NULL", c.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
			if _, dup := db.IsUniqueViolation(err); dup {
				return simulator.ErrClientExists
			}
			if _, fk := db.IsForeignKeyViolation(err); fk {
				return fmt.Errorf("%w: organisation %s is not registered", simulator.ErrInvalidClient, c.OrgNumber)
			}
			return err
		}
		return insertKeys(ctx, tx, c.ID, c.Keys)
	})
	s.forget(c.ID)
	if err != nil && !errors.Is(err, simulator.ErrClientExists) && !errors.Is(err, simulator.ErrInvalidClient) {
		return storeErr("create client", err)
	}
	return err
}

func insertKeys(ctx context.Context, tx bun.Tx, clientID string, keys []jose.JSONWebKey) error {
	for _, k := range keys {
		raw, err := json.Marshal(k.Public())
		if err != nil {
			return err
		}
		row := &db.MaskinportenClientKey{ClientID: clientID, Kid: k.KeyID, PublicJWK: raw}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (s *Clients) Delete(ctx context.Context, id string) error {
	defer s.forget(id)
	res, err := s.db.NewUpdate().Model((*db.MaskinportenClient)(nil)).
		Set("deleted_at = now()").Where("client_id = ? AND deleted_at IS NULL", id).Exec(ctx)
	if err != nil {
		return storeErr("delete client", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return simulator.ErrClientNotFound
	}
	return nil
}

func (s *Clients) ReplaceKeys(ctx context.Context, id string, keys []jose.JSONWebKey) error {
	defer s.forget(id)
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*db.MaskinportenClient)(nil)).
			Where("client_id = ? AND deleted_at IS NULL", id).For("UPDATE").Count(ctx)
		if err != nil {
			return storeErr("replace keys", err)
		}
		if n == 0 {
			return simulator.ErrClientNotFound
		}
		if _, err := tx.NewDelete().Model((*db.MaskinportenClientKey)(nil)).Where("client_id = ?", id).Exec(ctx); err != nil {
			return storeErr("replace keys", err)
		}
		if err := insertKeys(ctx, tx, id, keys); err != nil {
			return storeErr("replace keys", err)
		}
		return nil
	})
}

func (s *Clients) forget(id string) {
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Persons is a simulator.PersonStore reading the gateway's persons.
type Persons struct{ db *bun.DB }

var _ simulator.PersonStore = Persons{}

// NewPersons returns a person store on bdb.
func NewPersons(bdb *bun.DB) Persons { return Persons{db: bdb} }

func (p Persons) Get(ctx context.Context, pid string) (simulator.Person, error) {
	var m db.Person
	err := p.db.NewSelect().Model(&m).Where("pid = ?", pid).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return simulator.Person{}, simulator.ErrPersonNotFound
	}
	if err != nil {
		return simulator.Person{}, storeErr("get person", err)
	}
	return simulator.Person{PID: m.PID, Name: m.Name}, nil
}

func (p Persons) List(ctx context.Context) ([]simulator.Person, error) {
	var ms []db.Person
	if err := p.db.NewSelect().Model(&ms).Order("name").Scan(ctx); err != nil {
		return nil, storeErr("list persons", err)
	}
	out := make([]simulator.Person, len(ms))
	for i, m := range ms {
		out[i] = simulator.Person{PID: m.PID, Name: m.Name}
	}
	return out, nil
}

// storeErr wraps a database failure of op, marking one that may pass on a
// retry (the database unreachable or restarting) as
// simulator.ErrStoreUnavailable.
func storeErr(op string, err error) error {
	if db.IsUnavailable(err) {
		return fmt.Errorf("pgstore: %s: %w: %w", op, simulator.ErrStoreUnavailable, err)
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}
