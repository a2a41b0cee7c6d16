// Package dataloaders batches the lookups nested GraphQL fields make, so the
// number of SQL queries per request grows with the query's depth, not with
// the size of its lists. Loaders live for one request (or one subscription
// event): their cache must not outlive the data it read.
package dataloaders

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/systemuser-gateway/systemuser/registry"
)

// DefaultWait is how long a loader waits for more keys. dataloadgen's default
// (16 ms) would be a latency floor on every nesting level; a key that misses
// the window only costs one more batch.
const DefaultWait = 500 * time.Microsecond

// Source is what the loaders read from; *registry.Service implements it.
// Its batch methods are unscoped: the parent object was already authorised.
type Source interface {
	OrganizationsByNumber(ctx context.Context, orgNumbers []string) (map[string]*registry.Organization, error)
	SystemsByID(ctx context.Context, ids []string) (map[string]*registry.System, error)
	ResourcesByID(ctx context.Context, ids []string) (map[string]*registry.Resource, error)
	AccessPackagesByURN(ctx context.Context, urns []string) (map[string]*registry.AccessPackage, error)
	SystemUsersByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.SystemUser, error)
	SystemChangeLogsByID(ctx context.Context, systemIDs []string) (map[string][]*registry.SystemChange, error)
	FirstSystemUserPages(ctx context.Context, keys []registry.SystemPageKey) (map[registry.SystemPageKey]*registry.Connection[*registry.SystemUser], error)
}

// Peeker answers catalog lookups from memory without reading SQL; a miss
// says nothing. *registry.Service implements it (its catalog cache).
type Peeker interface {
	PeekOrganization(orgNumber string) (*registry.Organization, bool)
	PeekSystem(id string) (*registry.System, bool)
	PeekResource(id string) (*registry.Resource, bool)
	PeekAccessPackage(urn string) (*registry.AccessPackage, bool)
}

// Loaders are one request's batching loaders.
type Loaders struct {
	Organization  *Loader[string, *registry.Organization]
	System        *Loader[string, *registry.System]
	Resource      *Loader[string, *registry.Resource]
	AccessPackage *Loader[string, *registry.AccessPackage]
	SystemUser    *Loader[uuid.UUID, *registry.SystemUser]
	// SystemUserPage is the first page of a system's system users, as the
	// caller may see them (the loaders live for one caller's request).
	SystemUserPage *Loader[registry.SystemPageKey, *registry.Connection[*registry.SystemUser]]
	// SystemChangeLog loads a system's change log by system id.
	SystemChangeLog *Loader[string, []*registry.SystemChange]
}

// New returns fresh loaders reading from src, each batching keys that arrive
// within wait (DefaultWait if zero). If src is also a Peeker, the catalog's
// loaders answer what it holds at once.
func New(src Source, wait time.Duration) *Loaders {
	if wait <= 0 {
		wait = DefaultWait
	}
	opt := dataloadgen.WithWait(wait)
	var (
		peekOrg      func(string) (*registry.Organization, bool)
		peekSystem   func(string) (*registry.System, bool)
		peekResource func(string) (*registry.Resource, bool)
		peekPackage  func(string) (*registry.AccessPackage, bool)
	)
	if p, ok := src.(Peeker); ok {
		peekOrg, peekSystem, peekResource, peekPackage = p.PeekOrganization, p.PeekSystem, p.PeekResource, p.PeekAccessPackage
	}
	return &Loaders{
		Organization:    newLoader(src.OrganizationsByNumber, peekOrg, opt),
		System:          newLoader(src.SystemsByID, peekSystem, opt),
		Resource:        newLoader(src.ResourcesByID, peekResource, opt),
		AccessPackage:   newLoader(src.AccessPackagesByURN, peekPackage, opt),
		SystemUser:      newLoader(src.SystemUsersByID, nil, opt),
		SystemChangeLog: newLoader(src.SystemChangeLogsByID, nil, opt),
		SystemUserPage:  newLoader(src.FirstSystemUserPages, nil, opt),
	}
}

type ctxKey struct{}

// slot holds the loaders of a context. They are built on first use: most
// requests (authorize, mutations without nested reads) never load anything,
// and five loaders cost allocations on every request. A subscription swaps
// in fresh ones for every event so its cache never outlives the data it read.
type slot struct {
	src     Source
	wait    time.Duration
	loaders atomic.Pointer[Loaders]
}

// NewContext returns ctx carrying loaders reading from src, built when first
// asked for.
func NewContext(ctx context.Context, src Source, wait time.Duration) context.Context {
	return context.WithValue(ctx, ctxKey{}, &slot{src: src, wait: wait})
}

// Refresh drops the loaders of ctx; the next For builds empty ones (call it
// before each subscription event).
func Refresh(ctx context.Context) {
	if s, ok := ctx.Value(ctxKey{}).(*slot); ok {
		s.loaders.Store(nil)
	}
}

// For returns the loaders of ctx. It panics if the middleware did not run:
// that is a wiring bug, caught by every resolver test (and the GraphQL
// handler's recover func turns it into an internal error).
func For(ctx context.Context) *Loaders {
	s, ok := ctx.Value(ctxKey{}).(*slot)
	if !ok {
		panic("dataloaders: no loaders in context (is the middleware installed?)")
	}
	if l := s.loaders.Load(); l != nil {
		return l
	}
	// Concurrent first uses race to install theirs; all use the winner's, so
	// every field of one request shares one batch.
	fresh := New(s.src, s.wait)
	if s.loaders.CompareAndSwap(nil, fresh) {
		return fresh
	}
	return s.loaders.Load()
}

// Middleware gives every request its own loaders.
func Middleware(src Source, wait time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), src, wait)))
	})
}

// IsNotFound reports whether err is a loader's "no such key".
func IsNotFound(err error) bool { return errors.Is(err, dataloadgen.ErrNotFound) }
