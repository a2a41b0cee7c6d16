package gateway

import (
	"context"
	"errors"
	"net/http"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/gateway/rest"
	"github.com/systemuser-gateway/systemuser/identity"
)

// authenticate puts the caller in the request context: anonymous without an
// Authorization header, 401 with an invalid one.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		id, err := s.identityOf(r.Context(), h)
		if err != nil {
			rest.Unauthorized(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(identity.NewContext(r.Context(), id)))
	})
}

// identityOf verifies an Authorization value ("Bearer <jwt>"); a refused
// token is an Unauthenticated apperr carrying auth's reason.
func (s *Server) identityOf(ctx context.Context, authorization string) (*identity.Identity, error) {
	id, err := s.verifier.Identity(ctx, authorization)
	if err != nil {
		var ae *auth.Error
		if errors.As(err, &ae) {
			return nil, &apperr.Error{Code: apperr.Unauthenticated, Reason: ae.Reason, Message: ae.Message, Err: err}
		}
		return nil, err
	}
	return id, nil
}
