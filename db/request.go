package db

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Request is a vendor's request for a system user at a customer.
type Request struct {
	bun.BaseModel `bun:"table:requests"`

	ID               uuid.UUID  `bun:"id,pk,type:uuid,nullzero,default:gen_random_uuid()"`
	RequestType      string     `bun:"request_type,notnull"`
	SystemID         string     `bun:"system_id,notnull"`
	PartyOrg         string     `bun:"party_org,notnull"`
	ExternalRef      string     `bun:"external_ref,notnull"`
	IntegrationTitle string     `bun:"integration_title,notnull"`
	Status           string     `bun:"status,notnull"`
	RedirectURL      string     `bun:"redirect_url,nullzero"`
	Escalated        bool       `bun:"escalated,notnull"`
	CreatedAt        time.Time  `bun:"created_at,nullzero,notnull,default:current_timestamp"`
	UpdatedAt        time.Time  `bun:"updated_at,nullzero,notnull,default:current_timestamp"`
	DecidedAt        *time.Time `bun:"decided_at"`
	DecidedBy        string     `bun:"decided_by,nullzero"`
	DeletedAt        *time.Time `bun:"deleted_at"`
}

// RequestRight is a right a request asks for.
type RequestRight struct {
	bun.BaseModel `bun:"table:request_rights"`

	RequestID  uuid.UUID `bun:"request_id,type:uuid,notnull"`
	ResourceID string    `bun:"resource_id,notnull"`
	Action     string    `bun:"action,nullzero"`
}

// RequestAccessPackage is an access package a request asks for.
type RequestAccessPackage struct {
	bun.BaseModel `bun:"table:request_access_packages"`

	RequestID  uuid.UUID `bun:"request_id,pk,type:uuid"`
	PackageURN string    `bun:"package_urn,pk"`
}

// ChangeRequest asks to add (wanted) or remove rights and packages of an
// existing standard system user. Its id is the vendor's correlation id.
type ChangeRequest struct {
	bun.BaseModel `bun:"table:change_requests"`

	ID           uuid.UUID  `bun:"id,pk,type:uuid"`
	SystemUserID uuid.UUID  `bun:"system_user_id,type:uuid,notnull"`
	Status       string     `bun:"status,notnull"`
	RedirectURL  string     `bun:"redirect_url,nullzero"`
	CreatedAt    time.Time  `bun:"created_at,nullzero,notnull,default:current_timestamp"`
	UpdatedAt    time.Time  `bun:"updated_at,nullzero,notnull,default:current_timestamp"`
	DecidedAt    *time.Time `bun:"decided_at"`
	DecidedBy    string     `bun:"decided_by,nullzero"`
	DeletedAt    *time.Time `bun:"deleted_at"`
}

// ChangeRequestRight is a right to add (Wanted) or remove.
type ChangeRequestRight struct {
	bun.BaseModel `bun:"table:change_request_rights"`

	ChangeRequestID uuid.UUID `bun:"change_request_id,type:uuid,notnull"`
	ResourceID      string    `bun:"resource_id,notnull"`
	Action          string    `bun:"action,nullzero"`
	Wanted          bool      `bun:"wanted,notnull"`
}

// ChangeRequestAccessPackage is a package to add (Wanted) or remove.
type ChangeRequestAccessPackage struct {
	bun.BaseModel `bun:"table:change_request_access_packages"`

	ChangeRequestID uuid.UUID `bun:"change_request_id,pk,type:uuid"`
	PackageURN      string    `bun:"package_urn,pk"`
	Wanted          bool      `bun:"wanted,notnull"`
}
