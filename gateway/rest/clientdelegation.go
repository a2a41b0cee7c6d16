package rest

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/registry"
)

// clientInfo is Altinn's ClientInfo; clientId is the client's party UUID.
type clientInfo struct {
	ClientID                 string `json:"clientId"`
	ClientOrganizationNumber string `json:"clientOrganizationNumber"`
	ClientOrganizationName   string `json:"clientOrganizationName"`
}

// clientInfoPaginated is Altinn's ClientInfoPaginated.
type clientInfoPaginated struct {
	Links                 paginatedLinks        `json:"links"`
	SystemUserInformation systemUserInformation `json:"systemUserInformation"`
	Data                  []clientInfo          `json:"data"`
}

type systemUserInformation struct {
	SystemUserID       string `json:"systemUserId"`
	SystemUserOwnerOrg string `json:"systemUserOwnerOrg"`
}

// clientDelegationResponse is Altinn's ClientDelegationResponse: the agent
// system user's id and the client's party UUID.
type clientDelegationResponse struct {
	Agent  string `json:"agent"`
	Client string `json:"client"`
}

// Altinn's validation errors of this API (§2.6): all 400 STD-00000.
func agentViolation(msg string) error {
	return apperr.Validation([]apperr.Violation{{Reason: "AGENT_INVALID", Altinn: "AUTH.VLD-00014", Message: msg, Path: "?agent"}})
}

var (
	errAgentMissing  = agentViolation("agent must be the id of an agent system user")
	errAgentNotFound = agentViolation("the agent system user was not found")
	errAgentNotAgent = apperr.Validation([]apperr.Violation{{Reason: "NOT_AN_AGENT", Altinn: "AUTH.VLD-00015",
		Message: "the system user is not an agent system user", Path: "?agent"}})
	errClientMissing = apperr.Validation([]apperr.Violation{{Reason: "CLIENT_MISSING", Altinn: "AUTH.VLD-00016",
		Message: "client must be the client's party UUID or organisation number", Path: "?client"}})
)

// agentParam reads ?agent and loads the agent the caller administers,
// answering Altinn's validation errors for a missing, unknown (or not the
// caller's) and non-agent system user.
func (s *Server) agentParam(r *http.Request, write bool) (*registry.SystemUser, error) {
	raw := r.URL.Query().Get("agent")
	id, err := uuid.Parse(raw)
	if raw == "" || err != nil || len(raw) != 36 {
		return nil, errAgentMissing
	}
	su, err := s.deps.Registry.GetAgent(r.Context(), id)
	if err != nil {
		return nil, agentError(err)
	}
	return su, nil
}

// agentError turns the registry's agent errors into Altinn's validation
// errors; others pass through.
func agentError(err error) error {
	switch {
	case errors.Is(err, registry.ErrSystemUserNotFound):
		return errAgentNotFound
	case errors.Is(err, registry.ErrNotAnAgent):
		return errAgentNotAgent
	}
	return err
}

func toClientPage(su *registry.SystemUser, data []clientInfo) clientInfoPaginated {
	if data == nil {
		data = []clientInfo{}
	}
	return clientInfoPaginated{Data: data,
		SystemUserInformation: systemUserInformation{SystemUserID: su.ID.String(), SystemUserOwnerOrg: su.OwnerOrg}}
}

// handleAvailableClients lists the facilitator's clients that gave it every
// package of the agent (delegated or not), in one page.
func (s *Server) handleAvailableClients(w http.ResponseWriter, r *http.Request) {
	su, err := s.agentParam(r, false)
	if err != nil {
		s.restError(w, r, err)
		return
	}
	orgs, err := s.deps.Registry.AvailableClients(r.Context(), su.ID)
	if err != nil {
		s.restError(w, r, agentError(err))
		return
	}
	data := make([]clientInfo, len(orgs))
	for i, o := range orgs {
		data[i] = clientInfo{ClientID: o.PartyUUID.String(), ClientOrganizationNumber: o.OrgNumber, ClientOrganizationName: o.Name}
	}
	writeJSON(w, http.StatusOK, toClientPage(su, data))
}

// handleListClients pages through the agent's delegated clients (?token=).
func (s *Server) handleListClients(w http.ResponseWriter, r *http.Request) {
	su, err := s.agentParam(r, false)
	if err != nil {
		s.restError(w, r, err)
		return
	}
	conn, err := s.deps.Registry.ListClients(r.Context(), su.ID, pageOf(r))
	if err != nil {
		s.restError(w, r, agentError(err))
		return
	}
	data := make([]clientInfo, len(conn.Items))
	for i, c := range conn.Items {
		data[i] = clientInfo{ClientID: c.ClientUUID.String(), ClientOrganizationNumber: c.ClientOrg, ClientOrganizationName: c.ClientName}
	}
	out := toClientPage(su, data)
	out.Links.Next = s.nextLinkKeep(r, conn.HasNextPage, conn.EndCursor(), "agent")
	writeJSON(w, http.StatusOK, out)
}

// handleClientDelegationFor adds ("add") or removes ?client for ?agent.
func (s *Server) handleClientDelegationFor(op string) http.HandlerFunc {
	add := op == "add"
	return func(w http.ResponseWriter, r *http.Request) {
		su, err := s.agentParam(r, true)
		if err != nil {
			s.restError(w, r, err)
			return
		}
		ref := r.URL.Query().Get("client")
		if ref == "" {
			s.restError(w, r, errClientMissing)
			return
		}
		// Altinn names the client by its party UUID; an organisation number
		// is accepted too.
		client, err := s.deps.Registry.ResolveParty(r.Context(), ref)
		if errors.Is(err, registry.ErrOrganizationNotFound) {
			err = registry.ErrClientNotFound
		}
		if err == nil {
			if add {
				_, err = s.deps.Registry.AddClient(r.Context(), su.ID, client.OrgNumber)
			} else {
				err = s.deps.Registry.RemoveClient(r.Context(), su.ID, client.OrgNumber)
			}
		}
		if err != nil {
			s.restError(w, r, agentError(err))
			return
		}
		writeJSON(w, http.StatusOK, clientDelegationResponse{Agent: su.ID.String(), Client: client.PartyUUID.String()})
	}
}

// nextLinkKeep is nextLink for routes whose other query parameters (keep)
// must survive into the next page's URL.
func (s *Server) nextLinkKeep(r *http.Request, more bool, endCursor string, keep ...string) string {
	next := s.nextLink(r, more, endCursor)
	if next == "" {
		return ""
	}
	q := r.URL.Query()
	for _, k := range keep {
		if v := q.Get(k); v != "" {
			next += "&" + url.QueryEscape(k) + "=" + url.QueryEscape(v)
		}
	}
	return next
}
