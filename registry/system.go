package registry

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

// systemScope limits a query on systems to what the caller may see:
// everyone sees visible, non-deleted systems; a vendor also sees its own
// invisible ones (and its deleted ones if asked); an admin sees all.
func systemScope(q *bun.SelectQuery, id *identity.Identity, includeDeleted bool) *bun.SelectQuery {
	switch {
	case id.IsAdmin():
		if !includeDeleted {
			q.Where("NOT is_deleted")
		}
	case id.Kind == identity.Organization && id.OrgNumber != "":
		if includeDeleted {
			q.Where("((is_visible AND NOT is_deleted) OR vendor_org = ?)", id.OrgNumber)
		} else {
			q.Where("(NOT is_deleted AND (is_visible OR vendor_org = ?))", id.OrgNumber)
		}
	default:
		q.Where("is_visible AND NOT is_deleted")
	}
	return q
}

// GetSystem returns a system the caller may see. A vendor (and an admin)
// also gets its own deleted systems, as Altinn's vendor GET does.
// Errors: not_found SYSTEM_NOT_FOUND (AUTH-00011), also for systems the caller may not see.
func (s *Service) GetSystem(ctx context.Context, id string) (*System, error) {
	caller := identity.FromContext(ctx)
	var row db.System
	q := s.db.NewSelect().Model(&row).Where("id = ?", id)
	systemScope(q, caller, true)
	if err := q.Scan(ctx); err != nil {
		if isNoRows(err) {
			return nil, ErrSystemNotFound
		}
		return nil, internal("get system", err)
	}
	sys := systemFrom(&row)
	if err := loadSystemChildren(ctx, s.db, []*System{sys}); err != nil {
		return nil, err
	}
	return sys, nil
}

// ListSystems pages through the systems the caller may see, by id.
// Errors: invalid INVALID_CURSOR, INVALID_PAGE_SIZE.
func (s *Service) ListSystems(ctx context.Context, f SystemFilter, p Page) (*Connection[*System], error) {
	limit, err := p.limit()
	if err != nil {
		return nil, err
	}
	var after string
	if p.After != "" {
		if after, err = decodeKeyCursor(p.After); err != nil {
			return nil, err
		}
	}
	caller := identity.FromContext(ctx)
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		systemScope(q, caller, f.IncludeDeleted)
		if f.VendorOrg != "" {
			q.Where("vendor_org = ?", f.VendorOrg)
		}
		if f.Search != "" {
			pat := "%" + likeEscape(f.Search) + "%"
			q.Where("(id ILIKE ? OR name_nb ILIKE ? OR name_nn ILIKE ? OR name_en ILIKE ?)", pat, pat, pat, pat)
		}
		return q
	}
	total, err := s.db.NewSelect().Model((*db.System)(nil)).Apply(filter).Count(ctx)
	if err != nil {
		return nil, internal("count systems", err)
	}
	var rows []db.System
	q := s.db.NewSelect().Model(&rows).Apply(filter).Order("id").Limit(int64(limit + 1))
	if after != "" {
		q.Where("id > ?", after)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, internal("list systems", err)
	}
	rows, more := trim(rows, limit)
	conn := &Connection[*System]{Items: make([]*System, len(rows)), Cursors: make([]string, len(rows)),
		TotalCount: int(total), HasNextPage: more}
	for i := range rows {
		conn.Items[i] = systemFrom(&rows[i])
		conn.Cursors[i] = keyCursor(rows[i].ID)
	}
	if err := loadSystemChildren(ctx, s.db, conn.Items); err != nil {
		return nil, err
	}
	return conn, nil
}

// SystemsByID loads systems for a dataloader, deleted ones included. It is
// unscoped: the caller already holds the parent (a system user, a request)
// that names the system, and was authorised for that.
func (s *Service) SystemsByID(ctx context.Context, ids []string) (map[string]*System, error) {
	out := make(map[string]*System, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []db.System
	if err := s.db.NewSelect().Model(&rows).Where("id IN (?)", bun.In(ids)).Order("id").Scan(ctx); err != nil {
		return nil, internal("load systems", err)
	}
	items := make([]*System, len(rows))
	for i := range rows {
		items[i] = systemFrom(&rows[i])
		out[items[i].ID] = items[i]
	}
	if err := loadSystemChildren(ctx, s.db, items); err != nil {
		return nil, err
	}
	return out, nil
}

func systemFrom(r *db.System) *System {
	return &System{
		ID: r.ID, InternalID: r.InternalID, VendorOrg: r.VendorOrg,
		Name:        Texts{NB: r.NameNB, NN: r.NameNN, EN: r.NameEN},
		Description: Texts{NB: r.DescriptionNB, NN: r.DescriptionNN, EN: r.DescriptionEN},
		IsVisible:   r.IsVisible, IsDeleted: r.IsDeleted, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Rights: []Right{}, AccessPackages: []string{}, ClientIDs: []string{}, RedirectURLs: []string{},
	}
}

// loadSystemChildren fills rights, packages, client ids and redirect URLs of
// every system with one query per child table.
func loadSystemChildren(ctx context.Context, idb bun.IDB, items []*System) error {
	if len(items) == 0 {
		return nil
	}
	byID := make(map[string]*System, len(items))
	ids := make([]string, 0, len(items))
	for _, it := range items {
		byID[it.ID] = it
		ids = append(ids, it.ID)
	}
	var rights []db.SystemRight
	if err := idb.NewSelect().Model(&rights).Where("system_id IN (?)", bun.In(ids)).
		OrderExpr("system_id, resource_id, action NULLS FIRST").Scan(ctx); err != nil {
		return internal("load system rights", err)
	}
	for _, r := range rights {
		byID[r.SystemID].Rights = append(byID[r.SystemID].Rights, Right{Resource: r.ResourceID, Action: r.Action})
	}
	var pkgs []db.SystemAccessPackage
	if err := idb.NewSelect().Model(&pkgs).Where("system_id IN (?)", bun.In(ids)).
		Order("system_id", "package_urn").Scan(ctx); err != nil {
		return internal("load system packages", err)
	}
	for _, r := range pkgs {
		byID[r.SystemID].AccessPackages = append(byID[r.SystemID].AccessPackages, r.PackageURN)
	}
	var clients []db.SystemClient
	if err := idb.NewSelect().Model(&clients).Where("system_id IN (?)", bun.In(ids)).
		Order("system_id", "client_id").Scan(ctx); err != nil {
		return internal("load system clients", err)
	}
	for _, r := range clients {
		byID[r.SystemID].ClientIDs = append(byID[r.SystemID].ClientIDs, r.ClientID)
	}
	var urls []db.SystemRedirectURL
	if err := idb.NewSelect().Model(&urls).Where("system_id IN (?)", bun.In(ids)).
		Order("system_id", "url").Scan(ctx); err != nil {
		return internal("load system redirect urls", err)
	}
	for _, r := range urls {
		byID[r.SystemID].RedirectURLs = append(byID[r.SystemID].RedirectURLs, r.URL)
	}
	return nil
}

// likeEscape makes s match literally inside an ILIKE pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ShowsSetup reports whether the caller in ctx may see sys's setup (client
// ids and redirect URLs): the vendor's own configuration, shown to the
// vendor managing its systems (auth.SystemRegisterWrite) and to admins, not
// to customers or the public (Altinn's portal model omits them too).
func ShowsSetup(ctx context.Context, sys *System) bool {
	id := identity.FromContext(ctx)
	return id.IsAdmin() || (auth.SystemRegisterWrite.Allows(id) && id.OrgNumber == sys.VendorOrg)
}
