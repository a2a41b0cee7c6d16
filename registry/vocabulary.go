package registry

import (
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"github.com/systemuser-gateway/systemuser/db"
)

// The domain's vocabulary, declared once for every layer: transports, pdp
// and the tests speak these names; db stores them as plain strings.

// Request and system user types (Altinn's spelling); a request's type is
// the type of the system user it creates.
const (
	TypeStandard = "standard"
	TypeAgent    = "agent"
)

// Request and change request statuses (Altinn's spelling).
const (
	StatusNew            = "New"
	StatusAccepted       = "Accepted"
	StatusRejected       = "Rejected"
	StatusNoChangeNeeded = "NoChangeNeeded" // a change request that asks for nothing new; never stored
)

// AdminRoles are the roles that let a person administer an organisation's
// system users (approve requests, create and delete system users).
var AdminRoles = []string{"DAGL", "LEDE", "ADMAI"}

// ClientAdminRoles may also add and remove clients of agent system users.
var ClientAdminRoles = []string{"DAGL", "LEDE", "ADMAI", "KLADM"}

// OrgsAdministeredBy is the subquery of the organisations pid administers
// (holds one of AdminRoles at): the one statement of "a person administers
// an organisation" that every scoped query embeds, as in
// q.Where("party_org IN (?)", OrgsAdministeredBy(pid)).
func OrgsAdministeredBy(pid string) schema.QueryWithArgs {
	return orgsWithRole(pid, AdminRoles)
}

// orgsWithRole is the subquery of the organisations where pid holds one of roles.
func orgsWithRole(pid string, roles []string) schema.QueryWithArgs {
	return bun.SafeQuery("SELECT org_number FROM person_roles WHERE pid = ? AND role IN (?)", pid, bun.In(roles))
}

// Event is one state change, announced by the database's triggers (migration
// 20261125000002_events) and delivered by db.Listener.
type Event = db.Event

// Event kinds: what changed. Event.ID and Event.Org name the row and its
// organisation.
const (
	KindRequest       = "request"
	KindChangeRequest = "change_request"
	KindSystemUser    = "system_user"
	KindSystem        = "system"
	KindCatalog       = "catalog" // resources, access packages, organisations
	// KindReset says events may have been missed (the listener lost or
	// regained its connection, or the subscriber fell behind): drop anything
	// derived from earlier events. Its Status is one of the Reset values.
	KindReset = db.KindReset
)

// Statuses of a KindReset event.
const (
	ResetConnected    = db.ResetConnected
	ResetDisconnected = db.ResetDisconnected
	ResetOverflow     = db.ResetOverflow
)
