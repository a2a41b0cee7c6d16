package db

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Organization is a party identified by its 9-digit organisation number.
type Organization struct {
	bun.BaseModel `bun:"table:organizations"`

	OrgNumber string `bun:"org_number,pk"`
	Name      string `bun:"name,notnull"`
	// PartyUUID is Altinn Register's party UUID; left zero on insert, the
	// database derives it from the org number (migration party_uuids).
	PartyUUID uuid.UUID `bun:"party_uuid,type:uuid,nullzero"`
	CreatedAt time.Time `bun:"created_at,nullzero,notnull,default:current_timestamp"`
}

// Person is an end user (a test pid) who may act for organisations.
type Person struct {
	bun.BaseModel `bun:"table:persons"`

	PID       string        `bun:"pid,pk"`
	Name      string        `bun:"name,notnull"`
	PartyUUID uuid.UUID     `bun:"party_uuid,type:uuid,nullzero"` // derived from the pid when zero
	CreatedAt time.Time     `bun:"created_at,nullzero,notnull,default:current_timestamp"`
	Roles     []*PersonRole `bun:"rel:has-many,join:pid=pid"`
}

// PersonRole is a role a person holds in an organisation.
type PersonRole struct {
	bun.BaseModel `bun:"table:person_roles"`

	PID       string `bun:"pid,pk"`
	OrgNumber string `bun:"org_number,pk"`
	Role      string `bun:"role,pk"`
}
