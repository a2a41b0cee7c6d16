package registry

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

// ChangeRequestInput is a vendor's change request body.
type ChangeRequestInput struct {
	RequiredRights         []Right
	UnwantedRights         []Right
	RequiredAccessPackages []string
	UnwantedAccessPackages []string
	RedirectURL            string
}

var (
	ErrInvalidCorrelationID    = apperr.New(apperr.Invalid, "INVALID_CORRELATION_ID", "correlation id must be set and differ from the system user id")
	ErrAgentChangeNotSupported = apperr.New(apperr.Invalid, "AGENT_CHANGE_NOT_SUPPORTED", "change requests are not supported for agent system users").WithAltinn("AUTH-00015")
	ErrCorrelationIDUsed       = apperr.New(apperr.Conflict, "CORRELATION_ID_USED", "the correlation id is used by another change request; generate a new one").WithAltinn("AUTH-00061")
	ErrChangeContradicts       = apperr.New(apperr.Invalid, "CHANGE_CONTRADICTS", "the same right or package is both required and unwanted")
)

// correlationReusable says whether a create naming the id of the stored
// change request cr is a harmless repeat (same system user, still New).
func correlationReusable(cr *ChangeRequest, systemUserID uuid.UUID) error {
	if cr.SystemUserID != systemUserID || cr.Status != StatusNew {
		return ErrCorrelationIDUsed
	}
	return nil
}

// CreateChangeRequest asks the owner of one of the caller's standard system
// users to add and remove rights and packages. correlationID is the id
// (Altinn's rules, §3.2): a repeat with the id of a change request that is
// still New returns it (created=false); an id that was decided, deleted or
// used for another system user must be replaced by a new one (AUTH-00061).
// All lists empty gives status NoChangeNeeded, not stored.
// Errors: unauthenticated; forbidden MISSING_SCOPE; invalid INVALID_CORRELATION_ID,
// AGENT_CHANGE_NOT_SUPPORTED, CHANGE_CONTRADICTS, RIGHTS_NOT_IN_SYSTEM (AUTH-00001),
// PACKAGES_NOT_IN_SYSTEM (AUTH-00063), PACKAGE_NOT_ASSIGNABLE (AUTH-00064), NO_REDIRECT_URLS,
// REDIRECT_URL_NOT_ALLOWED; not_found SYSTEM_USER_NOT_FOUND (AUTH-00015, also another vendor's);
// conflict CORRELATION_ID_USED (AUTH-00061).
func (s *Service) CreateChangeRequest(ctx context.Context, correlationID, systemUserID uuid.UUID, in ChangeRequestInput) (*ChangeRequest, bool, error) {
	caller := identity.FromContext(ctx)
	if err := require(caller, auth.RequestWrite); err != nil {
		return nil, false, err
	}
	if correlationID == uuid.Nil || correlationID == systemUserID {
		return nil, false, ErrInvalidCorrelationID
	}
	var rows []systemUserRow
	if err := s.selectSystemUsers(s.db).ColumnExpr(systemUserColumns).
		Where("su.id = ? AND su.deleted_at IS NULL AND s.vendor_org = ?", systemUserID, caller.OrgNumber).Scan(ctx, &rows); err != nil {
		return nil, false, internal("load system user", err)
	}
	if len(rows) == 0 {
		return nil, false, ErrSystemUserNotFound
	}
	su := systemUserFrom(&rows[0])
	if su.UserType != TypeStandard {
		return nil, false, ErrAgentChangeNotSupported
	}
	in.RequiredRights, in.UnwantedRights = dedupe(in.RequiredRights), dedupe(in.UnwantedRights)
	in.RequiredAccessPackages, in.UnwantedAccessPackages = dedupe(in.RequiredAccessPackages), dedupe(in.UnwantedAccessPackages)
	if len(in.RequiredRights)+len(in.UnwantedRights)+len(in.RequiredAccessPackages)+len(in.UnwantedAccessPackages) == 0 {
		return &ChangeRequest{ID: correlationID, SystemUserID: su.ID, SystemID: su.SystemID, PartyOrg: su.OwnerOrg,
			ExternalRef: su.ExternalRef, Status: StatusNoChangeNeeded, RequiredRights: []Right{}, UnwantedRights: []Right{},
			RequiredAccessPackages: []string{}, UnwantedAccessPackages: []string{}, CreatedAt: s.now()}, false, nil
	}
	if cr, err := s.changeRequestByID(ctx, s.db, correlationID); err == nil {
		if err := correlationReusable(cr, systemUserID); err != nil {
			return nil, false, err
		}
		return cr, false, nil
	} else if !apperr.Is(err, apperr.NotFound) {
		return nil, false, err
	}
	for _, p := range in.RequiredAccessPackages {
		for _, u := range in.UnwantedAccessPackages {
			if p == u {
				return nil, false, ErrChangeContradicts
			}
		}
	}
	sys, err := s.systemOfVendor(ctx, su.SystemID, caller.OrgNumber)
	if err != nil {
		return nil, false, err
	}
	if err := checkRedirect(in.RedirectURL, sys.RedirectURLs); err != nil {
		return nil, false, err
	}
	if in.RequiredRights, err = grantRights(in.RequiredRights, sys.Rights); err != nil {
		return nil, false, err
	}
	// A right is both required and unwanted when the unwanted one matches
	// what the required ones grant (the same rule as for the system's rights).
	for _, u := range in.UnwantedRights {
		if _, ok := RightAmong(u, in.RequiredRights); ok {
			return nil, false, ErrChangeContradicts
		}
	}
	if err := s.checkPackages(ctx, s.db, in.RequiredAccessPackages, sys.AccessPackages, TypeStandard); err != nil {
		return nil, false, err
	}
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := &db.ChangeRequest{ID: correlationID, SystemUserID: systemUserID, Status: StatusNew,
			RedirectURL: in.RedirectURL, CreatedAt: s.now(), UpdatedAt: s.now()}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		var rights []db.ChangeRequestRight
		for _, r := range in.RequiredRights {
			rights = append(rights, db.ChangeRequestRight{ChangeRequestID: correlationID, ResourceID: r.Resource, Action: r.Action, Wanted: true})
		}
		for _, r := range in.UnwantedRights {
			rights = append(rights, db.ChangeRequestRight{ChangeRequestID: correlationID, ResourceID: r.Resource, Action: r.Action})
		}
		if len(rights) > 0 {
			if _, err := tx.NewInsert().Model(&rights).Exec(ctx); err != nil {
				return err
			}
		}
		var pkgs []db.ChangeRequestAccessPackage
		for _, p := range in.RequiredAccessPackages {
			pkgs = append(pkgs, db.ChangeRequestAccessPackage{ChangeRequestID: correlationID, PackageURN: p, Wanted: true})
		}
		for _, p := range in.UnwantedAccessPackages {
			pkgs = append(pkgs, db.ChangeRequestAccessPackage{ChangeRequestID: correlationID, PackageURN: p})
		}
		if len(pkgs) > 0 {
			if _, err := tx.NewInsert().Model(&pkgs).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if _, ok := db.IsUniqueViolation(err); ok {
		// A concurrent create with the same correlation id won, or the id
		// belongs to a change request the vendor deleted: ids are never reused.
		cr, err := s.changeRequestByID(ctx, s.db, correlationID)
		switch {
		case apperr.Is(err, apperr.NotFound):
			return nil, false, ErrCorrelationIDUsed
		case err != nil:
			return nil, false, err
		}
		if err := correlationReusable(cr, systemUserID); err != nil {
			return nil, false, err
		}
		return cr, false, nil
	}
	if _, ok := db.IsForeignKeyViolation(err); ok {
		// Unwanted rights may name anything; an unknown resource or action
		// simply cannot be held, so it is reported like a right not in the system.
		return nil, false, ErrRightsNotInSystem
	}
	if err != nil {
		return nil, false, internal("create change request", err)
	}
	s.log.InfoContext(ctx, "change request created", "change_request_id", correlationID, "system_user_id", systemUserID)
	cr, err := s.changeRequestByID(ctx, s.db, correlationID)
	return cr, err == nil, err
}

// GetChangeRequest returns a change request the caller may read: the
// system's vendor, a person administering the owner org, or an admin.
// Errors: unauthenticated; forbidden MISSING_SCOPE; not_found CHANGE_REQUEST_NOT_FOUND.
func (s *Service) GetChangeRequest(ctx context.Context, id uuid.UUID) (*ChangeRequest, error) {
	q := s.selectChangeRequests(s.db).Where("cr.id = ?", id)
	if err := changeRequestScope(q, identity.FromContext(ctx)); err != nil {
		return nil, err
	}
	if ok, err := q.Exists(ctx); err != nil {
		return nil, internal("get change request", err)
	} else if !ok {
		return nil, ErrChangeRequestNotFound
	}
	return s.changeRequestByID(ctx, s.db, id)
}

// ApproveChangeRequest accepts a New change request and applies only the
// difference to the system user (adds missing required items, removes
// present unwanted ones) in the same transaction as the status swap.
// Errors: unauthenticated; not_found CHANGE_REQUEST_NOT_FOUND (also when the person does not
// administer the owner); invalid REQUEST_TIMED_OUT; conflict REQUEST_NOT_NEW (AUTH-00013).
func (s *Service) ApproveChangeRequest(ctx context.Context, id uuid.UUID) (*ChangeRequest, error) {
	return s.decideChangeRequest(ctx, id, StatusAccepted)
}

// RejectChangeRequest rejects a New change request.
// Errors: as ApproveChangeRequest.
func (s *Service) RejectChangeRequest(ctx context.Context, id uuid.UUID) (*ChangeRequest, error) {
	return s.decideChangeRequest(ctx, id, StatusRejected)
}

func (s *Service) decideChangeRequest(ctx context.Context, id uuid.UUID, status string) (*ChangeRequest, error) {
	caller := identity.FromContext(ctx)
	if err := requirePerson(caller); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now()
		var rows []db.ChangeRequest
		err := tx.NewRaw("UPDATE change_requests SET status = ?, decided_at = ?, decided_by = ?, updated_at = ? "+
			"WHERE id = ? AND status = 'New' AND deleted_at IS NULL AND created_at >= ? AND system_user_id IN "+
			"(SELECT id FROM system_users WHERE deleted_at IS NULL AND owner_org IN (?)) RETURNING *",
			status, now, caller.PID, now, id, now.Add(-s.timeout), OrgsAdministeredBy(caller.PID)).Scan(ctx, &rows)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return s.whyNotDecided(ctx, tx, caller, id)
		}
		if status != StatusAccepted {
			return nil
		}
		su := rows[0].SystemUserID
		stmts := []string{
			"INSERT INTO system_user_rights (system_user_id, resource_id, action) " +
				"SELECT ?, resource_id, action FROM change_request_rights WHERE change_request_id = ? AND wanted ON CONFLICT DO NOTHING",
			"DELETE FROM system_user_rights sur USING change_request_rights crr WHERE sur.system_user_id = ? " +
				"AND crr.change_request_id = ? AND NOT crr.wanted AND sur.resource_id = crr.resource_id " +
				// An unwanted right without action removes every right on its resource.
				"AND (crr.action IS NULL OR sur.action IS NOT DISTINCT FROM crr.action)",
			"INSERT INTO system_user_access_packages (system_user_id, package_urn) " +
				"SELECT ?, package_urn FROM change_request_access_packages WHERE change_request_id = ? AND wanted ON CONFLICT DO NOTHING",
			"DELETE FROM system_user_access_packages sup USING change_request_access_packages crp WHERE sup.system_user_id = ? " +
				"AND crp.change_request_id = ? AND NOT crp.wanted AND sup.package_urn = crp.package_urn",
		}
		for _, q := range stmts {
			if _, err := tx.NewRaw(q, su, id).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return nil, err
		}
		return nil, internal("decide change request", err)
	}
	s.log.InfoContext(ctx, "change request decided", "change_request_id", id, "status", status, "by", caller.PID)
	return s.changeRequestByID(ctx, s.db, id)
}

func (s *Service) whyNotDecided(ctx context.Context, tx bun.Tx, caller *identity.Identity, id uuid.UUID) error {
	var cur db.ChangeRequest
	err := tx.NewSelect().Model(&cur).Where("id = ? AND deleted_at IS NULL", id).
		Where("system_user_id IN (SELECT id FROM system_users WHERE deleted_at IS NULL AND owner_org IN (?))",
			OrgsAdministeredBy(caller.PID)).Scan(ctx)
	switch {
	case isNoRows(err):
		return ErrChangeRequestNotFound
	case err != nil:
		return err
	case cur.Status != StatusNew:
		return ErrRequestNotNew
	default:
		return ErrRequestTimedOut
	}
}

// changeRequestByID reads a change request after the caller was authorised.
func (s *Service) changeRequestByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*ChangeRequest, error) {
	var rows []db.ChangeRequest
	if err := idb.NewSelect().Model(&rows).Where("id = ? AND deleted_at IS NULL", id).Scan(ctx); err != nil {
		return nil, internal("get change request", err)
	}
	if len(rows) == 0 {
		return nil, ErrChangeRequestNotFound
	}
	out, err := s.changeRequestsFrom(ctx, idb, rows)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}
