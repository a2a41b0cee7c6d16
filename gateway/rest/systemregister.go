package rest

import (
	"context"
	"net/http"
	"strings"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

// textsJSON is Altinn's translated text {nb, nn, en}.
type textsJSON struct {
	NB string `json:"nb"`
	NN string `json:"nn"`
	EN string `json:"en"`
}

type vendorJSON struct {
	Authority string `json:"authority,omitempty"`
	ID        string `json:"ID"`
}

// registerSystemRequest is Altinn's RegisterSystemRequest. Other members
// (isDeleted, when a vendor PUTs back what it GOT) are ignored.
type registerSystemRequest struct {
	ID                  string              `json:"id"`
	Vendor              *vendorJSON         `json:"vendor"`
	Name                textsJSON           `json:"name"`
	Description         textsJSON           `json:"description"`
	Rights              []rightJSON         `json:"rights"`
	AccessPackages      []accessPackageJSON `json:"accessPackages"`
	ClientID            []string            `json:"clientId"`
	AllowedRedirectURLs []string            `json:"allowedRedirectUrls"`
	IsVisible           *bool               `json:"isVisible"`
}

// registeredSystemResponse is Altinn's vendor read model.
type registeredSystemResponse struct {
	ID                  string              `json:"id"`
	Vendor              vendorJSON          `json:"vendor"`
	Name                textsJSON           `json:"name"`
	Description         textsJSON           `json:"description"`
	Rights              []rightJSON         `json:"rights"`
	AccessPackages      []accessPackageJSON `json:"accessPackages"`
	ClientID            []string            `json:"clientId"`
	AllowedRedirectURLs []string            `json:"allowedRedirectUrls"`
	IsVisible           bool                `json:"isVisible"`
	IsDeleted           bool                `json:"isDeleted"`
}

// registeredSystemDTO is Altinn's portal/list model.
type registeredSystemDTO struct {
	SystemID              string              `json:"systemId"`
	SystemVendorOrgNumber string              `json:"systemVendorOrgNumber"`
	SystemVendorOrgName   string              `json:"systemVendorOrgName"`
	Name                  textsJSON           `json:"name"`
	Description           textsJSON           `json:"description"`
	Rights                []rightJSON         `json:"rights"`
	AccessPackages        []accessPackageJSON `json:"accessPackages"`
	IsVisible             bool                `json:"isVisible"`
}

type succeeded struct {
	Succeeded bool `json:"succeeded"`
}

func textsOf(t registry.Texts) textsJSON { return textsJSON{NB: t.NB, NN: t.NN, EN: t.EN} }

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func toSystemResponse(sys *registry.System) registeredSystemResponse {
	return registeredSystemResponse{
		ID: sys.ID, Vendor: vendorJSON{ID: "0192:" + sys.VendorOrg},
		Name: textsOf(sys.Name), Description: textsOf(sys.Description),
		Rights: rightsToJSON(sys.Rights), AccessPackages: packagesToJSON(sys.AccessPackages),
		ClientID: nonNil(sys.ClientIDs), AllowedRedirectURLs: nonNil(sys.RedirectURLs),
		IsVisible: sys.IsVisible, IsDeleted: sys.IsDeleted,
	}
}

// systemDTOs maps systems to the portal model, naming vendors in one query.
func (s *Server) systemDTOs(ctx context.Context, systems []*registry.System) ([]registeredSystemDTO, error) {
	orgs := make([]string, 0, len(systems))
	for _, sys := range systems {
		orgs = append(orgs, sys.VendorOrg)
	}
	names, err := s.deps.Registry.OrganizationsByNumber(ctx, orgs)
	if err != nil {
		return nil, err
	}
	out := make([]registeredSystemDTO, len(systems))
	for i, sys := range systems {
		out[i] = registeredSystemDTO{
			SystemID: sys.ID, SystemVendorOrgNumber: sys.VendorOrg,
			Name: textsOf(sys.Name), Description: textsOf(sys.Description),
			Rights: rightsToJSON(sys.Rights), AccessPackages: packagesToJSON(sys.AccessPackages),
			IsVisible: sys.IsVisible,
		}
		if o := names[sys.VendorOrg]; o != nil {
			out[i].SystemVendorOrgName = o.Name
		}
	}
	return out, nil
}

// systemInput translates the body; transport-level violations (vendor id
// form, resource attribute ids) are reported with the registry's.
func systemInput(body registerSystemRequest) (registry.SystemInput, error) {
	var vs []apperr.Violation
	in := registry.SystemInput{
		ID: body.ID, Name: registry.Texts(body.Name), Description: registry.Texts(body.Description),
		AccessPackages: packagesFromJSON(body.AccessPackages), ClientIDs: body.ClientID,
		RedirectURLs: body.AllowedRedirectURLs, IsVisible: body.IsVisible == nil || *body.IsVisible,
	}
	if body.Vendor != nil {
		org, ok := strings.CutPrefix(body.Vendor.ID, "0192:")
		if !ok || org == "" {
			vs = append(vs, apperr.Violation{Reason: "INVALID_VENDOR_ID", Altinn: "AUTH.VLD-00000",
				Message: `vendor.ID must be an ISO 6523 identifier "0192:<orgno>"`, Path: "/registersystemrequest/vendor/id"})
		}
		in.VendorOrg = org
	}
	rights, rvs := rightsFromJSON(body.Rights, "/registersystemrequest/rights/resource")
	in.Rights = rights
	vs = append(vs, rvs...)
	if err := apperr.Validation(vs); err != nil {
		return in, err
	}
	return in, nil
}

// handleListVisibleSystems is the portal's list: visible, live systems only,
// whoever asks (a vendor's own hidden systems are not part of it).
func (s *Server) handleListVisibleSystems(w http.ResponseWriter, r *http.Request) {
	ctx := identity.NewContext(r.Context(), &identity.Identity{Kind: identity.Anonymous})
	s.writeSystemList(w, r, ctx, registry.SystemFilter{})
}

// handleListVendorSystems lists the calling vendor's live systems.
func (s *Server) handleListVendorSystems(w http.ResponseWriter, r *http.Request) {
	caller := identity.FromContext(r.Context())
	s.writeSystemList(w, r, r.Context(), registry.SystemFilter{VendorOrg: caller.OrgNumber})
}

// writeSystemList answers every matching system as one array (Altinn's
// lists are not paged).
func (s *Server) writeSystemList(w http.ResponseWriter, r *http.Request, ctx context.Context, f registry.SystemFilter) {
	var all []*registry.System
	p := registry.Page{First: registry.MaxPageSize}
	for {
		conn, err := s.deps.Registry.ListSystems(ctx, f, p)
		if err != nil {
			s.restError(w, r, err)
			return
		}
		all = append(all, conn.Items...)
		if !conn.HasNextPage || len(conn.Items) == 0 {
			break
		}
		p.After = conn.EndCursor()
	}
	dtos, err := s.systemDTOs(r.Context(), all)
	if err != nil {
		s.restError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dtos)
}

func (s *Server) handleGetSystem(w http.ResponseWriter, r *http.Request) {
	sys, err := s.deps.Registry.GetSystem(r.Context(), r.PathValue("systemId"))
	if err == nil && sys.IsDeleted {
		err = apperr.New(apperr.NotFound, "SYSTEM_NOT_FOUND", "system not found").WithAltinn("AUTH-00011")
	}
	if err != nil {
		s.restError(w, r, err)
		return
	}
	dtos, err := s.systemDTOs(r.Context(), []*registry.System{sys})
	if err != nil {
		s.restError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dtos[0])
}

// vendorSystem loads the caller's own system for the vendor routes.
func (s *Server) vendorSystem(r *http.Request) (*registry.System, error) {
	caller := identity.FromContext(r.Context())
	id := r.PathValue("systemId")
	if err := requireSystemPrefix(caller, id); err != nil {
		return nil, err
	}
	sys, err := s.deps.Registry.GetSystem(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if sys.VendorOrg != caller.OrgNumber && !caller.IsAdmin() {
		return nil, apperr.New(apperr.NotFound, "SYSTEM_NOT_FOUND", "system not found").WithAltinn("AUTH-00011")
	}
	return sys, nil
}

func (s *Server) handleGetVendorSystem(w http.ResponseWriter, r *http.Request) {
	sys, err := s.vendorSystem(r)
	if err != nil {
		s.restError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toSystemResponse(sys))
}

// handleRegisterSystem answers 200 with the new system's internal GUID as a
// JSON string, as Altinn does.
func (s *Server) handleRegisterSystem(w http.ResponseWriter, r *http.Request) {
	var body registerSystemRequest
	if err := decodeJSON(r, &body); err != nil {
		s.restError(w, r, err)
		return
	}
	in, err := systemInput(body)
	if err != nil {
		s.restError(w, r, err)
		return
	}
	sys, err := s.deps.Registry.RegisterSystem(r.Context(), in)
	if err != nil {
		s.restError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sys.InternalID.String())
}

// systemWrite runs the guard shared by the vendor write routes and, if it
// passes, op; it answers {"succeeded":true} like Altinn.
func (s *Server) systemWrite(w http.ResponseWriter, r *http.Request, op func(id string) error) {
	caller := identity.FromContext(r.Context())
	id := r.PathValue("systemId")
	err := requireSystemPrefix(caller, id)
	if err == nil {
		err = op(id)
	}
	if err != nil {
		s.restError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, succeeded{Succeeded: true})
}

func (s *Server) handleUpdateSystem(w http.ResponseWriter, r *http.Request) {
	s.systemWrite(w, r, func(id string) error {
		var body registerSystemRequest
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		in, err := systemInput(body)
		if err != nil {
			return err
		}
		_, err = s.deps.Registry.UpdateSystem(r.Context(), id, in)
		return err
	})
}

func (s *Server) handleUpdateSystemRights(w http.ResponseWriter, r *http.Request) {
	s.systemWrite(w, r, func(id string) error {
		var body []rightJSON
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		rights, vs := rightsFromJSON(body, "/registersystemrequest/rights/resource")
		if err := apperr.Validation(vs); err != nil {
			return err
		}
		_, err := s.deps.Registry.UpdateSystemRights(r.Context(), id, rights)
		return err
	})
}

func (s *Server) handleUpdateSystemAccessPackages(w http.ResponseWriter, r *http.Request) {
	s.systemWrite(w, r, func(id string) error {
		var body []accessPackageJSON
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		_, err := s.deps.Registry.UpdateSystemAccessPackages(r.Context(), id, packagesFromJSON(body))
		return err
	})
}

func (s *Server) handleDeleteSystem(w http.ResponseWriter, r *http.Request) {
	s.systemWrite(w, r, func(id string) error {
		return s.deps.Registry.DeleteSystem(r.Context(), id)
	})
}

func (s *Server) handleGetSystemRights(w http.ResponseWriter, r *http.Request) {
	sys, err := s.deps.Registry.GetSystem(r.Context(), r.PathValue("systemId"))
	if err != nil {
		s.restError(w, r, err)
		return
	}
	out := rightsToJSON(sys.Rights)
	if strings.EqualFold(r.URL.Query().Get("useOldFormatForApp"), "true") {
		for i := range out {
			out[i].Resource = oldAppFormat(out[i].Resource)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// oldAppFormat is Altinn's ConvertAppResourceToOldResourceFormat: an app
// resource app_{org}_{app} becomes the pair urn:altinn:org, urn:altinn:app.
func oldAppFormat(res []attributePair) []attributePair {
	var out []attributePair
	for _, p := range res {
		if p.ID != attrResource {
			continue
		}
		rest, isApp := strings.CutPrefix(p.Value, "app_")
		if !isApp {
			out = append(out, p)
			continue
		}
		if org, app, ok := strings.Cut(rest, "_"); ok && org != "" && app != "" {
			out = append(out, attributePair{ID: attrOrg, Value: org}, attributePair{ID: attrApp, Value: app})
		}
	}
	return out
}

func (s *Server) handleGetSystemAccessPackages(w http.ResponseWriter, r *http.Request) {
	sys, err := s.deps.Registry.GetSystem(r.Context(), r.PathValue("systemId"))
	if err != nil {
		s.restError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, packagesToJSON(sys.AccessPackages))
}
