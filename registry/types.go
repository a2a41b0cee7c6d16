// Package registry holds the System Register, system users, requests, change
// requests and client delegations: every business rule, once, for GraphQL and
// REST alike. The caller comes from identity.FromContext; every query is
// scoped to what that caller may see.
package registry

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Texts is a text in Altinn's three languages.
type Texts struct {
	NB, NN, EN string
}

// Right is a resource and one of its actions; an empty Action means every
// action of the resource (Altinn rights often name only the resource).
type Right struct {
	Resource string
	Action   string
}

// System is a System Register entry.
type System struct {
	ID             string
	InternalID     uuid.UUID
	VendorOrg      string
	Name           Texts
	Description    Texts
	Rights         []Right
	AccessPackages []string
	ClientIDs      []string
	RedirectURLs   []string
	IsVisible      bool
	IsDeleted      bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// SystemUser is an organisation's instance of a system.
type SystemUser struct {
	ID               uuid.UUID
	IntegrationTitle string
	SystemID         string
	VendorOrg        string
	OwnerOrg         string
	ExternalRef      string
	UserType         string // "standard" or "agent"
	Rights           []Right
	AccessPackages   []string
	CreatedAt        time.Time
	IsDeleted        bool
}

// Request is a vendor's request for a system user (standard or agent).
type Request struct {
	ID               uuid.UUID
	RequestType      string // "standard" or "agent"
	SystemID         string
	PartyOrg         string
	ExternalRef      string
	IntegrationTitle string
	Rights           []Right
	AccessPackages   []string
	Status           string
	RedirectURL      string
	ConfirmURL       string
	TimedOut         bool
	Escalated        bool // a related person asked the party's access managers to decide
	CreatedAt        time.Time
	DecidedAt        *time.Time
}

// ChangeRequest asks to add and remove rights and packages of a standard
// system user.
type ChangeRequest struct {
	ID                     uuid.UUID
	SystemUserID           uuid.UUID
	SystemID               string
	PartyOrg               string
	ExternalRef            string
	RequiredRights         []Right
	UnwantedRights         []Right
	RequiredAccessPackages []string
	UnwantedAccessPackages []string
	Status                 string // New, Accepted, Rejected, NoChangeNeeded (never stored)
	RedirectURL            string
	ConfirmURL             string
	TimedOut               bool
	CreatedAt              time.Time
}

// Client is a client organisation an agent system user may act for.
type Client struct {
	SystemUserID uuid.UUID
	ClientOrg    string
	ClientName   string
	ClientUUID   uuid.UUID // the client's party UUID (Altinn's ClientInfo.clientId)
	CreatedAt    time.Time
}

// Page asks for at most First items after the opaque cursor After.
type Page struct {
	First int
	After string
	// SkipTotal leaves Connection.TotalCount 0 where counting costs a scan
	// of every matching row (ListSystemUsers: a vendor may have millions);
	// set it when the caller does not show the total (Altinn's REST lists
	// have none; a GraphQL query that does not select totalCount).
	SkipTotal bool
	// SkipChildren leaves the listed system users' Rights and
	// AccessPackages nil (ListSystemUsers, FirstSystemUserPages): a
	// statement saved when the caller reads neither.
	SkipChildren bool
}

// Connection is one page of a list, with what Relay needs.
type Connection[T any] struct {
	Items []T
	// Cursors holds one cursor per item, or is nil when each is made from
	// its item only when asked (Cursor): a list of system users, whose
	// cursors a nested read seldom selects and which cost a time format
	// and an encoding each (issue 14).
	Cursors     []string
	TotalCount  int
	HasNextPage bool
}

// Cursor is item i's cursor.
func (c *Connection[T]) Cursor(i int) string {
	if c.Cursors != nil {
		return c.Cursors[i]
	}
	if su, ok := any(c.Items[i]).(*SystemUser); ok {
		return systemUserCursor(su)
	}
	panic(fmt.Sprintf("registry: no cursors for a page of %T", c.Items[i]))
}

// EndCursor is the last item's cursor, "" for an empty page: where the
// next page starts.
func (c *Connection[T]) EndCursor() string {
	if len(c.Items) == 0 {
		return ""
	}
	return c.Cursor(len(c.Items) - 1)
}

// DefaultPageSize is Altinn's page size.
const DefaultPageSize = 50

// MaxPageSize bounds a page so one query cannot ask for everything.
const MaxPageSize = 500

// Organization is a party.
type Organization struct {
	OrgNumber string
	Name      string
	PartyUUID uuid.UUID // Altinn Register's party UUID
}

// Person is an end user who may act for organisations.
type Person struct {
	PID       string
	Name      string
	PartyUUID uuid.UUID // Altinn Register's party UUID
}

// Resource is a Resource Registry entry.
type Resource struct {
	ID            string
	OwnerOrg      string
	Title         Texts
	Actions       []string
	RequiredScope string
	Delegable     bool
	ResourceType  string
}

// AccessPackage groups resources; holding it grants every action on them.
type AccessPackage struct {
	URN         string
	Name        string
	Description string
	Assignable  bool
	Delegable   bool
	Resources   []string
}

// SystemFilter narrows ListSystems.
type SystemFilter struct {
	VendorOrg      string
	Search         string // id or name contains, case-insensitive
	IncludeDeleted bool
}

// SystemUserFilter narrows ListSystemUsers.
type SystemUserFilter struct {
	OwnerOrg string
	SystemID string
	UserType string
}
