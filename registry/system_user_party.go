package registry

import (
	"context"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
)

// The party side of system users (Altinn's systemuser/{party} routes): a
// person administering the party lists, reads and deletes its system users.

var (
	// ErrSystemUserNotOwned is AUTH-00024: the system user is another party's.
	ErrSystemUserNotOwned = apperr.New(apperr.Forbidden, "SYSTEM_USER_NOT_OWNED",
		"the system user belongs to another party").WithAltinn("AUTH-00024")
	// ErrExpectedStandard is AUTH-00036: the route deletes standard system users only.
	ErrExpectedStandard = apperr.New(apperr.Invalid, "EXPECTED_STANDARD_SYSTEM_USER",
		"the system user is an agent system user").WithAltinn("AUTH-00036")
	// ErrExpectedAgent is AUTH-00034: the route deletes agent system users only.
	ErrExpectedAgent = apperr.New(apperr.Invalid, "EXPECTED_AGENT_SYSTEM_USER",
		"the system user is not an agent system user").WithAltinn("AUTH-00034")
)

// PartySystemUsers lists partyOrg's live system users of type typ, oldest
// first, to a person administering partyOrg.
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR.
func (s *Service) PartySystemUsers(ctx context.Context, partyOrg, typ string) ([]*SystemUser, error) {
	if _, err := s.requirePartyAdmin(ctx, s.db, partyOrg); err != nil {
		return nil, err
	}
	return s.ownedSystemUsers(ctx, partyOrg, typ)
}

// ownedSystemUsers lists ownerOrg's live system users of type typ, oldest
// first, with their rights and packages. The caller has been checked.
func (s *Service) ownedSystemUsers(ctx context.Context, ownerOrg, typ string) ([]*SystemUser, error) {
	var rows []systemUserRow
	if err := s.selectSystemUsers(s.db).ColumnExpr(systemUserColumns).
		Where("su.owner_org = ? AND su.user_type = ? AND su.deleted_at IS NULL", ownerOrg, typ).
		OrderExpr("su.created_at, su.id").Scan(ctx, &rows); err != nil {
		return nil, internal("list owned system users", err)
	}
	out := make([]*SystemUser, len(rows))
	for i := range rows {
		out[i] = systemUserFrom(&rows[i])
	}
	if err := loadSystemUserChildren(ctx, s.db, out); err != nil {
		return nil, err
	}
	return out, nil
}

// partySystemUser loads a live system user, and whether partyOrg owns it.
func (s *Service) partySystemUser(ctx context.Context, partyOrg string, id uuid.UUID) (*SystemUser, bool, error) {
	if _, err := s.requirePartyAdmin(ctx, s.db, partyOrg); err != nil {
		return nil, false, err
	}
	m, err := s.SystemUsersByID(ctx, []uuid.UUID{id})
	if err != nil {
		return nil, false, err
	}
	su, ok := m[id]
	if !ok || su.IsDeleted {
		return nil, false, ErrSystemUserNotFound
	}
	return su, su.OwnerOrg == partyOrg, nil
}

// PartySystemUser returns a live system user of partyOrg, with its rights
// and packages, to a person administering partyOrg.
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR; not_found SYSTEM_USER_NOT_FOUND
// (AUTH-00015, also another party's).
func (s *Service) PartySystemUser(ctx context.Context, partyOrg string, id uuid.UUID) (*SystemUser, error) {
	su, owned, err := s.partySystemUser(ctx, partyOrg, id)
	if err != nil {
		return nil, err
	}
	if !owned {
		return nil, ErrSystemUserNotFound
	}
	return su, nil
}

// DeletePartySystemUser deletes a system user of partyOrg of type typ (as
// DeleteSystemUser: its request and client delegations go with it).
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR, SYSTEM_USER_NOT_OWNED (AUTH-00024);
// not_found SYSTEM_USER_NOT_FOUND (AUTH-00015); invalid EXPECTED_STANDARD_SYSTEM_USER
// (AUTH-00036), EXPECTED_AGENT_SYSTEM_USER (AUTH-00034).
func (s *Service) DeletePartySystemUser(ctx context.Context, partyOrg string, id uuid.UUID, typ string) error {
	su, owned, err := s.partySystemUser(ctx, partyOrg, id)
	switch {
	case err != nil:
		return err
	case !owned:
		return ErrSystemUserNotOwned
	case su.UserType != typ && typ == TypeAgent:
		return ErrExpectedAgent
	case su.UserType != typ:
		return ErrExpectedStandard
	}
	return s.DeleteSystemUser(ctx, id)
}
