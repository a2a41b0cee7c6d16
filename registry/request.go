package registry

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

func (s *Service) selectRequests(idb bun.IDB) *bun.SelectQuery {
	return idb.NewSelect().TableExpr("requests AS r").Join("JOIN systems AS s ON s.id = r.system_id").
		ColumnExpr("r.*").Where("r.deleted_at IS NULL")
}

// requestScope limits a query on r/s to the requests the caller may read:
// an admin all, a vendor (with a request scope) those of its systems, a
// person those of the organisations it administers.
func requestScope(q *bun.SelectQuery, id *identity.Identity) error {
	switch {
	case id.IsAdmin():
	case id.Kind == identity.Organization:
		if err := requireOrg(id, identity.ScopeRequestRead, identity.ScopeRequestWrite); err != nil {
			return err
		}
		q.Where("s.vendor_org = ?", id.OrgNumber)
	case id.Kind == identity.Person && id.PID != "":
		q.Where("r.party_org IN (?)", OrgsAdministeredBy(id.PID))
	default:
		return ErrUnauthenticated
	}
	return nil
}

// GetRequest returns a request the caller may read: the system's vendor, a
// person administering the party, or an admin.
// Errors: unauthenticated; forbidden MISSING_SCOPE; not_found REQUEST_NOT_FOUND (AUTH-00010),
// also when the caller may not read it.
func (s *Service) GetRequest(ctx context.Context, id uuid.UUID) (*Request, error) {
	q := s.selectRequests(s.db).Where("r.id = ?", id)
	if err := requestScope(q, identity.FromContext(ctx)); err != nil {
		return nil, err
	}
	return s.oneRequest(ctx, q)
}

// GetRequestByExternalRef returns the caller's non-deleted request for the
// key (system, party org, externalRef, type); externalRef defaults to orgNo.
// Errors: as GetRequest.
func (s *Service) GetRequestByExternalRef(ctx context.Context, systemID, orgNo, externalRef, requestType string) (*Request, error) {
	if externalRef == "" {
		externalRef = orgNo
	}
	if requestType == "" {
		requestType = TypeStandard
	}
	q := s.selectRequests(s.db).Where("r.system_id = ? AND r.party_org = ? AND r.external_ref = ? AND r.request_type = ?",
		systemID, orgNo, externalRef, requestType)
	if err := requestScope(q, identity.FromContext(ctx)); err != nil {
		return nil, err
	}
	return s.oneRequest(ctx, q)
}

// ListRequestsBySystem pages through the non-deleted requests of one of
// the caller's systems, oldest first; requestType "" lists both types.
// Errors: unauthenticated; forbidden MISSING_SCOPE; not_found SYSTEM_NOT_FOUND (AUTH-00011)
// if the system is not the caller's; invalid INVALID_CURSOR, INVALID_PAGE_SIZE.
func (s *Service) ListRequestsBySystem(ctx context.Context, systemID, requestType string, p Page) (*Connection[*Request], error) {
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
	if !caller.IsAdmin() {
		if err := requireOrg(caller, identity.ScopeRequestRead, identity.ScopeRequestWrite); err != nil {
			return nil, err
		}
	}
	sq := s.db.NewSelect().Model((*db.System)(nil)).Where("id = ?", systemID)
	if !caller.IsAdmin() {
		sq.Where("vendor_org = ?", caller.OrgNumber)
	}
	if ok, err := sq.Exists(ctx); err != nil {
		return nil, internal("check system", err)
	} else if !ok {
		return nil, ErrSystemNotFound
	}
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		q.Where("r.system_id = ?", systemID)
		if requestType != "" {
			q.Where("r.request_type = ?", requestType)
		}
		return q
	}
	total, err := s.db.NewSelect().TableExpr("requests AS r").Where("r.deleted_at IS NULL").Apply(filter).Count(ctx)
	if err != nil {
		return nil, internal("count requests", err)
	}
	q := s.selectRequests(s.db).Apply(filter).OrderExpr("r.created_at, r.id").Limit(int64(limit + 1))
	if p.After != "" {
		q.Where("(r.created_at, r.id) > (?, ?)", afterT, afterID)
	}
	var rows []db.Request
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, internal("list requests", err)
	}
	rows, more := trim(rows, limit)
	conn := &Connection[*Request]{Items: make([]*Request, len(rows)), Cursors: make([]string, len(rows)),
		TotalCount: int(total), HasNextPage: more}
	for i := range rows {
		conn.Items[i] = s.requestFrom(&rows[i])
		conn.Cursors[i] = timeCursor(rows[i].CreatedAt, rows[i].ID)
	}
	if err := loadRequestChildren(ctx, s.db, conn.Items); err != nil {
		return nil, err
	}
	return conn, nil
}

func (s *Service) oneRequest(ctx context.Context, q *bun.SelectQuery) (*Request, error) {
	var rows []db.Request
	if err := q.Limit(1).Scan(ctx, &rows); err != nil {
		return nil, internal("get request", err)
	}
	if len(rows) == 0 {
		return nil, ErrRequestNotFound
	}
	req := s.requestFrom(&rows[0])
	if err := loadRequestChildren(ctx, s.db, []*Request{req}); err != nil {
		return nil, err
	}
	return req, nil
}

// requestByIDUnscoped reads a request after the caller was authorised.
func (s *Service) requestByIDUnscoped(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Request, error) {
	var row db.Request
	if err := idb.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		if isNoRows(err) {
			return nil, ErrRequestNotFound
		}
		return nil, internal("get request", err)
	}
	req := s.requestFrom(&row)
	if err := loadRequestChildren(ctx, idb, []*Request{req}); err != nil {
		return nil, err
	}
	return req, nil
}

func (s *Service) requestFrom(r *db.Request) *Request {
	kind := "request"
	if r.RequestType == TypeAgent {
		kind = "agentrequest"
	}
	return &Request{
		ID: r.ID, RequestType: r.RequestType, SystemID: r.SystemID, PartyOrg: r.PartyOrg,
		ExternalRef: r.ExternalRef, IntegrationTitle: r.IntegrationTitle, Status: r.Status,
		RedirectURL: r.RedirectURL, ConfirmURL: s.confirmURL(kind, r.ID),
		TimedOut: s.timedOut(r.CreatedAt), Escalated: r.Escalated, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt,
		Rights: []Right{}, AccessPackages: []string{},
	}
}

// loadRequestChildren fills rights and packages with one query each.
func loadRequestChildren(ctx context.Context, idb bun.IDB, items []*Request) error {
	if len(items) == 0 {
		return nil
	}
	byID := make(map[uuid.UUID]*Request, len(items))
	ids := make([]uuid.UUID, 0, len(items))
	for _, it := range items {
		byID[it.ID] = it
		ids = append(ids, it.ID)
	}
	var rights []db.RequestRight
	if err := idb.NewSelect().Model(&rights).Where("request_id IN (?)", bun.In(ids)).
		OrderExpr("request_id, resource_id, action NULLS FIRST").Scan(ctx); err != nil {
		return internal("load request rights", err)
	}
	for _, r := range rights {
		byID[r.RequestID].Rights = append(byID[r.RequestID].Rights, Right{Resource: r.ResourceID, Action: r.Action})
	}
	var pkgs []db.RequestAccessPackage
	if err := idb.NewSelect().Model(&pkgs).Where("request_id IN (?)", bun.In(ids)).
		Order("request_id", "package_urn").Scan(ctx); err != nil {
		return internal("load request packages", err)
	}
	for _, r := range pkgs {
		byID[r.RequestID].AccessPackages = append(byID[r.RequestID].AccessPackages, r.PackageURN)
	}
	return nil
}
