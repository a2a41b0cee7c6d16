package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/registry"
)

type overviewView struct {
	Orgs []orgView
	// Systems are the visible systems a person may create a system user of
	// directly (Altinn's portal creation, flow 4).
	Systems []systemOption
}

type systemOption struct {
	ID, Name, VendorOrg string
}

type orgView struct {
	OrgNumber, Name string
	SystemUsers     []systemUserView
}

type systemUserView struct {
	ID, IntegrationTitle, SystemID, SystemName, ExternalRef, UserType string
	Rights                                                            []rightView
	Packages                                                          []packageView
	CanAdminClients                                                   bool
	Clients, Available                                                []registry.Organization
}

// handleOverview lists the organisations the person administers with their
// system users, and, for agent system users, their clients.
func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request, ss *session) {
	ctx := r.Context()
	reg := s.deps.Registry
	orgNumbers, err := reg.AdministeredOrgs(ctx, ss.claims.PID)
	if err != nil {
		s.renderAppError(w, r, ss, err)
		return
	}
	names, err := reg.OrganizationsByNumber(ctx, orgNumbers)
	if err != nil {
		s.renderAppError(w, r, ss, err)
		return
	}
	v := overviewView{}
	if len(orgNumbers) > 0 {
		systems, err := reg.ListSystems(ctx, registry.SystemFilter{}, registry.Page{First: registry.MaxPageSize})
		if err != nil {
			s.renderAppError(w, r, ss, err)
			return
		}
		for _, sys := range systems.Items {
			v.Systems = append(v.Systems, systemOption{ID: sys.ID, Name: firstNonEmpty(sys.Name.EN, sys.Name.NB, sys.ID), VendorOrg: sys.VendorOrg})
		}
	}
	for _, org := range orgNumbers {
		ov := orgView{OrgNumber: org}
		if o := names[org]; o != nil {
			ov.Name = o.Name
		}
		conn, err := reg.ListSystemUsers(ctx, registry.SystemUserFilter{OwnerOrg: org}, registry.Page{First: registry.MaxPageSize, SkipTotal: true})
		if err != nil {
			s.renderAppError(w, r, ss, err)
			return
		}
		for _, su := range conn.Items {
			suv, err := s.systemUserView(ctx, su)
			if err != nil {
				s.renderAppError(w, r, ss, err)
				return
			}
			ov.SystemUsers = append(ov.SystemUsers, suv)
		}
		v.Orgs = append(v.Orgs, ov)
	}
	s.render(w, r, http.StatusOK, "overview", pageData{Title: "System users", Person: ss.personName(), CSRF: ss.csrf(), Body: v}, "")
}

func (s *Server) systemUserView(ctx context.Context, su *registry.SystemUser) (systemUserView, error) {
	reg := s.deps.Registry
	suv := systemUserView{ID: su.ID.String(), IntegrationTitle: su.IntegrationTitle, SystemID: su.SystemID,
		ExternalRef: su.ExternalRef, UserType: su.UserType}
	rv := &requestView{SystemID: su.SystemID, PartyOrg: su.OwnerOrg}
	if err := s.describe(ctx, rv, su.Rights, nil, su.AccessPackages, nil); err != nil {
		return suv, err
	}
	suv.SystemName, suv.Rights, suv.Packages = rv.SystemName, rv.Rights, rv.Packages
	if su.UserType != registry.TypeAgent {
		return suv, nil
	}
	clients, err := reg.ListClients(ctx, su.ID, registry.Page{First: registry.MaxPageSize})
	if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Forbidden) || apperr.Is(err, apperr.Unauthenticated) {
		return suv, nil // the person administers the org but not its clients
	}
	if err != nil {
		return suv, err
	}
	available, err := reg.AvailableClients(ctx, su.ID)
	if err != nil {
		return suv, err
	}
	suv.CanAdminClients = true
	have := map[string]bool{}
	for _, c := range clients.Items {
		have[c.ClientOrg] = true
		suv.Clients = append(suv.Clients, registry.Organization{OrgNumber: c.ClientOrg, Name: c.ClientName})
	}
	for _, o := range available {
		if !have[o.OrgNumber] {
			suv.Available = append(suv.Available, *o)
		}
	}
	return suv, nil
}

func (s *Server) formSystemUserID(w http.ResponseWriter, r *http.Request, ss *session) (uuid.UUID, bool) {
	return s.queryID(w, r, ss, r.PostFormValue("id"))
}

func (s *Server) handleOverviewDelete(w http.ResponseWriter, r *http.Request, ss *session) {
	id, ok := s.formSystemUserID(w, r, ss)
	if !ok {
		return
	}
	if err := s.deps.Registry.DeleteSystemUser(r.Context(), id); err != nil {
		s.renderAppError(w, r, ss, err)
		return
	}
	http.Redirect(w, r, uiBase+"/overview", http.StatusSeeOther)
}

func (s *Server) handleOverviewClient(add bool) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, ss *session) {
		id, ok := s.formSystemUserID(w, r, ss)
		if !ok {
			return
		}
		var err error
		if org := r.PostFormValue("client"); add {
			_, err = s.deps.Registry.AddClient(r.Context(), id, org)
		} else {
			err = s.deps.Registry.RemoveClient(r.Context(), id, org)
		}
		if err != nil {
			s.renderAppError(w, r, ss, err)
			return
		}
		http.Redirect(w, r, uiBase+"/overview", http.StatusSeeOther)
	}
}

// overviewRoutes registers the overview's portal creation form handler.
func (s *Server) overviewRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+uiBase+"/overview/create", s.withPerson(s.handleOverviewCreate))
}

// maxIntegrationTitle is Altinn's column width for integration_title.
const maxIntegrationTitle = 255

// handleOverviewCreate creates a standard system user of a visible system
// for an organisation the person administers, with every right of the
// system (registry.CreateSystemUser), then shows it on the overview.
func (s *Server) handleOverviewCreate(w http.ResponseWriter, r *http.Request, ss *session) {
	org, systemID := r.PostFormValue("org"), r.PostFormValue("system")
	title := strings.TrimSpace(r.PostFormValue("title"))
	if org == "" || systemID == "" {
		s.renderError(w, r, ss, http.StatusBadRequest, "Choose an organisation and a system.")
		return
	}
	if utf8.RuneCountInString(title) > maxIntegrationTitle {
		s.renderError(w, r, ss, http.StatusBadRequest, fmt.Sprintf("The name may be at most %d characters.", maxIntegrationTitle))
		return
	}
	su, err := s.deps.Registry.CreateSystemUser(r.Context(), systemID, org, title)
	if err != nil {
		s.renderAppError(w, r, ss, err)
		return
	}
	http.Redirect(w, r, uiBase+"/overview#su-"+su.ID.String(), http.StatusSeeOther)
}
