package registry

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

// The party side of requests and change requests: Altinn's end-user routes
// name the party (the customer) in the path, and its rules are checked in
// this order (ALTINN-REFERENCE §2.3, RequestSystemUserService.ValidatePartyRequest):
// the person administers the party (Altinn's access-management policy, a
// 403 without body), the request exists (AUTH-00010), it belongs to the
// party (AUTH-00041, agent AUTH-00042), it is New (AUTH-00013).

var (
	ErrPartyRequestMismatch = apperr.New(apperr.Forbidden, "PARTY_REQUEST_MISMATCH",
		"the request is not for this party").WithAltinn("AUTH-00041")
	ErrPartyAgentRequestMismatch = apperr.New(apperr.Forbidden, "PARTY_AGENT_REQUEST_MISMATCH",
		"the agent request is not for this party").WithAltinn("AUTH-00042")
	ErrAgentRequestNotFound = apperr.New(apperr.NotFound, "AGENT_REQUEST_NOT_FOUND",
		"agent request not found").WithAltinn("AUTH-00030")
)

// requirePartyAdmin fails unless the caller is a person administering
// partyOrg (AdminRoles).
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR.
func (s *Service) requirePartyAdmin(ctx context.Context, idb bun.IDB, partyOrg string) (*identity.Identity, error) {
	caller := identity.FromContext(ctx)
	if err := requirePerson(caller); err != nil {
		return nil, err
	}
	ok, err := s.administers(ctx, idb, caller.PID, partyOrg, AdminRoles)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotAdministrator
	}
	return caller, nil
}

// partyRequest loads a live request of type typ for a route naming
// partyOrg. A request of another party is mismatch (nil: not found).
func (s *Service) partyRequest(ctx context.Context, partyOrg string, id uuid.UUID, typ string, notFound, mismatch error) (*Request, error) {
	if _, err := s.requirePartyAdmin(ctx, s.db, partyOrg); err != nil {
		return nil, err
	}
	req, err := s.oneRequest(ctx, s.selectRequests(s.db).Where("r.id = ? AND r.request_type = ?", id, typ))
	if apperr.Is(err, apperr.NotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if req.PartyOrg != partyOrg {
		if mismatch == nil {
			return nil, notFound
		}
		return nil, mismatch
	}
	return req, nil
}

func mismatchOf(typ string) error {
	if typ == TypeAgent {
		return ErrPartyAgentRequestMismatch
	}
	return ErrPartyRequestMismatch
}

// GetPartyRequest returns a request (standard or agent: typ) of partyOrg
// to a person administering it. A request of another party is not found,
// as in Altinn.
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR; not_found REQUEST_NOT_FOUND (AUTH-00010).
func (s *Service) GetPartyRequest(ctx context.Context, partyOrg string, id uuid.UUID, typ string) (*Request, error) {
	return s.partyRequest(ctx, partyOrg, id, typ, ErrRequestNotFound, nil)
}

// ApprovePartyRequest approves a request of partyOrg (ApproveRequest after
// Altinn's party checks).
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR, PARTY_REQUEST_MISMATCH (AUTH-00041),
// PARTY_AGENT_REQUEST_MISMATCH (AUTH-00042); not_found REQUEST_NOT_FOUND (AUTH-00010),
// AGENT_REQUEST_NOT_FOUND (AUTH-00030); and those of ApproveRequest.
func (s *Service) ApprovePartyRequest(ctx context.Context, partyOrg string, id uuid.UUID, typ string) (*SystemUser, error) {
	nf := ErrRequestNotFound
	if typ == TypeAgent {
		nf = ErrAgentRequestNotFound
	}
	if _, err := s.partyRequest(ctx, partyOrg, id, typ, nf, mismatchOf(typ)); err != nil {
		return nil, err
	}
	return s.ApproveRequest(ctx, id)
}

// RejectPartyRequest rejects a request of partyOrg.
// Errors: as ApprovePartyRequest (AUTH-00010 for a missing agent request too, as in
// Altinn), and those of RejectRequest.
func (s *Service) RejectPartyRequest(ctx context.Context, partyOrg string, id uuid.UUID, typ string) (*Request, error) {
	if _, err := s.partyRequest(ctx, partyOrg, id, typ, ErrRequestNotFound, mismatchOf(typ)); err != nil {
		return nil, err
	}
	return s.RejectRequest(ctx, id)
}

// EscalatePartyRequest marks a New request of partyOrg as escalated: a
// person with any role at the party (who may not approve) asks its access
// managers to decide. ok is false, and nothing changes, when the person has
// no role there (Altinn answers false then).
// Errors: unauthenticated; not_found REQUEST_NOT_FOUND (AUTH-00010); forbidden
// PARTY_REQUEST_MISMATCH (AUTH-00041), PARTY_AGENT_REQUEST_MISMATCH (AUTH-00042);
// conflict REQUEST_NOT_NEW (AUTH-00013).
func (s *Service) EscalatePartyRequest(ctx context.Context, partyOrg string, id uuid.UUID, typ string) (bool, error) {
	caller := identity.FromContext(ctx)
	if err := requirePerson(caller); err != nil {
		return false, err
	}
	related, err := s.db.NewSelect().Model((*db.PersonRole)(nil)).
		Where("pid = ? AND org_number = ?", caller.PID, partyOrg).Exists(ctx)
	if err != nil {
		return false, internal("check relation", err)
	}
	if !related {
		return false, nil
	}
	var rows []db.Request
	if err := s.db.NewRaw("UPDATE requests SET escalated = true, updated_at = ? "+
		"WHERE id = ? AND request_type = ? AND party_org = ? AND status = 'New' AND deleted_at IS NULL RETURNING *",
		s.now(), id, typ, partyOrg).Scan(ctx, &rows); err != nil {
		return false, internal("escalate request", err)
	}
	if len(rows) == 1 {
		s.log.InfoContext(ctx, "request escalated", "request_id", id, "by", caller.PID)
		return true, nil
	}
	// Say why, reading the request without the party filter: a person
	// related to the party may learn that an id belongs to someone else,
	// not whose.
	var cur db.Request
	err = s.db.NewSelect().Model(&cur).Where("id = ? AND request_type = ? AND deleted_at IS NULL", id, typ).Scan(ctx)
	switch {
	case isNoRows(err):
		return false, ErrRequestNotFound
	case err != nil:
		return false, internal("escalate request", err)
	case cur.PartyOrg != partyOrg:
		return false, mismatchOf(typ)
	default:
		return false, ErrRequestNotNew
	}
}

// PendingPartyRequests lists the New requests of type typ for orgNo,
// oldest first, to a person administering partyOrg. Altinn does not compare
// orgNo with the party; here it must be the party's own org number.
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR, PARTY_REQUEST_MISMATCH (AUTH-00041).
func (s *Service) PendingPartyRequests(ctx context.Context, partyOrg, orgNo, typ string) ([]*Request, error) {
	if _, err := s.requirePartyAdmin(ctx, s.db, partyOrg); err != nil {
		return nil, err
	}
	if orgNo != partyOrg {
		return nil, ErrPartyRequestMismatch
	}
	var rows []db.Request
	if err := s.selectRequests(s.db).Where("r.party_org = ? AND r.request_type = ? AND r.status = 'New'", orgNo, typ).
		OrderExpr("r.created_at, r.id").Scan(ctx, &rows); err != nil {
		return nil, internal("list pending requests", err)
	}
	out := make([]*Request, len(rows))
	for i := range rows {
		out[i] = s.requestFrom(&rows[i])
	}
	if err := loadRequestChildren(ctx, s.db, out); err != nil {
		return nil, err
	}
	return out, nil
}

// partyChangeRequest loads a change request of a system user partyOrg
// owns, to a person administering partyOrg.
func (s *Service) partyChangeRequest(ctx context.Context, partyOrg string, id uuid.UUID, mismatch error) (*ChangeRequest, error) {
	if _, err := s.requirePartyAdmin(ctx, s.db, partyOrg); err != nil {
		return nil, err
	}
	cr, err := s.changeRequestByID(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if cr.PartyOrg != partyOrg {
		if mismatch == nil {
			return nil, ErrChangeRequestNotFound
		}
		return nil, mismatch
	}
	return cr, nil
}

// GetPartyChangeRequest returns a change request of partyOrg's system user
// to a person administering partyOrg.
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR; not_found CHANGE_REQUEST_NOT_FOUND (AUTH-00010).
func (s *Service) GetPartyChangeRequest(ctx context.Context, partyOrg string, id uuid.UUID) (*ChangeRequest, error) {
	return s.partyChangeRequest(ctx, partyOrg, id, nil)
}

// ApprovePartyChangeRequest approves a change request of partyOrg's system
// user. Altinn does not compare the party with the system user's owner;
// here a change request of another party is AUTH-00041.
// Errors: unauthenticated; forbidden NOT_ADMINISTRATOR, PARTY_REQUEST_MISMATCH (AUTH-00041);
// not_found CHANGE_REQUEST_NOT_FOUND (AUTH-00010); and those of ApproveChangeRequest.
func (s *Service) ApprovePartyChangeRequest(ctx context.Context, partyOrg string, id uuid.UUID) (*ChangeRequest, error) {
	if _, err := s.partyChangeRequest(ctx, partyOrg, id, ErrPartyRequestMismatch); err != nil {
		return nil, err
	}
	return s.ApproveChangeRequest(ctx, id)
}

// RejectPartyChangeRequest rejects a change request of partyOrg's system user.
// Errors: as ApprovePartyChangeRequest.
func (s *Service) RejectPartyChangeRequest(ctx context.Context, partyOrg string, id uuid.UUID) (*ChangeRequest, error) {
	if _, err := s.partyChangeRequest(ctx, partyOrg, id, ErrPartyRequestMismatch); err != nil {
		return nil, err
	}
	return s.RejectChangeRequest(ctx, id)
}

// ErrNotAccessManager is Altinn's AUTH-00066: the person has no role at the
// request's party, so may neither approve nor escalate it.
var ErrNotAccessManager = apperr.New(apperr.Forbidden, "NOT_ACCESS_MANAGER",
	"you are neither an access manager of the party nor otherwise related to it").WithAltinn("AUTH-00066")

// RequestForPerson returns a request of type typ to a person related to its
// party (Altinn's portal GET {requestId}); mayApprove is false when the
// person holds a role there but not an administrator's, and may only
// escalate (Altinn's userMayEscalateButNotApprove).
// Errors: unauthenticated; not_found REQUEST_NOT_FOUND (AUTH-00010); forbidden NOT_ACCESS_MANAGER
// (AUTH-00066) when the person has no role at the party.
func (s *Service) RequestForPerson(ctx context.Context, id uuid.UUID, typ string) (req *Request, mayApprove bool, err error) {
	caller := identity.FromContext(ctx)
	if err := requirePerson(caller); err != nil {
		return nil, false, err
	}
	req, err = s.oneRequest(ctx, s.selectRequests(s.db).Where("r.id = ? AND r.request_type = ?", id, typ))
	if err != nil {
		return nil, false, err
	}
	var roles []string
	if err := s.db.NewSelect().Model((*db.PersonRole)(nil)).Column("role").
		Where("pid = ? AND org_number = ?", caller.PID, req.PartyOrg).Scan(ctx, &roles); err != nil {
		return nil, false, internal("load roles", err)
	}
	if len(roles) == 0 {
		return nil, false, ErrNotAccessManager
	}
	for _, r := range roles {
		if slices.Contains(AdminRoles, r) {
			return req, true, nil
		}
	}
	return req, false, nil
}
