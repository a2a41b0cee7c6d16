package rest

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
)

// systemChangeLogJSON is Altinn's SystemChangeLog as ASP.NET serialises it.
type systemChangeLogJSON struct {
	SystemInternalID   string          `json:"systemInternalId"`
	ChangedByOrgNumber *string         `json:"changedByOrgNumber"`
	ChangeType         string          `json:"changeType"`
	ChangedData        json.RawMessage `json:"changedData"`
	ClientID           *string         `json:"clientId"`
	Created            time.Time       `json:"created"`
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// handleSystemChangeLog answers GET systemregister/vendor/{systemId}/changelog:
// every change of one of the caller's systems, newest first.
func (s *Server) handleSystemChangeLog(w http.ResponseWriter, r *http.Request) {
	caller := identity.FromContext(r.Context())
	id := r.PathValue("systemId")
	err := requireSystemPrefix(caller, id)
	var log []*registry.SystemChange
	if err == nil {
		log, err = s.deps.Registry.SystemChangeLog(r.Context(), id)
	}
	if err != nil {
		s.restError(w, r, err)
		return
	}
	out := make([]systemChangeLogJSON, len(log))
	for i, c := range log {
		out[i] = systemChangeLogJSON{SystemInternalID: c.SystemInternalID.String(),
			ChangedByOrgNumber: optionalString(c.ChangedByOrg), ChangeType: c.ChangeType,
			ChangedData: c.ChangedData, ClientID: optionalString(c.ClientID), Created: c.CreatedAt.UTC()}
	}
	writeJSON(w, http.StatusOK, out)
}
