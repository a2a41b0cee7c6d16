package db

import (
	"time"

	"github.com/uptrace/bun"
)

// Resource is an entry of the Resource Registry.
type Resource struct {
	bun.BaseModel `bun:"table:resources"`

	ID            string            `bun:"id,pk"`
	OwnerOrg      string            `bun:"owner_org,notnull"`
	TitleNB       string            `bun:"title_nb,notnull"`
	TitleNN       string            `bun:"title_nn,notnull"`
	TitleEN       string            `bun:"title_en,notnull"`
	ResourceType  string            `bun:"resource_type,notnull,default:'GenericAccessResource'"`
	RequiredScope string            `bun:"required_scope,nullzero"`
	Delegable     bool              `bun:"delegable,notnull"`
	CreatedAt     time.Time         `bun:"created_at,nullzero,notnull,default:current_timestamp"`
	UpdatedAt     time.Time         `bun:"updated_at,nullzero,notnull,default:current_timestamp"`
	Actions       []*ResourceAction `bun:"rel:has-many,join:id=resource_id"`
}

// ResourceAction is one action a resource supports.
type ResourceAction struct {
	bun.BaseModel `bun:"table:resource_actions"`

	ResourceID string `bun:"resource_id,pk"`
	Action     string `bun:"action,pk"`
}

// AccessPackage groups resources; holding it grants every action on them.
type AccessPackage struct {
	bun.BaseModel `bun:"table:access_packages"`

	URN         string    `bun:"urn,pk"`
	Name        string    `bun:"name,notnull"`
	Description string    `bun:"description,notnull"`
	Assignable  bool      `bun:"assignable,notnull"`
	Delegable   bool      `bun:"delegable,notnull"`
	CreatedAt   time.Time `bun:"created_at,nullzero,notnull,default:current_timestamp"`
}

// AccessPackageResource places a resource in a package.
type AccessPackageResource struct {
	bun.BaseModel `bun:"table:access_package_resources"`

	PackageURN string `bun:"package_urn,pk"`
	ResourceID string `bun:"resource_id,pk"`
}
