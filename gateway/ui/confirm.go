package ui

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/registry"
)

// confirmRoutes registers the end-user pages: the confirm URL the registry
// puts in every request (Altinn's path shape on our host), the login
// callback and the overview of an organisation's system users. They are
// plain HTML forms; no JavaScript is needed.
func (s *Server) confirmRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+uiBase+"/static/", staticHandler())
	// POST only: the login answers form_post style, so the token never
	// travels in a URL (history, logs, Referer).
	mux.HandleFunc("POST "+uiBase+"/login/callback", s.handleLoginCallback)
	mux.HandleFunc("POST "+uiBase+"/logout", s.withPerson(s.handleLogout))
	mux.HandleFunc("GET "+uiBase+"/request", s.withPerson(s.requestPage(registry.TypeStandard)))
	mux.HandleFunc("GET "+uiBase+"/agentrequest", s.withPerson(s.requestPage(registry.TypeAgent)))
	mux.HandleFunc("POST "+uiBase+"/request/decide", s.withPerson(s.handleDecideRequest))
	mux.HandleFunc("GET "+uiBase+"/changerequest", s.withPerson(s.handleChangeRequestPage))
	mux.HandleFunc("POST "+uiBase+"/changerequest/decide", s.withPerson(s.handleDecideChangeRequest))
	mux.HandleFunc("GET "+uiBase+"/overview", s.withPerson(s.handleOverview))
	mux.HandleFunc("POST "+uiBase+"/overview/delete", s.withPerson(s.handleOverviewDelete))
	mux.HandleFunc("POST "+uiBase+"/overview/clients/add", s.withPerson(s.handleOverviewClient(true)))
	mux.HandleFunc("POST "+uiBase+"/overview/clients/remove", s.withPerson(s.handleOverviewClient(false)))
}

type rightView struct {
	Title, ResourceID, Action string
}

type packageView struct {
	Name, URN, Description string
}

// requestView is a request or change request as the confirm page shows it.
type requestView struct {
	ID, Kind, DecideAction     string
	IntegrationTitle           string
	SystemID, SystemName       string
	SystemDescription          string
	VendorOrg, VendorName      string
	PartyOrg, PartyName        string
	Status                     string
	TimedOut, CanDecide        bool
	Created                    time.Time
	Rights, UnwantedRights     []rightView
	Packages, UnwantedPackages []packageView
	RedirectURL                string
}

// describe fills names and titles: the system (unscoped, as the person was
// allowed to read the request that names it), orgs, resources, packages.
func (s *Server) describe(ctx context.Context, v *requestView, rights, unwanted []registry.Right, pkgs, unwantedPkgs []string) error {
	reg := s.deps.Registry
	systems, err := reg.SystemsByID(ctx, []string{v.SystemID})
	if err != nil {
		return err
	}
	if sys := systems[v.SystemID]; sys != nil {
		v.SystemName, v.SystemDescription, v.VendorOrg = sys.Name.EN, sys.Description.EN, sys.VendorOrg
		if sys.Name.NB != "" {
			v.SystemName, v.SystemDescription = sys.Name.NB, sys.Description.NB
		}
	}
	orgs, err := reg.OrganizationsByNumber(ctx, []string{v.VendorOrg, v.PartyOrg})
	if err != nil {
		return err
	}
	if o := orgs[v.VendorOrg]; o != nil {
		v.VendorName = o.Name
	}
	if o := orgs[v.PartyOrg]; o != nil {
		v.PartyName = o.Name
	}
	var resIDs []string
	for _, r := range append(append([]registry.Right{}, rights...), unwanted...) {
		resIDs = append(resIDs, r.Resource)
	}
	resources, err := reg.ResourcesByID(ctx, resIDs)
	if err != nil {
		return err
	}
	toRights := func(rs []registry.Right) []rightView {
		out := make([]rightView, len(rs))
		for i, r := range rs {
			out[i] = rightView{Title: r.Resource, ResourceID: r.Resource, Action: r.Action}
			if res := resources[r.Resource]; res != nil {
				out[i].Title = firstNonEmpty(res.Title.NB, res.Title.EN, r.Resource)
			}
		}
		return out
	}
	v.Rights, v.UnwantedRights = toRights(rights), toRights(unwanted)
	packages, err := reg.AccessPackagesByURN(ctx, append(append([]string{}, pkgs...), unwantedPkgs...))
	if err != nil {
		return err
	}
	toPkgs := func(urns []string) []packageView {
		out := make([]packageView, len(urns))
		for i, u := range urns {
			out[i] = packageView{Name: u, URN: u}
			if p := packages[u]; p != nil {
				out[i].Name, out[i].Description = firstNonEmpty(p.Name, u), p.Description
			}
		}
		return out
	}
	v.Packages, v.UnwantedPackages = toPkgs(pkgs), toPkgs(unwantedPkgs)
	return nil
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// queryID reads ?id= as a GUID.
func (s *Server) queryID(w http.ResponseWriter, r *http.Request, ss *session, raw string) (uuid.UUID, bool) {
	id, err := uuid.Parse(raw)
	if err != nil {
		s.renderError(w, r, ss, http.StatusBadRequest, "The link is incomplete: it must carry the request id (?id=...).")
		return uuid.Nil, false
	}
	return id, true
}

func (s *Server) requestPage(typ string) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, ss *session) {
		id, ok := s.queryID(w, r, ss, r.URL.Query().Get("id"))
		if !ok {
			return
		}
		req, err := s.deps.Registry.GetRequest(r.Context(), id)
		if err == nil && req.RequestType != typ {
			err = registry.ErrRequestNotFound
		}
		if err != nil {
			s.renderAppError(w, r, ss, err)
			return
		}
		kind := "request"
		if typ == registry.TypeAgent {
			kind = "agentrequest"
		}
		v := &requestView{ID: req.ID.String(), Kind: kind, DecideAction: uiBase + "/request/decide",
			IntegrationTitle: req.IntegrationTitle, SystemID: req.SystemID, PartyOrg: req.PartyOrg,
			Status: req.Status, TimedOut: req.TimedOut, Created: req.CreatedAt, RedirectURL: req.RedirectURL,
			CanDecide: req.Status == registry.StatusNew && !req.TimedOut}
		if err := s.describe(r.Context(), v, req.Rights, nil, req.AccessPackages, nil); err != nil {
			s.renderAppError(w, r, ss, err)
			return
		}
		s.render(w, r, http.StatusOK, "request", pageData{Title: "Approve system access", Person: ss.personName(),
			CSRF: ss.csrf(), Body: v}, req.RedirectURL)
	}
}

type receiptView struct {
	Approved bool
	What, ID string
	System   string
	Overview bool
}

// handleDecideRequest approves or rejects a standard or agent request and
// sends the browser to the vendor's redirect URL with ?id=, or shows a receipt.
func (s *Server) handleDecideRequest(w http.ResponseWriter, r *http.Request, ss *session) {
	id, ok := s.queryID(w, r, ss, r.PostFormValue("id"))
	if !ok {
		return
	}
	req, err := s.deps.Registry.GetRequest(r.Context(), id)
	if err != nil {
		s.renderAppError(w, r, ss, err)
		return
	}
	approve := r.PostFormValue("decision") == "approve"
	if approve {
		_, err = s.deps.Registry.ApproveRequest(r.Context(), id)
	} else {
		_, err = s.deps.Registry.RejectRequest(r.Context(), id)
	}
	if err != nil {
		s.renderAppError(w, r, ss, err)
		return
	}
	s.finishDecision(w, r, ss, req.RedirectURL, receiptView{Approved: approve, What: "request", ID: id.String(), System: req.SystemID})
}

func (s *Server) finishDecision(w http.ResponseWriter, r *http.Request, ss *session, redirect string, rv receiptView) {
	if redirect != "" {
		if u, err := url.Parse(redirect); err == nil {
			q := u.Query()
			q.Set("id", rv.ID)
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
	}
	rv.Overview = true
	s.render(w, r, http.StatusOK, "receipt", pageData{Title: "Done", Person: ss.personName(), CSRF: ss.csrf(), Body: rv}, "")
}

func (s *Server) handleChangeRequestPage(w http.ResponseWriter, r *http.Request, ss *session) {
	id, ok := s.queryID(w, r, ss, r.URL.Query().Get("id"))
	if !ok {
		return
	}
	cr, err := s.deps.Registry.GetChangeRequest(r.Context(), id)
	if err != nil {
		s.renderAppError(w, r, ss, err)
		return
	}
	v := &requestView{ID: cr.ID.String(), Kind: "changerequest", DecideAction: uiBase + "/changerequest/decide",
		SystemID: cr.SystemID, PartyOrg: cr.PartyOrg, Status: cr.Status, TimedOut: cr.TimedOut,
		Created: cr.CreatedAt, RedirectURL: cr.RedirectURL, CanDecide: cr.Status == registry.StatusNew && !cr.TimedOut}
	if err := s.describe(r.Context(), v, cr.RequiredRights, cr.UnwantedRights, cr.RequiredAccessPackages, cr.UnwantedAccessPackages); err != nil {
		s.renderAppError(w, r, ss, err)
		return
	}
	s.render(w, r, http.StatusOK, "request", pageData{Title: "Approve changed system access", Person: ss.personName(),
		CSRF: ss.csrf(), Body: v}, cr.RedirectURL)
}

func (s *Server) handleDecideChangeRequest(w http.ResponseWriter, r *http.Request, ss *session) {
	id, ok := s.queryID(w, r, ss, r.PostFormValue("id"))
	if !ok {
		return
	}
	approve := r.PostFormValue("decision") == "approve"
	var cr *registry.ChangeRequest
	var err error
	if approve {
		cr, err = s.deps.Registry.ApproveChangeRequest(r.Context(), id)
	} else {
		cr, err = s.deps.Registry.RejectChangeRequest(r.Context(), id)
	}
	if err != nil {
		s.renderAppError(w, r, ss, err)
		return
	}
	s.finishDecision(w, r, ss, cr.RedirectURL, receiptView{Approved: approve, What: "change request", ID: id.String(), System: cr.SystemID})
}
