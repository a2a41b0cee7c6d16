package registry

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

var (
	ErrClientNotFound      = apperr.New(apperr.Invalid, "CLIENT_NOT_FOUND", "the client organisation is unknown").WithAltinn("AUTH-00079")
	ErrClientLacksPackages = apperr.New(apperr.Invalid, "CLIENT_LACKS_PACKAGES", "the client has not given the facilitator every package of the system user").WithAltinn("AUTH-00080")
	ErrClientNotDelegated  = apperr.New(apperr.NotFound, "CLIENT_NOT_DELEGATED", "the organisation is not a client of this system user")
)

// agentForClientAdmin loads a live agent system user whose owner (the
// facilitator) the caller administers clients of.
func (s *Service) agentForClientAdmin(ctx context.Context, idb bun.IDB, id uuid.UUID) (*SystemUser, error) {
	caller := identity.FromContext(ctx)
	q := s.selectSystemUsers(idb).ColumnExpr(systemUserColumns).Where("su.id = ? AND su.deleted_at IS NULL", id)
	switch {
	case caller.IsAdmin():
	case caller.Kind == identity.Person && caller.PID != "":
		q.Where("su.owner_org IN (?)", orgsWithRole(caller.PID, ClientAdminRoles))
	default:
		return nil, ErrUnauthenticated
	}
	var rows []systemUserRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, internal("load agent", err)
	}
	if len(rows) == 0 {
		return nil, ErrSystemUserNotFound
	}
	su := systemUserFrom(&rows[0])
	if su.UserType != TypeAgent {
		return nil, ErrNotAnAgent
	}
	if err := loadSystemUserChildren(ctx, idb, []*SystemUser{su}); err != nil {
		return nil, err
	}
	return su, nil
}

// GetAgent returns a live agent system user whose clients the caller may
// administer: a person with a client-admin role (ClientAdminRoles) at
// the owner org (the facilitator), or an admin.
// Errors: unauthenticated; not_found SYSTEM_USER_NOT_FOUND (AUTH-00015, also when not allowed);
// invalid NOT_AN_AGENT (AUTH.VLD-00015).
func (s *Service) GetAgent(ctx context.Context, id uuid.UUID) (*SystemUser, error) {
	return s.agentForClientAdmin(ctx, s.db, id)
}

// ListAgentSystemUsers lists ownerOrg's live agent system users, oldest
// first, to a person with a client-admin role there (or an admin): the
// list a client administrator picks an agent from.
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR (also for an unknown org).
func (s *Service) ListAgentSystemUsers(ctx context.Context, ownerOrg string) ([]*SystemUser, error) {
	caller := identity.FromContext(ctx)
	switch {
	case caller.IsAdmin():
	case caller.Kind == identity.Person && caller.PID != "":
		ok, err := s.administers(ctx, s.db, caller.PID, ownerOrg, ClientAdminRoles)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrNotAdministrator
		}
	default:
		return nil, ErrUnauthenticated
	}
	return s.ownedSystemUsers(ctx, ownerOrg, TypeAgent)
}

// coveringClientsSQL selects client orgs that gave facilitator ? every one
// of the packages (?) — ? is the number of packages.
const coveringClientsSQL = "SELECT client_org FROM client_relationships WHERE facilitator_org = ? AND package_urn IN (?) " +
	"GROUP BY client_org HAVING count(DISTINCT package_urn) = ?"

// AddClient lets an agent system user act for clientOrg. Allowed to a
// person with a client-admin role (ClientAdminRoles) at the owner org.
// Adding a client twice is a no-op.
// Errors: unauthenticated; not_found SYSTEM_USER_NOT_FOUND (AUTH-00015); invalid NOT_AN_AGENT
// (VLD-00015), CLIENT_NOT_FOUND (AUTH-00079), CLIENT_LACKS_PACKAGES (AUTH-00080).
func (s *Service) AddClient(ctx context.Context, systemUserID uuid.UUID, clientOrg string) (*Client, error) {
	caller := identity.FromContext(ctx)
	var out *Client
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		su, err := s.agentForClientAdmin(ctx, tx, systemUserID)
		if err != nil {
			return err
		}
		var org db.Organization
		if err := tx.NewSelect().Model(&org).Where("org_number = ?", clientOrg).Scan(ctx); err != nil {
			if isNoRows(err) {
				return ErrClientNotFound
			}
			return err
		}
		if len(su.AccessPackages) == 0 {
			return ErrClientLacksPackages
		}
		var ok bool
		if err := tx.NewRaw("SELECT ? IN ("+coveringClientsSQL+")",
			clientOrg, su.OwnerOrg, bun.In(su.AccessPackages), len(su.AccessPackages)).Scan(ctx, &ok); err != nil {
			return err
		}
		if !ok {
			return ErrClientLacksPackages
		}
		cd := &db.ClientDelegation{SystemUserID: systemUserID, ClientOrg: clientOrg, CreatedBy: caller.PID, CreatedAt: s.now()}
		if _, err := tx.NewInsert().Model(cd).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(cd).WherePK().Scan(ctx); err != nil {
			return err
		}
		out = &Client{SystemUserID: systemUserID, ClientOrg: clientOrg, ClientName: org.Name, ClientUUID: org.PartyUUID, CreatedAt: cd.CreatedAt}
		return nil
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return nil, err
		}
		return nil, internal("add client", err)
	}
	s.log.InfoContext(ctx, "client added", "system_user_id", systemUserID, "client", clientOrg)
	return out, nil
}

// RemoveClient stops an agent system user acting for clientOrg.
// Errors: as AddClient's access errors, plus not_found CLIENT_NOT_DELEGATED.
func (s *Service) RemoveClient(ctx context.Context, systemUserID uuid.UUID, clientOrg string) error {
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := s.agentForClientAdmin(ctx, tx, systemUserID); err != nil {
			return err
		}
		res, err := tx.NewDelete().Model((*db.ClientDelegation)(nil)).
			Where("system_user_id = ? AND client_org = ?", systemUserID, clientOrg).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrClientNotDelegated
		}
		return nil
	})
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return err
		}
		return internal("remove client", err)
	}
	s.log.InfoContext(ctx, "client removed", "system_user_id", systemUserID, "client", clientOrg)
	return nil
}

// ListClients pages through an agent system user's clients by org number.
// Errors: as RemoveClient's access errors; invalid INVALID_CURSOR, INVALID_PAGE_SIZE.
func (s *Service) ListClients(ctx context.Context, systemUserID uuid.UUID, p Page) (*Connection[*Client], error) {
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
	if _, err := s.agentForClientAdmin(ctx, s.db, systemUserID); err != nil {
		return nil, err
	}
	total, err := s.db.NewSelect().Model((*db.ClientDelegation)(nil)).Where("system_user_id = ?", systemUserID).Count(ctx)
	if err != nil {
		return nil, internal("count clients", err)
	}
	type row struct {
		ClientOrg  string    `bun:"client_org"`
		ClientName string    `bun:"name"`
		ClientUUID uuid.UUID `bun:"party_uuid"`
		CreatedAt  time.Time `bun:"created_at"`
	}
	var rows []row
	q := s.db.NewSelect().TableExpr("client_delegations AS cd").Join("JOIN organizations AS o ON o.org_number = cd.client_org").
		ColumnExpr("cd.client_org, o.name, o.party_uuid, cd.created_at").Where("cd.system_user_id = ?", systemUserID).
		OrderExpr("cd.client_org").Limit(int64(limit + 1))
	if after != "" {
		q.Where("cd.client_org > ?", after)
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, internal("list clients", err)
	}
	rows, more := trim(rows, limit)
	conn := &Connection[*Client]{Items: make([]*Client, len(rows)), Cursors: make([]string, len(rows)),
		TotalCount: int(total), HasNextPage: more}
	for i, r := range rows {
		conn.Items[i] = &Client{SystemUserID: systemUserID, ClientOrg: r.ClientOrg, ClientName: r.ClientName, ClientUUID: r.ClientUUID, CreatedAt: r.CreatedAt}
		conn.Cursors[i] = keyCursor(r.ClientOrg)
	}
	return conn, nil
}

// AvailableClients lists the organisations that gave the agent's owner
// every package the agent holds, delegated or not, by org number.
// Errors: as RemoveClient's access errors.
func (s *Service) AvailableClients(ctx context.Context, systemUserID uuid.UUID) ([]*Organization, error) {
	su, err := s.agentForClientAdmin(ctx, s.db, systemUserID)
	if err != nil {
		return nil, err
	}
	out := []*Organization{}
	if len(su.AccessPackages) == 0 {
		return out, nil
	}
	var rows []db.Organization
	if err := s.db.NewSelect().Model(&rows).
		Where("org_number IN ("+coveringClientsSQL+")", su.OwnerOrg, bun.In(su.AccessPackages), len(su.AccessPackages)).
		Order("org_number").Scan(ctx); err != nil {
		return nil, internal("available clients", err)
	}
	for _, r := range rows {
		out = append(out, organizationFrom(&r))
	}
	return out, nil
}
