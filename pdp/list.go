package pdp

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

// DecisionFilter narrows ListDecisions; empty fields do not filter.
type DecisionFilter struct {
	PartyOrg     string
	CallerOrg    string
	SystemUserID uuid.UUID
}

// DecisionPage is one page of the decision log, newest first.
type DecisionPage struct {
	Decisions   []Decision
	HasNextPage bool
	EndCursor   string // pass as after for the next page
}

// ListDecisions reads the decision log, scoped to the caller in ctx:
// persons see decisions about parties they administer (registry.AdminRoles),
// organisations the decisions they asked for (caller_org), platform
// admins all. Decisions are logged asynchronously (see LogOptions), so the
// newest may be missing for a moment. Codes: unauthenticated (anonymous),
// invalid (bad cursor or first outside 1..100).
func (e *Engine) ListDecisions(ctx context.Context, f DecisionFilter, first int, after string) (*DecisionPage, error) {
	if first < 1 || first > 100 {
		return nil, ErrInvalidPageSize
	}
	var rows []db.Decision
	q := e.bdb.NewSelect().Model(&rows).
		OrderExpr("decided_at DESC, id DESC").Limit(int64(first + 1))

	who := identity.FromContext(ctx)
	switch {
	case who.IsAdmin():
	case who.Kind == identity.Organization:
		q.Where("caller_org = ?", who.OrgNumber)
	case who.Kind == identity.Person:
		q.Where("party_org IN (?)", registry.OrgsAdministeredBy(who.PID))
	default:
		return nil, ErrUnauthenticated
	}
	if f.PartyOrg != "" {
		q.Where("party_org = ?", f.PartyOrg)
	}
	if f.CallerOrg != "" {
		q.Where("caller_org = ?", f.CallerOrg)
	}
	if f.SystemUserID != uuid.Nil {
		q.Where("system_user_id = ?", f.SystemUserID)
	}
	if after != "" {
		at, id, err := decodeCursor(after)
		if err != nil {
			return nil, ErrInvalidCursor
		}
		q.Where("(decided_at, id) < (?, ?)", at, id)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, &apperr.Error{Code: apperr.Internal, Reason: "INTERNAL", Message: "list decisions failed", Err: err}
	}
	page := &DecisionPage{HasNextPage: len(rows) > first}
	rows = rows[:min(len(rows), first)]
	page.Decisions = make([]Decision, len(rows))
	for i, r := range rows {
		page.Decisions[i] = Decision{
			ID: r.ID, Result: Result(r.Result), ReasonCode: ReasonCode(r.ReasonCode), Reason: r.Reason,
			PermittedBy: r.PermittedBy, SystemUserID: r.SystemUserID, SystemID: r.SystemID, OwnerOrg: r.OwnerOrg,
			Action: r.Action, ResourceID: r.ResourceID, PartyOrg: r.PartyOrg, CallerOrg: r.CallerOrg,
			Latency: time.Duration(r.LatencyUS) * time.Microsecond, DecidedAt: r.DecidedAt,
		}
	}
	if len(rows) > 0 {
		last := rows[len(rows)-1]
		page.EndCursor = encodeCursor(last.DecidedAt, last.ID)
	}
	return page, nil
}

func encodeCursor(at time.Time, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id.String()))
}

func decodeCursor(s string) (time.Time, uuid.UUID, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, uuid.Nil, err
	}
	ts, idStr, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, uuid.Nil, ErrInvalidCursor
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, uuid.Nil, err
	}
	id, err := uuid.Parse(idStr)
	return at, id, err
}
