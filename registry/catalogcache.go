package registry

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

// The read-mostly catalog (systems with their rights, packages, client ids
// and redirect URLs; resources; access packages; organisations) is served
// from memory while RunCatalogCache runs and its listener is connected. The
// database's change events (KindSystem, KindCatalog, resets) drop it; the
// next read loads it again. This instance's own system writes drop it at
// commit, so a caller reads its own write; other instances see it when the
// event arrives (well under a second). Without a live listener every read
// goes to SQL, as before.

// maxCachedOrgs bounds the organisations kept: they are many at scale
// (every customer), so they are cached one by one as read, not all at once.
const maxCachedOrgs = 200_000

type catalogCache struct {
	live atomic.Bool
	snap atomic.Pointer[catalogSnapshot]
	// mu orders invalidation against storing a freshly loaded snapshot: a
	// load that raced with an event is used once, never stored.
	mu   sync.Mutex
	gen  uint64
	orgs map[string]*Organization
	// loading lets one request load the snapshot while the others wait.
	loading sync.Mutex
}

type catalogSnapshot struct {
	systems     map[string]*System // deleted ones included
	systemIDs   []string           // sorted
	resources   map[string]*Resource
	resourceIDs []string
	packages    map[string]*AccessPackage
	packageURNs []string
}

// RunCatalogCache serves the catalog from memory while events from l say it
// is current, until ctx ends; then every read goes to SQL again.
func (s *Service) RunCatalogCache(ctx context.Context, l *db.Listener) error {
	events, cancel := l.Subscribe(256)
	defer cancel()
	c := &s.catalog
	defer func() { c.invalidate(false) }()
	c.invalidate(l.Connected())
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-events:
			if !ok {
				if ctx.Err() != nil { // the listener stopped because we are stopping
					return ctx.Err()
				}
				return errors.New("registry: event listener stopped")
			}
			switch ev.Kind {
			case KindSystem, KindCatalog:
				c.invalidate(c.live.Load())
			case KindReset:
				c.invalidate(ev.Status == ResetConnected || (ev.Status == ResetOverflow && l.Connected()))
			}
		}
	}
}

// invalidate drops everything cached; live says whether caching may resume.
func (c *catalogCache) invalidate(live bool) {
	c.mu.Lock()
	c.gen++
	c.snap.Store(nil)
	c.orgs = nil
	c.live.Store(live)
	c.mu.Unlock()
}

// cachedCatalog returns the cached snapshot, loading it if needed, or nil when
// the cache is not live or the load failed (the caller then reads SQL).
func (s *Service) cachedCatalog(ctx context.Context) *catalogSnapshot {
	c := &s.catalog
	if !c.live.Load() {
		return nil
	}
	if p := c.snap.Load(); p != nil {
		return p
	}
	c.loading.Lock()
	defer c.loading.Unlock()
	if p := c.snap.Load(); p != nil {
		return p
	}
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	snap, err := loadCatalog(ctx, s.db)
	if err != nil {
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "catalog load failed; reading SQL", "error", err)
		}
		return nil
	}
	c.mu.Lock()
	if c.gen == gen && c.live.Load() {
		c.snap.Store(snap)
	}
	c.mu.Unlock()
	return snap
}

func loadCatalog(ctx context.Context, idb bun.IDB) (*catalogSnapshot, error) {
	var sysRows []db.System
	if err := idb.NewSelect().Model(&sysRows).Order("id").Scan(ctx); err != nil {
		return nil, internal("load catalog systems", err)
	}
	snap := &catalogSnapshot{systems: make(map[string]*System, len(sysRows)), systemIDs: make([]string, len(sysRows))}
	items := make([]*System, len(sysRows))
	for i := range sysRows {
		items[i] = systemFrom(&sysRows[i])
		snap.systems[items[i].ID], snap.systemIDs[i] = items[i], items[i].ID
	}
	if err := loadSystemChildren(ctx, idb, items); err != nil {
		return nil, err
	}
	var resRows []db.Resource
	if err := idb.NewSelect().Model(&resRows).Order("id").Scan(ctx); err != nil {
		return nil, internal("load catalog resources", err)
	}
	snap.resources, snap.resourceIDs = make(map[string]*Resource, len(resRows)), make([]string, len(resRows))
	for i := range resRows {
		r := resourceFrom(&resRows[i])
		snap.resources[r.ID], snap.resourceIDs[i] = r, r.ID
	}
	var acts []db.ResourceAction
	if err := idb.NewSelect().Model(&acts).Order("resource_id", "action").Scan(ctx); err != nil {
		return nil, internal("load catalog resource actions", err)
	}
	for _, a := range acts {
		if r := snap.resources[a.ResourceID]; r != nil {
			r.Actions = append(r.Actions, a.Action)
		}
	}
	var pkgRows []db.AccessPackage
	if err := idb.NewSelect().Model(&pkgRows).Order("urn").Scan(ctx); err != nil {
		return nil, internal("load catalog access packages", err)
	}
	snap.packages, snap.packageURNs = make(map[string]*AccessPackage, len(pkgRows)), make([]string, len(pkgRows))
	for i := range pkgRows {
		p := packageFrom(&pkgRows[i])
		snap.packages[p.URN], snap.packageURNs[i] = p, p.URN
	}
	var pres []db.AccessPackageResource
	if err := idb.NewSelect().Model(&pres).Order("package_urn", "resource_id").Scan(ctx); err != nil {
		return nil, internal("load catalog package resources", err)
	}
	for _, r := range pres {
		if p := snap.packages[r.PackageURN]; p != nil {
			p.Resources = append(p.Resources, r.ResourceID)
		}
	}
	return snap, nil
}

// The snapshot's values are shared by every reader: each read hands out a
// shallow copy, so a caller that sets a field does not change the cache (the
// slices are never modified in place by callers).
func copyOf[T any](p *T) *T {
	c := *p
	return &c
}

func pick[T any](all map[string]*T, keys []string) map[string]*T {
	out := make(map[string]*T, len(keys))
	for _, k := range keys {
		if v, ok := all[k]; ok {
			out[k] = copyOf(v)
		}
	}
	return out
}

// systemVisible is systemScope for a cached system.
func systemVisible(sys *System, id *identity.Identity, includeDeleted bool) bool {
	switch {
	case id.IsAdmin():
		return includeDeleted || !sys.IsDeleted
	case id.Kind == identity.Organization && id.OrgNumber != "":
		if includeDeleted {
			return (sys.IsVisible && !sys.IsDeleted) || sys.VendorOrg == id.OrgNumber
		}
		return !sys.IsDeleted && (sys.IsVisible || sys.VendorOrg == id.OrgNumber)
	default:
		return sys.IsVisible && !sys.IsDeleted
	}
}

// systemMatches is the Search filter of ListSystems: a case-insensitive
// substring of the id or a name.
func systemMatches(sys *System, search string) bool {
	if search == "" {
		return true
	}
	q := strings.ToLower(search)
	for _, f := range []string{sys.ID, sys.Name.NB, sys.Name.NN, sys.Name.EN} {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

func (snap *catalogSnapshot) listSystems(caller *identity.Identity, f SystemFilter, limit int, after string) *Connection[*System] {
	start := 0
	if after != "" {
		start, _ = slices.BinarySearch(snap.systemIDs, after)
		if start < len(snap.systemIDs) && snap.systemIDs[start] == after {
			start++
		}
	}
	conn := &Connection[*System]{Items: []*System{}, Cursors: []string{}}
	for i, id := range snap.systemIDs {
		sys := snap.systems[id]
		if !systemVisible(sys, caller, f.IncludeDeleted) || (f.VendorOrg != "" && sys.VendorOrg != f.VendorOrg) ||
			!systemMatches(sys, f.Search) {
			continue
		}
		conn.TotalCount++
		if i < start {
			continue
		}
		if len(conn.Items) == limit {
			conn.HasNextPage = true
			continue
		}
		conn.Items = append(conn.Items, copyOf(sys))
		conn.Cursors = append(conn.Cursors, keyCursor(id))
	}
	return conn
}

func pageOf[T any](keys []string, all map[string]*T, limit int, after string) *Connection[*T] {
	start, _ := slices.BinarySearch(keys, after)
	if start < len(keys) && after != "" && keys[start] == after {
		start++
	}
	end := min(start+limit, len(keys))
	conn := &Connection[*T]{TotalCount: len(keys), HasNextPage: end < len(keys), Items: []*T{}, Cursors: []string{}}
	for _, k := range keys[start:end] {
		conn.Items = append(conn.Items, copyOf(all[k]))
		conn.Cursors = append(conn.Cursors, keyCursor(k))
	}
	return conn
}

// cachedOrgs returns the organisations of numbers held in memory and the
// numbers it does not hold; ok is false when the cache is not live.
func (c *catalogCache) cachedOrgs(numbers []string) (found map[string]*Organization, missing []string, gen uint64, ok bool) {
	if !c.live.Load() {
		return nil, nil, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	found = make(map[string]*Organization, len(numbers))
	for _, n := range numbers {
		if o, hit := c.orgs[n]; hit {
			found[n] = copyOf(o)
		} else {
			missing = append(missing, n)
		}
	}
	return found, missing, c.gen, true
}

// storeOrgs keeps organisations read at generation gen, unless an event
// came in since.
func (c *catalogCache) storeOrgs(gen uint64, orgs map[string]*Organization) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || !c.live.Load() {
		return
	}
	if c.orgs == nil {
		c.orgs = make(map[string]*Organization)
	}
	for k, o := range orgs {
		if len(c.orgs) >= maxCachedOrgs {
			return
		}
		c.orgs[k] = copyOf(o)
	}
}

// decodeAfter decodes an optional key cursor.
func decodeAfter(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	return decodeKeyCursor(c)
}

// catalogChanged drops the cache after this instance committed a catalog
// change, so the writer reads its own write before the event comes back.
func (s *Service) catalogChanged() {
	s.catalog.invalidate(s.catalog.live.Load())
}

// The Peek methods answer from the catalog in memory and never read SQL:
// they are the dataloaders' fast path, which would otherwise hold every
// lookup for a batch window only to be answered from memory. A miss (cache
// not live, not loaded yet, or no such key) says nothing: ask the batch
// methods (SystemsByID, ...), which load the snapshot or read SQL.

// PeekSystem returns a cached system (deleted ones included, as SystemsByID).
func (s *Service) PeekSystem(id string) (*System, bool) {
	if snap := s.catalog.loaded(); snap != nil {
		return peekIn(snap.systems, id)
	}
	return nil, false
}

// PeekResource returns a cached resource.
func (s *Service) PeekResource(id string) (*Resource, bool) {
	if snap := s.catalog.loaded(); snap != nil {
		return peekIn(snap.resources, id)
	}
	return nil, false
}

// PeekAccessPackage returns a cached access package.
func (s *Service) PeekAccessPackage(urn string) (*AccessPackage, bool) {
	if snap := s.catalog.loaded(); snap != nil {
		return peekIn(snap.packages, urn)
	}
	return nil, false
}

// PeekOrganization returns a cached organisation.
func (s *Service) PeekOrganization(orgNumber string) (*Organization, bool) {
	c := &s.catalog
	if !c.live.Load() {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return peekIn(c.orgs, orgNumber)
}

// loaded is the snapshot if the cache is live and holds one, else nil.
func (c *catalogCache) loaded() *catalogSnapshot {
	if !c.live.Load() {
		return nil
	}
	return c.snap.Load()
}

func peekIn[T any](table map[string]*T, key string) (*T, bool) {
	if v, ok := table[key]; ok {
		return copyOf(v), true
	}
	return nil, false
}
