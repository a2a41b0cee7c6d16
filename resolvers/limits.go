package resolvers

import (
	"fmt"

	"github.com/systemuser-gateway/systemuser/apperr"
)

// MaxNodeIDs bounds nodes(ids:): each id is a lookup, so the list is capped
// (as the schema says) and refused before any SQL runs; the complexity limit
// prices each id like a node(id:) as well.
const MaxNodeIDs = 100

var errTooManyIDs = apperr.New(apperr.Invalid, "TOO_MANY_IDS", fmt.Sprintf("nodes takes at most %d ids", MaxNodeIDs))
