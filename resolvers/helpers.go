package resolvers

import (
	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/graph/model"
)

// optional maps Go's zero string onto GraphQL's null.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// asNode keeps a typed nil pointer from becoming a non-nil interface.
func asNode[T any](v *T, err error) (model.Node, error) {
	if err != nil || v == nil {
		return nil, err
	}
	return v, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func systemUserID(id string) (uuid.UUID, error) {
	key, err := keyOf(id, typeSystemUser)
	if err != nil {
		return uuid.Nil, err
	}
	u, err := uuid.Parse(key)
	if err != nil {
		return uuid.Nil, apperr.New(apperr.Invalid, "INVALID_ID", "not a system user id")
	}
	return u, nil
}
