package pdp

import "github.com/systemuser-gateway/systemuser/apperr"

// The errors pdp returns, exported so transports match them with errors.Is
// (never on strings). A decision itself is never an error: Deny and
// Indeterminate are results, with a ReasonCode.
var (
	ErrBatchTooLarge   = apperr.New(apperr.Invalid, "BATCH_TOO_LARGE", "too many requests in one batch")
	ErrInvalidPageSize = apperr.New(apperr.Invalid, "INVALID_PAGE_SIZE", "first must be between 1 and 100")
	ErrInvalidCursor   = apperr.New(apperr.Invalid, "INVALID_CURSOR", "the cursor is not one this API returned")
	ErrUnauthenticated = apperr.New(apperr.Unauthenticated, "UNAUTHENTICATED", "log in to read the decision log")
)
