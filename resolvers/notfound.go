package resolvers

import "github.com/systemuser-gateway/systemuser/apperr"

// nullIfNotFound turns a not-found into a null field: GraphQL's way of saying
// "no such object (that you may see)".
func nullIfNotFound[T any](v *T, err error) (*T, error) {
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	return v, err
}
