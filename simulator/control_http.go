package simulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/simulator/simctl"
)

// route is one operation of the simulator; the OpenAPI test checks the
// document against these tables.
type route struct {
	Method, Path string
	Handler      http.HandlerFunc
}

// controlRouteTable is the control API, served only with Config.Control.
func (s *Server) controlRouteTable() []route {
	p := simctl.Prefix
	return []route{
		{"POST", p + "/faults", s.handleArmFault},
		{"GET", p + "/faults", s.handleListFaults},
		{"DELETE", p + "/faults", s.handleClearFaults},
		{"GET", p + "/requests", s.handleListRequests},
		{"DELETE", p + "/requests", s.handleClearRequests},
		{"GET", p + "/clock", s.handleGetClock},
		{"PUT", p + "/clock", s.handleSetClock},
		{"DELETE", p + "/clock", s.handleResetClock},
		{"GET", p + "/keys", s.handleGetKeys},
		{"POST", p + "/keys/rotate", s.handleRotateKeys},
		{"GET", p + "/clients", s.handleControlListClients},
		{"POST", p + "/clients", s.handleControlCreateClient},
		{"DELETE", p + "/clients/{id}", s.handleControlDeleteClient},
		{"PUT", p + "/clients/{id}/settings", s.handleControlClientSettings},
		{"POST", p + "/claims", s.handleAddOverride},
		{"GET", p + "/claims", s.handleListOverrides},
		{"DELETE", p + "/claims", s.handleClearOverrides},
		{"GET", p + "/debugger", s.handleDebuggerPage},
		{"POST", p + "/debugger", s.handleDebuggerRun},
		{"GET", p + "/debugger.css", s.handleDebuggerCSS},
	}
}

func (s *Server) controlRoutes(m *routeRecorder) {
	// Loud: whoever reaches this listener can shape every token it signs.
	s.log.Warn("simulator control API enabled under " + simctl.Prefix +
		": anyone who reaches this listener can arm faults, move the clock, add clients and set any claim of the tokens it signs; test stacks only")
	for _, rt := range s.controlRouteTable() {
		h := rt.Handler
		m.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
			h(w, r)
		})
	}
}

// routeRecorder is a ServeMux that remembers its patterns, so a test can
// hold the OpenAPI document against the routes actually served.
type routeRecorder struct {
	*http.ServeMux
	patterns []string
}

func (m *routeRecorder) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeRecorder) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// tokenHandler is the token endpoint, behind faults and the request log when
// the control API is on.
func (s *Server) tokenHandler() http.Handler {
	h := http.Handler(http.HandlerFunc(s.handleToken))
	if s.cfg.Control {
		h = s.controlToken(h)
	}
	return h
}

func controlError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, simctl.Error{Code: code, Message: msg})
}

// decodeBody decodes a JSON body strictly: an unknown member is a typo in
// a test, better reported than ignored.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		controlError(w, http.StatusBadRequest, "invalid", "body: "+err.Error())
		return false
	}
	return true
}

func (s *Server) handleArmFault(w http.ResponseWriter, r *http.Request) {
	var f simctl.Fault
	if !decodeBody(w, r, &f) {
		return
	}
	f.ID = ""
	if err := validateFault(&f); err != nil {
		controlError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	f = s.ctl.armFault(f)
	s.log.InfoContext(r.Context(), "fault armed", "fault", f.ID, "key", f.Key, "count", f.Count, "status", f.Status, "error", f.Error)
	writeJSON(w, http.StatusCreated, f)
}

func (s *Server) handleListFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, simctl.Faults{Faults: s.ctl.listFaults(r.URL.Query().Get("key"))})
}

func (s *Server) handleClearFaults(w http.ResponseWriter, r *http.Request) {
	s.ctl.clearFaults(r.URL.Query().Get("key"))
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleListRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rq := simctl.RequestQuery{Key: q.Get("key"), ClientID: q.Get("client_id")}
	for name, dst := range map[string]*time.Time{"since": &rq.Since, "until": &rq.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				controlError(w, http.StatusBadRequest, "invalid", name+" must be an RFC 3339 time")
				return
			}
			*dst = t
		}
	}
	reqs := s.ctl.log.query(q.Has("key"), rq)
	writeJSON(w, http.StatusOK, simctl.Requests{Requests: reqs, Count: len(reqs)})
}

func (s *Server) handleClearRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.ctl.log.clear(q.Has("key"), q.Get("key"))
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) clockView() simctl.Clock {
	return simctl.Clock{Now: s.cfg.Now().UTC(), OffsetSeconds: int64(time.Duration(s.ctl.offset.Load()) / time.Second)}
}

func (s *Server) handleGetClock(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.clockView())
}

const maxClockOffset = 10 * 365 * 24 * time.Hour

func (s *Server) handleSetClock(w http.ResponseWriter, r *http.Request) {
	var req simctl.SetClock
	if !decodeBody(w, r, &req) {
		return
	}
	if (req.OffsetSeconds == nil) == (req.AdvanceSeconds == 0) {
		controlError(w, http.StatusBadRequest, "invalid", "give offset_seconds or advance_seconds")
		return
	}
	limit := int64(maxClockOffset / time.Second)
	next := int64(time.Duration(s.ctl.offset.Load())/time.Second) + req.AdvanceSeconds
	if req.OffsetSeconds != nil {
		next = *req.OffsetSeconds
	}
	if req.AdvanceSeconds > limit || req.AdvanceSeconds < -limit || next > limit || next < -limit {
		controlError(w, http.StatusBadRequest, "invalid", "the offset must stay within ten years")
		return
	}
	s.ctl.offset.Store(int64(time.Duration(next) * time.Second))
	s.log.InfoContext(r.Context(), "clock moved", "offset_seconds", next)
	writeJSON(w, http.StatusOK, s.clockView())
}

func (s *Server) handleResetClock(w http.ResponseWriter, _ *http.Request) {
	s.ctl.offset.Store(0)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) keysView() simctl.Keys {
	cur, retired := s.cfg.Keys.Retired(s.cfg.Now())
	k := simctl.Keys{Current: cur, Retired: []simctl.RetiredKey{}}
	for kid, until := range retired {
		k.Retired = append(k.Retired, simctl.RetiredKey{KeyID: kid, Until: until.UTC()})
	}
	slices.SortFunc(k.Retired, func(a, b simctl.RetiredKey) int { return a.Until.Compare(b.Until) })
	return k
}

func (s *Server) handleGetKeys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.keysView())
}

func (s *Server) handleRotateKeys(w http.ResponseWriter, r *http.Request) {
	var req simctl.Rotate
	if r.ContentLength != 0 && !decodeBody(w, r, &req) {
		return
	}
	// The old key verifies every token it signed until the longest
	// configured lifetime has passed, plus the verifiers' clock skew.
	keep := s.ctl.keyLifetime() + s.cfg.Leeway
	err := s.cfg.Keys.RotateAt(s.cfg.Now(), keep)
	if err == nil && req.DropOld {
		err = s.cfg.Keys.DropRetired()
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "rotate signing key", "error", err)
		controlError(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	v := s.keysView()
	s.log.InfoContext(r.Context(), "signing key rotated", "kid", v.Current, "drop_old", req.DropOld)
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) controlClientView(c Client) simctl.MaskinportenClient {
	v := simctl.MaskinportenClient{ClientID: c.ID, OrgNumber: c.OrgNumber, Name: c.Name, Scopes: c.Scopes, JWKS: jose.JSONWebKeySet{Keys: c.Keys}}
	if v.Scopes == nil {
		v.Scopes = []string{}
	}
	if v.JWKS.Keys == nil {
		v.JWKS.Keys = []jose.JSONWebKey{}
	}
	if st, ok := s.ctl.settingsOf(c.ID); ok {
		v.Settings = &st
	}
	return v
}

func (s *Server) handleControlListClients(w http.ResponseWriter, r *http.Request) {
	cs, err := s.clients.List(r.Context())
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	out := simctl.MaskinportenClients{Clients: make([]simctl.MaskinportenClient, len(cs))}
	for i, c := range cs {
		out.Clients[i] = s.controlClientView(c)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleControlCreateClient(w http.ResponseWriter, r *http.Request) {
	var req simctl.MaskinportenClient
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Settings != nil {
		if err := validateSettings(*req.Settings); err != nil {
			controlError(w, http.StatusBadRequest, "invalid", err.Error())
			return
		}
	}
	if s.refuseControlPrivileged(w, req.Scopes) || req.Settings != nil && s.refuseControlPrivileged(w, claimScopes(req.Settings.ExtraClaims)) {
		return
	}
	if req.ClientID == "" {
		req.ClientID = uuid.NewString()
	}
	c := Client{ID: req.ClientID, OrgNumber: req.OrgNumber, Name: req.Name, Scopes: req.Scopes, Keys: req.JWKS.Keys}
	var priv *jose.JSONWebKey
	if req.GenerateKey {
		k, err := GenerateKey(jose.RS256, s.cfg.Rand)
		if err != nil {
			s.log.ErrorContext(r.Context(), "generate client key", "error", err)
			controlError(w, http.StatusInternalServerError, "internal", "internal error")
			return
		}
		priv = &k
		c.Keys = append(c.Keys, k)
	}
	if err := s.clients.Create(r.Context(), c); err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	if priv != nil {
		s.ctl.rememberKey(c.ID, *priv)
	}
	if req.Settings != nil {
		s.ctl.setSettings(c.ID, *req.Settings)
	}
	stored, err := s.clients.Get(r.Context(), c.ID)
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "client created", "client_id", c.ID, "org", c.OrgNumber, "via", "control")
	v := s.controlClientView(stored)
	v.PrivateJWK = priv
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) handleControlDeleteClient(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.mayControl(w, r, id) {
		return
	}
	if err := s.clients.Delete(r.Context(), id); err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	s.ctl.forgetClient(id)
	s.log.InfoContext(r.Context(), "client deleted", "client_id", id, "via", "control")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleControlClientSettings(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req simctl.ClientSettings
	if !decodeBody(w, r, &req) {
		return
	}
	if err := validateSettings(req); err != nil {
		controlError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	if !s.mayControl(w, r, id) || s.refuseControlPrivileged(w, claimScopes(req.ExtraClaims)) {
		return
	}
	if _, err := s.clients.Get(r.Context(), id); err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	s.ctl.setSettings(id, req)
	writeJSON(w, http.StatusOK, req)
}

func (s *Server) handleAddOverride(w http.ResponseWriter, r *http.Request) {
	var o simctl.ClaimOverride
	if !decodeBody(w, r, &o) {
		return
	}
	o.ID = ""
	if err := validateOverride(&o); err != nil {
		controlError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	if s.refuseControlPrivileged(w, claimScopes(o.Claims)) {
		return
	}
	o = s.ctl.addOverride(o)
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) handleListOverrides(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, simctl.ClaimOverrides{Overrides: s.ctl.listOverrides(r.URL.Query().Get("key"))})
}

func (s *Server) handleClearOverrides(w http.ResponseWriter, r *http.Request) {
	s.ctl.clearOverrides(r.URL.Query().Get("key"))
	w.WriteHeader(http.StatusNoContent)
}

// refuseControlPrivileged applies the admin API's rule (privilegedScope) to
// the control API: it is open to whoever reaches the listener, so it hands
// out no client, claim or token with a privileged scope unless the
// simulator was started with --admin-privileged-scopes.
func (s *Server) refuseControlPrivileged(w http.ResponseWriter, scopes []string) bool {
	if s.cfg.AllowPrivilegedScopes {
		return false
	}
	i := slices.IndexFunc(scopes, privilegedScope)
	if i < 0 {
		return false
	}
	controlError(w, http.StatusForbidden, "forbidden",
		"scope "+scopes[i]+" is privileged: the control API hands it out only when the simulator runs with --admin-privileged-scopes")
	return true
}

// mayControl refuses changing a client that holds a privileged scope, as
// the admin API does (mayManage); an unknown id passes to the store's 404.
func (s *Server) mayControl(w http.ResponseWriter, r *http.Request, id string) bool {
	c, err := s.clients.Get(r.Context(), id)
	if errors.Is(err, ErrClientNotFound) {
		return true
	}
	if err != nil {
		s.writeStoreError(w, r, err)
		return false
	}
	return !s.refuseControlPrivileged(w, c.Scopes)
}

// claimScopes are the scopes a claim set would put in a token.
func claimScopes(claims map[string]any) []string {
	if v, ok := claims["scope"].(string); ok {
		return strings.Fields(v)
	}
	return nil
}
