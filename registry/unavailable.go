package registry

import (
	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/db"
)

// IsUnavailable reports whether err (from any method of the registry or the
// PDP) means the database could not be reached or went away mid-request,
// rather than that the request was wrong or the code failed. Such a request
// may succeed when retried shortly: transports answer it as apperr
// Unavailable (REST 503 with Retry-After, GraphQL UNAVAILABLE).
func IsUnavailable(err error) bool {
	return apperr.Is(err, apperr.Unavailable) || db.IsUnavailable(err)
}
