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

// CreateSystemUser creates a standard system user from the portal: a person
// administering ownerOrg picks a visible system; the user gets every right
// of the system and its assignable packages, externalRef = ownerOrg.
// integrationTitle defaults to the system's name (nb).
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR; not_found SYSTEM_NOT_FOUND (AUTH-00011,
// also invisible or deleted); invalid SYSTEM_USER_EXISTS (AUTH-00004).
func (s *Service) CreateSystemUser(ctx context.Context, systemID, ownerOrg, integrationTitle string) (*SystemUser, error) {
	caller := identity.FromContext(ctx)
	if err := requirePerson(caller); err != nil {
		return nil, err
	}
	if ok, err := s.administers(ctx, s.db, caller.PID, ownerOrg, AdminRoles); err != nil {
		return nil, err
	} else if !ok {
		return nil, ErrNotAdministrator
	}
	var sys db.System
	if err := s.db.NewSelect().Model(&sys).Where("id = ? AND is_visible AND NOT is_deleted", systemID).Scan(ctx); err != nil {
		if isNoRows(err) {
			return nil, ErrSystemNotFound
		}
		return nil, internal("load system", err)
	}
	if integrationTitle == "" {
		integrationTitle = sys.NameNB
	}
	id := uuid.New()
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		su := &db.SystemUser{ID: id, IntegrationTitle: integrationTitle, SystemID: systemID, OwnerOrg: ownerOrg,
			ExternalRef: ownerOrg, UserType: TypeStandard, CreatedBy: caller.PID, CreatedAt: s.now(), UpdatedAt: s.now()}
		if _, err := tx.NewInsert().Model(su).Exec(ctx); err != nil {
			if _, ok := db.IsUniqueViolation(err); ok {
				return ErrSystemUserExists
			}
			return err
		}
		if _, err := tx.NewRaw("INSERT INTO system_user_rights (system_user_id, resource_id, action) "+
			"SELECT ?, resource_id, action FROM system_rights WHERE system_id = ?", id, systemID).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewRaw("INSERT INTO system_user_access_packages (system_user_id, package_urn) "+
			"SELECT ?, sap.package_urn FROM system_access_packages sap JOIN access_packages ap ON ap.urn = sap.package_urn "+
			"WHERE sap.system_id = ? AND ap.assignable", id, systemID).Exec(ctx)
		return err
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return nil, err
		}
		return nil, internal("create system user", err)
	}
	s.log.InfoContext(ctx, "system user created", "system_user_id", id, "system_id", systemID, "owner", ownerOrg)
	m, err := s.SystemUsersByID(ctx, []uuid.UUID{id})
	if err != nil {
		return nil, err
	}
	return m[id], nil
}

// DeleteSystemUser soft-deletes a system user, soft-deletes the request it
// came from (freeing the key for a new request) and removes its client
// delegations, in one transaction. Allowed to a person administering the
// owner org, or an admin.
// Errors: unauthenticated; not_found SYSTEM_USER_NOT_FOUND (AUTH-00015, also when not allowed).
func (s *Service) DeleteSystemUser(ctx context.Context, id uuid.UUID) error {
	caller := identity.FromContext(ctx)
	if !caller.IsAdmin() {
		if err := requirePerson(caller); err != nil {
			return err
		}
	}
	by := caller.PID
	if by == "" {
		by = "org:" + caller.OrgNumber
	}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model((*db.SystemUser)(nil)).Set("deleted_at = ?", s.now()).Set("deleted_by = ?", by).
			Set("updated_at = ?", s.now()).Where("id = ? AND deleted_at IS NULL", id)
		if !caller.IsAdmin() {
			q.Where("owner_org IN (?)", OrgsAdministeredBy(caller.PID))
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrSystemUserNotFound
		}
		if _, err := tx.NewUpdate().Model((*db.Request)(nil)).Set("deleted_at = ?", s.now()).Set("updated_at = ?", s.now()).
			Where("id = ? AND deleted_at IS NULL", id).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewDelete().Model((*db.ClientDelegation)(nil)).Where("system_user_id = ?", id).Exec(ctx)
		return err
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return err
		}
		return internal("delete system user", err)
	}
	s.log.InfoContext(ctx, "system user deleted", "system_user_id", id)
	return nil
}

// LookupSystemUser is Maskinporten's byExternalId: the live system user of
// ownerOrg with externalRef (default ownerOrg) whose live system belongs to
// providerOrg and carries clientID.
// Errors: unauthenticated; forbidden MISSING_SCOPE; invalid LOOKUP_PARAMETER_MISSING;
// not_found SYSTEM_USER_NOT_FOUND.
func (s *Service) LookupSystemUser(ctx context.Context, clientID, providerOrg, ownerOrg, externalRef string) (*SystemUser, error) {
	if err := require(identity.FromContext(ctx), auth.SystemUserLookup); err != nil {
		return nil, err
	}
	if clientID == "" || providerOrg == "" || ownerOrg == "" {
		return nil, ErrLookupParameterMissing
	}
	if externalRef == "" {
		externalRef = ownerOrg
	}
	var rows []systemUserRow
	err := s.selectSystemUsers(s.db).ColumnExpr(systemUserColumns).
		Join("JOIN system_clients AS sc ON sc.system_id = s.id").
		Where("sc.client_id = ? AND s.vendor_org = ? AND NOT s.is_deleted", clientID, providerOrg).
		Where("su.owner_org = ? AND su.external_ref = ? AND su.deleted_at IS NULL", ownerOrg, externalRef).
		OrderExpr("su.created_at, su.id").Limit(1).Scan(ctx, &rows)
	if err != nil {
		return nil, internal("lookup system user", err)
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

// administers reports whether pid holds one of roles at org.
func (s *Service) administers(ctx context.Context, idb bun.IDB, pid, org string, roles []string) (bool, error) {
	ok, err := idb.NewSelect().Model((*db.PersonRole)(nil)).
		Where("pid = ? AND org_number = ? AND role IN (?)", pid, org, bun.In(roles)).Exists(ctx)
	if err != nil {
		return false, internal("check roles", err)
	}
	return ok, nil
}
