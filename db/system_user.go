package db

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// SystemUser is an organisation's instance of a system, holding delegated
// rights and access packages.
type SystemUser struct {
	bun.BaseModel `bun:"table:system_users"`

	ID               uuid.UUID  `bun:"id,pk,type:uuid,nullzero,default:gen_random_uuid()"`
	IntegrationTitle string     `bun:"integration_title,notnull"`
	SystemID         string     `bun:"system_id,notnull"`
	OwnerOrg         string     `bun:"owner_org,notnull"`
	ExternalRef      string     `bun:"external_ref,notnull"`
	UserType         string     `bun:"user_type,notnull"`
	CreatedBy        string     `bun:"created_by,nullzero"`
	CreatedAt        time.Time  `bun:"created_at,nullzero,notnull,default:current_timestamp"`
	UpdatedAt        time.Time  `bun:"updated_at,nullzero,notnull,default:current_timestamp"`
	DeletedAt        *time.Time `bun:"deleted_at"`
	DeletedBy        string     `bun:"deleted_by,nullzero"`
}

// SystemUserRight is a right delegated to a system user.
type SystemUserRight struct {
	bun.BaseModel `bun:"table:system_user_rights"`

	SystemUserID uuid.UUID `bun:"system_user_id,type:uuid,notnull"`
	ResourceID   string    `bun:"resource_id,notnull"`
	Action       string    `bun:"action,nullzero"`
}

// SystemUserAccessPackage is an access package delegated to a system user.
type SystemUserAccessPackage struct {
	bun.BaseModel `bun:"table:system_user_access_packages"`

	SystemUserID uuid.UUID `bun:"system_user_id,pk,type:uuid"`
	PackageURN   string    `bun:"package_urn,pk"`
}

// ClientRelationship records that a client organisation gave a facilitator
// an access package through a role (REGN, REVI, FFOR).
type ClientRelationship struct {
	bun.BaseModel `bun:"table:client_relationships"`

	ClientOrg      string    `bun:"client_org,pk"`
	FacilitatorOrg string    `bun:"facilitator_org,pk"`
	Role           string    `bun:"role,notnull"`
	PackageURN     string    `bun:"package_urn,pk"`
	CreatedAt      time.Time `bun:"created_at,nullzero,notnull,default:current_timestamp"`
}

// ClientDelegation lets an agent system user act for a client organisation.
type ClientDelegation struct {
	bun.BaseModel `bun:"table:client_delegations"`

	SystemUserID uuid.UUID `bun:"system_user_id,pk,type:uuid"`
	ClientOrg    string    `bun:"client_org,pk"`
	CreatedBy    string    `bun:"created_by,nullzero"`
	CreatedAt    time.Time `bun:"created_at,nullzero,notnull,default:current_timestamp"`
}
