package rest

import (
	"errors"
	"net/http"
	"time"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/gateway/requestid"
	"github.com/systemuser-gateway/systemuser/identity"
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
		if apperr.HTTPStatus(err) == http.StatusNotFound {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		s.restError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toExternalSystemUser(su))
}

// restError answers err as problem details and logs internal errors in full.
// A vendor acting on another vendor's system is answered as Altinn's
// controllers do (Forbid(): 403 without body).
func (s *Server) restError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errRESTNotVendor) || errors.Is(err, registry.ErrNotSystemVendor) {
		policyFailure(w, auth.ErrForbidden)
		return
	}
	switch statusOf(err) {
	case http.StatusServiceUnavailable: // an outage: expected, and the caller retries
		s.logger.WarnContext(r.Context(), "rest unavailable", "error", err, "path", r.URL.Path, "request_id", requestid.From(r.Context()))
	case http.StatusInternalServerError:
		s.logger.ErrorContext(r.Context(), "rest internal error", "error", err, "path", r.URL.Path, "request_id", requestid.From(r.Context()))
	}
	writeProblem(w, r, err)
}

// handleVendorSystemUsersBySystem pages through the live system users of
// one of the caller's systems (Altinn: systemregister.write scope).
func (s *Server) handleVendorSystemUsersBySystem(w http.ResponseWriter, r *http.Request) {
	if _, err := s.vendorSystem(r); err != nil {
		// Altinn answers another vendor's system here as an unknown one
		// (AUTH-00011, 404), not with the System Register's 403.
		if errors.Is(err, errRESTNotVendor) {
			err = registry.ErrSystemNotFound
		}
		s.restError(w, r, err)
		return
	}
	conn, err := s.deps.Registry.ListSystemUsers(r.Context(), registry.SystemUserFilter{SystemID: r.PathValue("systemId")}, pageOf(r))
	if err != nil {
		s.restError(w, r, err)
		return
	}
	out := paginated[externalSystemUser]{Data: make([]externalSystemUser, len(conn.Items))}
	for i, su := range conn.Items {
		out.Data[i] = toExternalSystemUser(su)
	}
	out.Links.Next = s.nextLink(r, conn.HasNextPage, conn.EndCursor())
	writeJSON(w, http.StatusOK, out)
}

var errByQueryParams = apperr.Validation([]apperr.Violation{{Reason: "QUERY_PARAMETER_MISSING",
	Message: "system-id and orgno are required", Path: "/system-id"}})

// handleVendorSystemUserByQuery finds the caller's live system user by
// (system, owner org, externalRef), the id a vendor needs for change
// requests; externalRef defaults to the org number.
func (s *Server) handleVendorSystemUserByQuery(w http.ResponseWriter, r *http.Request) {
	caller := identity.FromContext(r.Context())
	q := r.URL.Query()
	systemID, org, ref := q.Get("system-id"), q.Get("orgno"), q.Get("external-ref")
	if systemID == "" || org == "" {
		s.restError(w, r, errByQueryParams)
		return
	}
	if ref == "" {
		ref = org
	}
	p := registry.Page{First: registry.MaxPageSize, SkipTotal: true}
	for {
		conn, err := s.deps.Registry.ListSystemUsers(r.Context(), registry.SystemUserFilter{OwnerOrg: org, SystemID: systemID}, p)
		if err != nil {
			s.restError(w, r, err)
			return
		}
		for _, su := range conn.Items {
			if su.ExternalRef == ref && (su.VendorOrg == caller.OrgNumber || caller.IsAdmin()) {
				writeJSON(w, http.StatusOK, toExternalSystemUser(su))
				return
			}
		}
		if !conn.HasNextPage || len(conn.Items) == 0 {
			break
		}
		p.After = conn.EndCursor()
	}
	s.restError(w, r, apperr.New(apperr.NotFound, "SYSTEM_USER_NOT_FOUND", "system user not found").WithAltinn("AUTH-00015"))
}
