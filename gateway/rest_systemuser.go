package gateway

import (
	"net/http"
	"time"

	"github.com/systemuser-gateway/systemuser/registry"
)

// externalSystemUser is Altinn's "External DTO" of a system user, the shape
// vendor APIs and Maskinporten's lookup return (ALTINN-REFERENCE §1.3).
type externalSystemUser struct {
	ID               string    `json:"id"`
	IntegrationTitle string    `json:"integrationTitle"`
	SystemID         string    `json:"systemId"`
	ProductName      string    `json:"productName"`
	ReporteeOrgNo    string    `json:"reporteeOrgNo"`
	Created          time.Time `json:"created"`
	IsDeleted        bool      `json:"isDeleted"`
	SupplierName     string    `json:"supplierName"`
	SupplierOrgNo    string    `json:"supplierOrgno"`
	ExternalRef      string    `json:"externalRef"`
	UserType         string    `json:"userType"`
}

func toExternalSystemUser(su *registry.SystemUser) externalSystemUser {
	return externalSystemUser{
		ID: su.ID.String(), IntegrationTitle: su.IntegrationTitle, SystemID: su.SystemID,
		// Altinn sets productName to the system id in this reply ("temporary
		// fix until Maskinporten changes their integration").
		ProductName: su.SystemID, ReporteeOrgNo: su.OwnerOrg, Created: su.CreatedAt.UTC(),
		IsDeleted: su.IsDeleted, SupplierOrgNo: su.VendorOrg, ExternalRef: su.ExternalRef, UserType: su.UserType,
	}
}

// handleSystemUserByExternalID is the lookup Maskinporten makes before it
// issues a system-user token: 200 with the system user, or 404 with an empty
// body, as Altinn answers.
func (s *Server) handleSystemUserByExternalID(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	su, err := s.deps.Registry.LookupSystemUser(r.Context(), q.Get("clientId"), q.Get("systemProviderOrgNo"),
		q.Get("systemUserOwnerOrgNo"), q.Get("externalRef"))
	if err != nil {
		if HTTPStatus(err) == http.StatusNotFound {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		s.restError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toExternalSystemUser(su))
}

// restError answers err as problem details and logs internal errors in full.
func (s *Server) restError(w http.ResponseWriter, r *http.Request, err error) {
	if HTTPStatus(err) >= 500 {
		s.logger.ErrorContext(r.Context(), "rest internal error", "error", err, "path", r.URL.Path)
	}
	writeProblem(w, r, err)
}
