package registry

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

// Change types of the System Register's change log (Altinn's
// SystemChangeType, serialised as Altinn does).
const (
	ChangeCreate              = "create"
	ChangeUpdate              = "update"
	ChangeRightsUpdate        = "rightsupdate"
	ChangeAccessPackageUpdate = "accesspackageupdate"
	ChangeDelete              = "delete"
)

// SystemChange is one entry of a system's change log (Altinn's
// SystemChangeLog).
type SystemChange struct {
	SystemID         string
	SystemInternalID uuid.UUID
	ChangedByOrg     string // the caller's organisation
	ChangeType       string // one of the Change* constants
	// ChangedData is the JSON of what the change set, in the form Altinn
	// stores it (its request object as .NET serialises it, PascalCase
	// members): the whole system for create and update, the rights or the
	// access packages for their updates, null for delete.
	ChangedData json.RawMessage
	ClientID    string // the caller's Maskinporten client id
	CreatedAt   time.Time
}

// Altinn's stored shapes of changed data (see SystemChange.ChangedData).
type (
	changedSystem struct {
		ID                  string           `json:"Id"`
		Vendor              changedVendor    `json:"Vendor"`
		Name                changedTexts     `json:"Name"`
		Description         changedTexts     `json:"Description"`
		Rights              []changedRight   `json:"Rights"`
		AccessPackages      []changedPackage `json:"AccessPackages"`
		ClientID            []string         `json:"ClientId"`
		IsVisible           bool             `json:"IsVisible"`
		AllowedRedirectUrls []string         `json:"AllowedRedirectUrls"`
	}
	changedVendor struct {
		ID string `json:"ID"`
	}
	changedTexts struct {
		NB string `json:"nb"`
		NN string `json:"nn"`
		EN string `json:"en"`
	}
	changedRight struct {
		Action   *string       `json:"Action"`
		Resource []changedAttr `json:"Resource"`
	}
	changedAttr struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	}
	changedPackage struct {
		URN string `json:"Urn"`
	}
)

func changedRights(rs []Right) []changedRight {
	out := make([]changedRight, len(rs))
	for i, r := range rs {
		out[i] = changedRight{Resource: []changedAttr{{ID: "urn:altinn:resource", Value: r.Resource}}}
		if r.Action != "" {
			out[i].Action = &r.Action
		}
	}
	return out
}

func changedPackages(urns []string) []changedPackage {
	out := make([]changedPackage, len(urns))
	for i, u := range urns {
		out[i] = changedPackage{URN: u}
	}
	return out
}

func changedSystemOf(in *SystemInput) changedSystem {
	return changedSystem{ID: in.ID, Vendor: changedVendor{ID: "0192:" + in.VendorOrg},
		Name:           changedTexts{NB: in.Name.NB, NN: in.Name.NN, EN: in.Name.EN},
		Description:    changedTexts{NB: in.Description.NB, NN: in.Description.NN, EN: in.Description.EN},
		Rights:         changedRights(in.Rights),
		AccessPackages: changedPackages(in.AccessPackages),
		ClientID:       nonNilStrings(in.ClientIDs), IsVisible: in.IsVisible,
		AllowedRedirectUrls: nonNilStrings(in.RedirectURLs)}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nonNilStrings(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// logSystemChange appends to the change log of system id inside tx, so the
// entry exists exactly when the change was committed.
func logSystemChange(ctx context.Context, tx bun.Tx, caller *identity.Identity, id, changeType string, data any, now time.Time) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	var clientID any
	if caller.ClientID != "" {
		clientID = caller.ClientID
	}
	var org any
	if caller.OrgNumber != "" {
		org = caller.OrgNumber
	}
	_, err = tx.NewRaw("INSERT INTO system_change_log (system_internal_id, changed_by_org, change_type, changed_data, client_id, created_at) "+
		"SELECT internal_id, ?, ?, ?::jsonb, ?, ? FROM systems WHERE id = ?",
		org, changeType, string(raw), clientID, now, id).Exec(ctx)
	return err
}

// SystemChangeLog returns the change log of one of the caller's systems
// (deleted ones included), newest first, as Altinn's vendor route does.
// Errors: unauthenticated; forbidden MISSING_SCOPE; not_found SYSTEM_NOT_FOUND (AUTH-00011),
// also for another vendor's system.
func (s *Service) SystemChangeLog(ctx context.Context, systemID string) ([]*SystemChange, error) {
	caller := identity.FromContext(ctx)
	if err := require(caller, auth.SystemRegisterWrite); err != nil {
		return nil, err
	}
	q := s.db.NewSelect().Model((*db.System)(nil)).Where("id = ?", systemID)
	if !caller.IsAdmin() {
		q.Where("vendor_org = ?", caller.OrgNumber)
	}
	if ok, err := q.Exists(ctx); err != nil {
		return nil, internal("check system", err)
	} else if !ok {
		return nil, ErrSystemNotFound
	}
	m, err := s.SystemChangeLogsByID(ctx, []string{systemID})
	if err != nil {
		return nil, err
	}
	return m[systemID], nil
}

// SystemChangeLogsByID loads the change logs of systems for a dataloader,
// newest entry first. It is unscoped: the caller decides who may see the
// log of a system it holds (its vendor and admins). Every id is in the map.
func (s *Service) SystemChangeLogsByID(ctx context.Context, ids []string) (map[string][]*SystemChange, error) {
	out := make(map[string][]*SystemChange, len(ids))
	for _, id := range ids {
		out[id] = []*SystemChange{}
	}
	if len(ids) == 0 {
		return out, nil
	}
	type row struct {
		ID               int64     `bun:"id"`
		SystemID         string    `bun:"system_id"`
		SystemInternalID uuid.UUID `bun:"system_internal_id"`
		ChangedByOrg     *string   `bun:"changed_by_org"`
		ChangeType       string    `bun:"change_type"`
		ChangedData      string    `bun:"changed_data"`
		ClientID         *string   `bun:"client_id"`
		CreatedAt        time.Time `bun:"created_at"`
	}
	var rows []row
	if err := s.db.NewSelect().TableExpr("system_change_log AS l").Join("JOIN systems AS s ON s.internal_id = l.system_internal_id").
		ColumnExpr("l.*, s.id AS system_id").Where("s.id IN (?)", bun.In(ids)).
		OrderExpr("l.created_at DESC, l.id DESC").Scan(ctx, &rows); err != nil {
		return nil, internal("load system change log", err)
	}
	for _, r := range rows {
		out[r.SystemID] = append(out[r.SystemID], &SystemChange{SystemID: r.SystemID, SystemInternalID: r.SystemInternalID,
			ChangedByOrg: deref(r.ChangedByOrg), ChangeType: r.ChangeType, ChangedData: json.RawMessage(r.ChangedData),
			ClientID: deref(r.ClientID), CreatedAt: r.CreatedAt})
	}
	return out, nil
}
