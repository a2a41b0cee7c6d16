package registry

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

// ApproveRequest accepts a New request on behalf of its party and creates
// the system user (id = request id, the request's rights and packages) in
// the same transaction. The status change is a compare-and-swap, so of
// concurrent approvals exactly one wins.
// Errors: unauthenticated; not_found REQUEST_NOT_FOUND (AUTH-00010, also when the person does
// not administer the party); invalid REQUEST_TIMED_OUT, SYSTEM_USER_EXISTS (AUTH-00004);
// conflict REQUEST_NOT_NEW (AUTH-00013); not_found SYSTEM_NOT_FOUND if the system was deleted.
func (s *Service) ApproveRequest(ctx context.Context, id uuid.UUID) (*SystemUser, error) {
	caller := identity.FromContext(ctx)
	if err := requirePerson(caller); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		req, err := s.decideRequest(ctx, tx, caller, id, StatusAccepted)
		if err != nil {
			return err
		}
		var deleted bool
		if err := tx.NewSelect().Model((*db.System)(nil)).Column("is_deleted").Where("id = ?", req.SystemID).Scan(ctx, &deleted); err != nil {
			return err
		}
		if deleted {
			return ErrSystemNotFound
		}
		su := &db.SystemUser{ID: req.ID, IntegrationTitle: req.IntegrationTitle, SystemID: req.SystemID,
			OwnerOrg: req.PartyOrg, ExternalRef: req.ExternalRef, UserType: req.RequestType,
			CreatedBy: caller.PID, CreatedAt: s.now(), UpdatedAt: s.now()}
		if _, err := tx.NewInsert().Model(su).Exec(ctx); err != nil {
			if _, ok := db.IsUniqueViolation(err); ok {
				return ErrSystemUserExists
			}
			return err
		}
		if _, err := tx.NewRaw("INSERT INTO system_user_rights (system_user_id, resource_id, action) "+
			"SELECT request_id, resource_id, action FROM request_rights WHERE request_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewRaw("INSERT INTO system_user_access_packages (system_user_id, package_urn) "+
			"SELECT request_id, package_urn FROM request_access_packages WHERE request_id = ?", id).Exec(ctx)
		return err
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return nil, err
		}
		return nil, internal("approve request", err)
	}
	s.log.InfoContext(ctx, "request approved", "request_id", id, "by", caller.PID)
	m, err := s.SystemUsersByID(ctx, []uuid.UUID{id})
	if err != nil {
		return nil, err
	}
	return m[id], nil
}

// RejectRequest rejects a New request on behalf of its party.
// Errors: as ApproveRequest, without SYSTEM_USER_EXISTS and SYSTEM_NOT_FOUND.
func (s *Service) RejectRequest(ctx context.Context, id uuid.UUID) (*Request, error) {
	caller := identity.FromContext(ctx)
	if err := requirePerson(caller); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := s.decideRequest(ctx, tx, caller, id, StatusRejected)
		return err
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return nil, err
		}
		return nil, internal("reject request", err)
	}
	s.log.InfoContext(ctx, "request rejected", "request_id", id, "by", caller.PID)
	return s.requestByIDUnscoped(ctx, s.db, id)
}

// decideRequest moves a New, live request of a party the person
// administers to status, or explains why it could not.
func (s *Service) decideRequest(ctx context.Context, tx bun.Tx, caller *identity.Identity, id uuid.UUID, status string) (*db.Request, error) {
	now := s.now()
	var rows []db.Request
	err := tx.NewRaw("UPDATE requests SET status = ?, decided_at = ?, decided_by = ?, updated_at = ? "+
		"WHERE id = ? AND status = 'New' AND deleted_at IS NULL AND created_at >= ? "+
		"AND party_org IN (?) RETURNING *",
		status, now, caller.PID, now, id, now.Add(-s.timeout), OrgsAdministeredBy(caller.PID)).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	if len(rows) == 1 {
		return &rows[0], nil
	}
	// The swap failed: say why, without revealing requests of parties the
	// person does not administer.
	var cur db.Request
	err = tx.NewSelect().Model(&cur).Where("id = ? AND deleted_at IS NULL", id).
		Where("party_org IN (?)", OrgsAdministeredBy(caller.PID)).Scan(ctx)
	switch {
	case isNoRows(err):
		return nil, ErrRequestNotFound
	case err != nil:
		return nil, err
	case cur.Status != StatusNew:
		return nil, ErrRequestNotNew
	default:
		return nil, ErrRequestTimedOut
	}
}
