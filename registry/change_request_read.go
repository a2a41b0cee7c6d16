package registry

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

// selectChangeRequests selects live change requests (cr) with their system
// user (su) and system (s), for scoping by vendor or owner.
func (s *Service) selectChangeRequests(idb bun.IDB) *bun.SelectQuery {
	return idb.NewSelect().TableExpr("change_requests AS cr").
		Join("JOIN system_users AS su ON su.id = cr.system_user_id").
		Join("JOIN systems AS s ON s.id = su.system_id").
		ColumnExpr("cr.*").Where("cr.deleted_at IS NULL")
}

// changeRequestScope limits a query on cr/su/s to the change requests the
// caller may read: an admin all, a vendor (with a request scope) those of
// its systems, a person those of the organisations it administers.
func changeRequestScope(q *bun.SelectQuery, caller *identity.Identity) error {
	switch {
	case caller.IsAdmin():
	case caller.Kind == identity.Organization:
		if err := requireOrg(caller, identity.ScopeRequestRead, identity.ScopeRequestWrite); err != nil {
			return err
		}
		q.Where("s.vendor_org = ?", caller.OrgNumber)
	case caller.Kind == identity.Person && caller.PID != "":
		q.Where("su.owner_org IN (?)", OrgsAdministeredBy(caller.PID))
	default:
		return ErrUnauthenticated
	}
	return nil
}

// GetChangeRequestByExternalRef returns the newest live change request of
// the live system user keyed (system, owner org, externalRef) that the
// caller may read; externalRef defaults to orgNo. A system user may have
// several change requests (one per correlation id); the newest is the one
// a vendor polls.
// Errors: unauthenticated; forbidden MISSING_SCOPE; not_found CHANGE_REQUEST_NOT_FOUND (AUTH-00010),
// also when the caller may not read it.
func (s *Service) GetChangeRequestByExternalRef(ctx context.Context, systemID, orgNo, externalRef string) (*ChangeRequest, error) {
	if externalRef == "" {
		externalRef = orgNo
	}
	q := s.selectChangeRequests(s.db).
		Where("su.system_id = ? AND su.owner_org = ? AND su.external_ref = ? AND su.deleted_at IS NULL", systemID, orgNo, externalRef).
		OrderExpr("cr.created_at DESC, cr.id DESC").Limit(1)
	if err := changeRequestScope(q, identity.FromContext(ctx)); err != nil {
		return nil, err
	}
	var rows []db.ChangeRequest
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, internal("get change request by external ref", err)
	}
	if len(rows) == 0 {
		return nil, ErrChangeRequestNotFound
	}
	out, err := s.changeRequestsFrom(ctx, s.db, rows)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ListChangeRequestsBySystem pages through the live change requests of one
// of the caller's systems, oldest first (a vendor, or an admin for any).
// Errors: unauthenticated; forbidden MISSING_SCOPE; not_found SYSTEM_NOT_FOUND (AUTH-00011)
// if the system is not the caller's; invalid INVALID_CURSOR, INVALID_PAGE_SIZE.
func (s *Service) ListChangeRequestsBySystem(ctx context.Context, systemID string, p Page) (*Connection[*ChangeRequest], error) {
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
	if err := s.requireOwnSystem(ctx, identity.FromContext(ctx), systemID, identity.ScopeRequestRead, identity.ScopeRequestWrite); err != nil {
		return nil, err
	}
	total, err := s.selectChangeRequests(s.db).Where("su.system_id = ?", systemID).Count(ctx)
	if err != nil {
		return nil, internal("count change requests", err)
	}
	q := s.selectChangeRequests(s.db).Where("su.system_id = ?", systemID).
		OrderExpr("cr.created_at, cr.id").Limit(int64(limit + 1))
	if p.After != "" {
		q.Where("(cr.created_at, cr.id) > (?, ?)", afterT, afterID)
	}
	var rows []db.ChangeRequest
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, internal("list change requests", err)
	}
	rows, more := trim(rows, limit)
	items, err := s.changeRequestsFrom(ctx, s.db, rows)
	if err != nil {
		return nil, err
	}
	conn := &Connection[*ChangeRequest]{Items: items, Cursors: make([]string, len(rows)), TotalCount: int(total), HasNextPage: more}
	for i := range rows {
		conn.Cursors[i] = timeCursor(rows[i].CreatedAt, rows[i].ID)
	}
	return conn, nil
}

// DeleteChangeRequest soft-deletes one of the caller's change requests,
// whatever its status; a deleted New change request can no longer be
// approved, and its id is never accepted again. Unlike Altinn's, ownership
// is checked.
// Errors: unauthenticated; forbidden MISSING_SCOPE; not_found CHANGE_REQUEST_NOT_FOUND (AUTH-00010),
// also for another vendor's.
func (s *Service) DeleteChangeRequest(ctx context.Context, id uuid.UUID) error {
	caller := identity.FromContext(ctx)
	if !caller.IsAdmin() {
		if err := requireOrg(caller, identity.ScopeRequestWrite); err != nil {
			return err
		}
	}
	now := s.now()
	q := s.db.NewUpdate().Model((*db.ChangeRequest)(nil)).Set("deleted_at = ?", now).Set("updated_at = ?", now).
		Where("id = ? AND deleted_at IS NULL", id)
	if !caller.IsAdmin() {
		q.Where("system_user_id IN (SELECT su.id FROM system_users su JOIN systems s ON s.id = su.system_id WHERE s.vendor_org = ?)",
			caller.OrgNumber)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return internal("delete change request", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrChangeRequestNotFound
	}
	s.log.InfoContext(ctx, "change request deleted", "change_request_id", id)
	return nil
}

// requireOwnSystem fails unless systemID exists and is the caller's (any
// system for an admin) and the caller holds one of scopes.
func (s *Service) requireOwnSystem(ctx context.Context, caller *identity.Identity, systemID string, scopes ...string) error {
	sq := s.db.NewSelect().Model((*db.System)(nil)).Where("id = ?", systemID)
	if !caller.IsAdmin() {
		if err := requireOrg(caller, scopes...); err != nil {
			return err
		}
		sq.Where("vendor_org = ?", caller.OrgNumber)
	}
	ok, err := sq.Exists(ctx)
	if err != nil {
		return internal("check system", err)
	}
	if !ok {
		return ErrSystemNotFound
	}
	return nil
}

// changeRequestsFrom completes rows (already authorised) with their system
// user's key and their rights and packages, in three queries whatever the
// number of rows.
func (s *Service) changeRequestsFrom(ctx context.Context, idb bun.IDB, rows []db.ChangeRequest) ([]*ChangeRequest, error) {
	out := make([]*ChangeRequest, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(rows))
	suIDs := make([]uuid.UUID, 0, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		suIDs = append(suIDs, r.SystemUserID)
	}
	var sus []db.SystemUser
	if err := idb.NewSelect().Model(&sus).Where("id IN (?)", bun.In(suIDs)).Scan(ctx); err != nil {
		return nil, internal("load change request system users", err)
	}
	byID := make(map[uuid.UUID]*db.SystemUser, len(sus))
	for i := range sus {
		byID[sus[i].ID] = &sus[i]
	}
	index := make(map[uuid.UUID]*ChangeRequest, len(rows))
	for i, r := range rows {
		cr := &ChangeRequest{ID: r.ID, SystemUserID: r.SystemUserID, Status: r.Status, RedirectURL: r.RedirectURL,
			ConfirmURL: s.confirmURL("changerequest", r.ID), TimedOut: s.timedOut(r.CreatedAt), CreatedAt: r.CreatedAt,
			RequiredRights: []Right{}, UnwantedRights: []Right{}, RequiredAccessPackages: []string{}, UnwantedAccessPackages: []string{}}
		if su := byID[r.SystemUserID]; su != nil {
			cr.SystemID, cr.PartyOrg, cr.ExternalRef = su.SystemID, su.OwnerOrg, su.ExternalRef
		}
		out[i], index[r.ID] = cr, cr
	}
	var rights []db.ChangeRequestRight
	if err := idb.NewSelect().Model(&rights).Where("change_request_id IN (?)", bun.In(ids)).
		OrderExpr("resource_id, action NULLS FIRST").Scan(ctx); err != nil {
		return nil, internal("load change request rights", err)
	}
	for _, r := range rights {
		cr := index[r.ChangeRequestID]
		if r.Wanted {
			cr.RequiredRights = append(cr.RequiredRights, Right{Resource: r.ResourceID, Action: r.Action})
		} else {
			cr.UnwantedRights = append(cr.UnwantedRights, Right{Resource: r.ResourceID, Action: r.Action})
		}
	}
	var pkgs []db.ChangeRequestAccessPackage
	if err := idb.NewSelect().Model(&pkgs).Where("change_request_id IN (?)", bun.In(ids)).Order("package_urn").Scan(ctx); err != nil {
		return nil, internal("load change request packages", err)
	}
	for _, p := range pkgs {
		cr := index[p.ChangeRequestID]
		if p.Wanted {
			cr.RequiredAccessPackages = append(cr.RequiredAccessPackages, p.PackageURN)
		} else {
			cr.UnwantedAccessPackages = append(cr.UnwantedAccessPackages, p.PackageURN)
		}
	}
	return out, nil
}
