package gateway

import (
	"context"
	"io"
	"net/http"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/gateway/rest"
)

// WorldLoader loads a world file (YAML or JSON: organisations, persons with
// roles, resources, access packages, systems, Maskinporten clients) and
// returns what it loaded. Errors that are the file's fault are apperr
// invalid errors.
type WorldLoader func(ctx context.Context, file []byte) (any, error)

// handleDevWorld is `POST /dev/world`: the admin API that brings a test
// team's own world into a running `systemuser dev`. It exists only when
// Config.WorldLoader is set, which only the dev command does: it writes
// organisations and keys without any token.
func (s *Server) handleDevWorld(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rest.WriteProblem(w, r, apperr.Errorf(apperr.Invalid, "UNREADABLE_BODY", "the world file could not be read: %v", err))
		return
	}
	out, err := s.cfg.WorldLoader(r.Context(), body)
	if err != nil {
		s.logger.ErrorContext(r.Context(), "dev world load", "error", err)
		rest.WriteProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
