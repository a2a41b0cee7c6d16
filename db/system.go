package db

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// System is a System Register entry.
type System struct {
	bun.BaseModel `bun:"table:systems"`

	ID            string    `bun:"id,pk"`
	InternalID    uuid.UUID `bun:"internal_id,type:uuid,nullzero,notnull,default:gen_random_uuid()"`
	VendorOrg     string    `bun:"vendor_org,notnull"`
	NameNB        string    `bun:"name_nb,notnull"`
	NameNN        string    `bun:"name_nn,notnull"`
	NameEN        string    `bun:"name_en,notnull"`
	DescriptionNB string    `bun:"description_nb,notnull"`
	DescriptionNN string    `bun:"description_nn,notnull"`
	DescriptionEN string    `bun:"description_en,notnull"`
	IsVisible     bool      `bun:"is_visible,notnull"`
	IsDeleted     bool      `bun:"is_deleted,notnull"`
	CreatedAt     time.Time `bun:"created_at,nullzero,notnull,default:current_timestamp"`
	UpdatedAt     time.Time `bun:"updated_at,nullzero,notnull,default:current_timestamp"`
}

// SystemRight is a (resource, action) a system needs; an empty Action means
// every action of the resource.
type SystemRight struct {
	bun.BaseModel `bun:"table:system_rights"`

	SystemID   string `bun:"system_id,notnull"`
	ResourceID string `bun:"resource_id,notnull"`
	Action     string `bun:"action,nullzero"`
}

// SystemAccessPackage is an access package a system needs.
type SystemAccessPackage struct {
	bun.BaseModel `bun:"table:system_access_packages"`

	SystemID   string `bun:"system_id,pk"`
	PackageURN string `bun:"package_urn,pk"`
}

// SystemClient is a Maskinporten client id a system uses.
type SystemClient struct {
	bun.BaseModel `bun:"table:system_clients"`

	ClientID string `bun:"client_id,pk"`
	SystemID string `bun:"system_id,notnull"`
}

// SystemRedirectURL is a URL requests of a system may redirect to.
type SystemRedirectURL struct {
	bun.BaseModel `bun:"table:system_redirect_urls"`

	SystemID string `bun:"system_id,pk"`
	URL      string `bun:"url,pk"`
}
