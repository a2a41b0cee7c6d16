package db

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Decision is one authorize answer, appended to the audit log.
type Decision struct {
	bun.BaseModel `bun:"table:decisions"`

	ID           uuid.UUID `bun:"id,pk,type:uuid"`
	DecidedAt    time.Time `bun:"decided_at,notnull"`
	CallerOrg    string    `bun:"caller_org,nullzero"`
	SystemUserID uuid.UUID `bun:"system_user_id,type:uuid,nullzero"`
	SystemID     string    `bun:"system_id,nullzero"`
	OwnerOrg     string    `bun:"owner_org,nullzero"`
	Action       string    `bun:"action,notnull"`
	ResourceID   string    `bun:"resource_id,notnull"`
	PartyOrg     string    `bun:"party_org,nullzero"`
	Result       string    `bun:"result,notnull"`
	ReasonCode   string    `bun:"reason_code,notnull"`
	Reason       string    `bun:"reason,notnull"`
	PermittedBy  string    `bun:"permitted_by,nullzero"`
	LatencyUS    int64     `bun:"latency_us,notnull"`
}
