package rest

import (
	"io"
	"net/http"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/identity"
)

// handleAuthorize is Altinn's PDP endpoint: XACML 3.0 JSON profile in and
// out. Whatever the body, the answer is 200 with a decision (malformed input
// is Indeterminate), as Altinn answers; only the caller's auth can fail it.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	id := identity.FromContext(r.Context())
	body, err := readBody(r)
	if err != nil {
		writeProblem(w, r, apperr.New(apperr.Invalid, "BODY_TOO_LARGE", "the request body is too large"))
		return
	}
	out, err := s.deps.PDP.AuthorizeXACML(r.Context(), body, id.OrgNumber)
	if err != nil {
		// The PDP logs the cause, at most once per few seconds: an outage
		// fails every request, and this line would repeat it per request.
		s.logger.DebugContext(r.Context(), "authorize failed", "error", err)
	}
	// Assigned, not Set: Set would canonicalise the key and allocate the
	// value slice on every call. net/http only reads it.
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

var jsonContentType = []string{"application/json; charset=utf-8"}

// maxPrealloc bounds the buffer readBody allocates up front; the gateway's
// body limit refuses longer bodies anyway.
const maxPrealloc = 1 << 20

// readBody reads the whole body into one buffer of the announced size
// (io.ReadAll would start small and grow by copying); a body longer than
// announced cannot get past net/http, and an unannounced one is read as
// io.ReadAll would.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength <= 0 || r.ContentLength > maxPrealloc {
		return io.ReadAll(r.Body)
	}
	b := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(r.Body, b); err != nil {
		return nil, err
	}
	return b, nil
}
