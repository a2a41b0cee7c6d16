package db

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// MaskinportenClient is a client registered with the Maskinporten simulator.
type MaskinportenClient struct {
	bun.BaseModel `bun:"table:maskinporten_clients,alias:mc"`

	ClientID  string                   `bun:"client_id,pk"`
	OrgNumber string                   `bun:"org_number,notnull"`
	Name      string                   `bun:"name,notnull"`
	Scopes    []string                 `bun:"scopes,array,notnull"`
	CreatedAt time.Time                `bun:"created_at,nullzero,notnull,default:current_timestamp"`
	DeletedAt *time.Time               `bun:"deleted_at"`
	Keys      []*MaskinportenClientKey `bun:"rel:has-many,join:client_id=client_id"`
}

// MaskinportenClientKey is a public JWK of a client; the schema refuses
// private members.
type MaskinportenClientKey struct {
	bun.BaseModel `bun:"table:maskinporten_client_keys"`

	ClientID  string          `bun:"client_id,pk"`
	Kid       string          `bun:"kid,pk"`
	PublicJWK json.RawMessage `bun:"public_jwk,type:jsonb,notnull"`
	CreatedAt time.Time       `bun:"created_at,nullzero,notnull,default:current_timestamp"`
}
