package registry

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/identity"
)

// systemUserRow is a system user joined with its system's vendor.
type systemUserRow struct {
	ID               uuid.UUID  `bun:"id"`
	IntegrationTitle string     `bun:"integration_title"`
	SystemID         string     `bun:"system_id"`
	OwnerOrg         string     `bun:"owner_org"`
	ExternalRef      string     `bun:"external_ref"`
	UserType         string     `bun:"user_type"`
	CreatedAt        time.Time  `bun:"created_at"`
	DeletedAt        *time.Time `bun:"deleted_at"`
	VendorOrg        string     `bun:"vendor_org"`
}

const systemUserColumns = "su.id, su.integration_title, su.system_id, su.owner_org, su.external_ref, " +
	"su.user_type, su.created_at, su.deleted_at, s.vendor_org"

func (s *Service) selectSystemUsers(idb bun.IDB) *bun.SelectQuery {
	return idb.NewSelect().TableExpr("system_users AS su").
		Join("JOIN systems AS s ON s.id = su.system_id")
}

// systemUserScope limits a query on su/s to the system users the caller may
// see: an admin all, a vendor holding an Altinn vendor scope (auth.VendorRead)
// those of its systems, a person those of the organisations it administers.
// ok is false if the caller may see none: a token the vendor's software
// sends to a service owner must not list the vendor's customers.
func systemUserScope(q *bun.SelectQuery, id *identity.Identity) (ok bool) {
	cond, args, ok := systemUserScopeSQL(id)
	if ok {
		q.Where(cond, args...)
	}
	return ok
}

// GetSystemUser returns a system user the caller may see, deleted ones
// included (IsDeleted tells).
// Errors: not_found SYSTEM_USER_NOT_FOUND (AUTH-00015), also when the caller may not see it.
func (s *Service) GetSystemUser(ctx context.Context, id uuid.UUID) (*SystemUser, error) {
	q := s.selectSystemUsers(s.db).ColumnExpr(systemUserColumns).Where("su.id = ?", id)
	if !systemUserScope(q, identity.FromContext(ctx)) {
		return nil, ErrSystemUserNotFound
	}
	var rows []systemUserRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, internal("get system user", err)
	}
	if len(rows) == 0 {
		return nil, ErrSystemUserNotFound
	}
	su := systemUserFrom(&rows[0])
	if err := loadSystemUserChildren(ctx, s.db, []*SystemUser{su}); err != nil {
		return nil, err
	}
	return su, nil
}

// ListSystemUsers pages through the caller's non-deleted system users, oldest
// first. Anonymous callers get an empty connection.
// Errors: invalid INVALID_CURSOR, INVALID_PAGE_SIZE.
func (s *Service) ListSystemUsers(ctx context.Context, f SystemUserFilter, p Page) (*Connection[*SystemUser], error) {
	limit, err := p.limit()
	if err != nil {
		return nil, err
	}
	var afterT time.Time
	var afterID uuid.UUID
	if p.After != "" {
		if afterT, afterID, err = decodeTimeCursor(p.After); err != nil {
			return nil, err
		}
	}
	caller := identity.FromContext(ctx)
	visible := true
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		visible = systemUserScope(q, caller)
		q.Where("su.deleted_at IS NULL")
		if f.OwnerOrg != "" {
			q.Where("su.owner_org = ?", f.OwnerOrg)
		}
		if f.SystemID != "" {
			q.Where("su.system_id = ?", f.SystemID)
		}
		if f.UserType != "" {
			q.Where("su.user_type = ?", f.UserType)
		}
		return q
	}
	countQ := s.selectSystemUsers(s.db).Apply(filter)
	if !visible {
		return &Connection[*SystemUser]{Items: []*SystemUser{}}, nil
	}
	var total int
	if !p.SkipTotal {
		counted := false
		if f.OwnerOrg == "" && f.UserType == "" {
			if total, counted, err = s.liveSystemUsers(ctx, caller, f.SystemID); err != nil {
				return nil, err
			}
		}
		if !counted {
			n, err := countQ.Count(ctx)
			if err != nil {
				return nil, internal("count system users", err)
			}
			total = int(n)
		}
	}
	q := s.selectSystemUsers(s.db).ColumnExpr(systemUserColumns).Apply(filter).
		OrderExpr("su.created_at, su.id").Limit(int64(limit + 1))
	if p.After != "" {
		q.Where("(su.created_at, su.id) > (?, ?)", afterT, afterID)
	}
	if f.SystemID == "" && caller.Kind == identity.Organization && !caller.IsAdmin() {
		q = vendorSystemUsersPage(s.db, caller.OrgNumber, f, limit, p.After != "", afterT, afterID)
	}
	var rows []systemUserRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, internal("list system users", err)
	}
	rows, more := trim(rows, limit)
	conn := &Connection[*SystemUser]{Items: make([]*SystemUser, len(rows)), TotalCount: total, HasNextPage: more}
	for i := range rows {
		conn.Items[i] = systemUserFrom(&rows[i])
	}
	if p.SkipChildren {
		return conn, nil
	}
	if err := loadSystemUserChildren(ctx, s.db, conn.Items); err != nil {
		return nil, err
	}
	return conn, nil
}

// SystemUsersByID loads system users for a dataloader, deleted ones included.
// It is unscoped: the parent object (a request, a decision, a client) was
// already authorised.
func (s *Service) SystemUsersByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*SystemUser, error) {
	out := make(map[uuid.UUID]*SystemUser, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []systemUserRow
	if err := s.selectSystemUsers(s.db).ColumnExpr(systemUserColumns).
		Where("su.id IN (?)", bun.In(ids)).Scan(ctx, &rows); err != nil {
		return nil, internal("load system users", err)
	}
	items := make([]*SystemUser, len(rows))
	for i := range rows {
		items[i] = systemUserFrom(&rows[i])
		out[items[i].ID] = items[i]
	}
	if err := loadSystemUserChildren(ctx, s.db, items); err != nil {
		return nil, err
	}
	return out, nil
}

func systemUserFrom(r *systemUserRow) *SystemUser {
	return &SystemUser{
		ID: r.ID, IntegrationTitle: r.IntegrationTitle, SystemID: r.SystemID, VendorOrg: r.VendorOrg,
		OwnerOrg: r.OwnerOrg, ExternalRef: r.ExternalRef, UserType: r.UserType, CreatedAt: r.CreatedAt,
		IsDeleted: r.DeletedAt != nil, Rights: []Right{}, AccessPackages: []string{},
	}
}

// loadSystemUserChildren fills rights and packages with one statement,
// scanned by hand: every list of system users pays it, and bun's
// reflection over two result sets cost more than the SQL (issue 14).
func loadSystemUserChildren(ctx context.Context, idb bun.IDB, items []*SystemUser) error {
	if len(items) == 0 {
		return nil
	}
	byID := make(map[uuid.UUID]*SystemUser, len(items))
	ids := make([]uuid.UUID, 0, len(items))
	for _, it := range items {
		byID[it.ID] = it
		ids = append(ids, it.ID)
	}
	rows, err := idb.QueryContext(ctx, `SELECT 0 AS kind, system_user_id, resource_id AS v, action FROM system_user_rights WHERE system_user_id IN (?)
UNION ALL SELECT 1, system_user_id, package_urn, NULL FROM system_user_access_packages WHERE system_user_id IN (?)
ORDER BY kind, system_user_id, v, action NULLS FIRST`, bun.In(ids), bun.In(ids))
	if err != nil {
		return internal("load system user rights and packages", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind   int
			id     uuid.UUID
			v      string
			action sql.NullString
		)
		if err := rows.Scan(&kind, &id, &v, &action); err != nil {
			return internal("load system user rights and packages", err)
		}
		su := byID[id]
		if kind == 0 {
			su.Rights = append(su.Rights, Right{Resource: v, Action: action.String})
		} else {
			su.AccessPackages = append(su.AccessPackages, v)
		}
	}
	if err := rows.Err(); err != nil {
		return internal("load system user rights and packages", err)
	}
	return nil
}

// MayFollowOrg is nil when the caller in ctx may follow org's system users:
// an admin, or a person administering org.
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR.
func (s *Service) MayFollowOrg(ctx context.Context, org string) error {
	caller := identity.FromContext(ctx)
	switch {
	case caller.IsAdmin():
		return nil
	case caller.Kind != identity.Person || caller.PID == "":
		return ErrUnauthenticated
	}
	ok, err := s.administers(ctx, s.db, caller.PID, org, AdminRoles)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotAdministrator
	}
	return nil
}
