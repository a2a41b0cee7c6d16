package resolvers

import (
	"context"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/graph/model"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/registry"
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

// vendorOrAdmin: client ids and redirect URLs are the vendor's configuration,
// not for customers or the public (Altinn's portal model omits them too).
func vendorOrAdmin(ctx context.Context, s *registry.System) bool {
	id := identity.FromContext(ctx)
	return id.IsAdmin() || (id.Kind == identity.Organization && id.OrgNumber == s.VendorOrg)
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
