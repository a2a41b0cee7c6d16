package resolvers

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/graph/model"
	"github.com/systemuser-gateway/systemuser/identity"
	"github.com/systemuser-gateway/systemuser/pdp"
	"github.com/systemuser-gateway/systemuser/registry"
)

func rightsIn(in []*model.RightInput) []registry.Right {
	out := make([]registry.Right, 0, len(in))
	for _, r := range in {
		out = append(out, registry.Right{Resource: r.Resource, Action: deref(r.Action)})
	}
	return out
}

func textsIn(t *model.LocalizedTextInput) registry.Texts {
	if t == nil {
		return registry.Texts{}
	}
	return registry.Texts{NB: t.Nb, NN: t.Nn, EN: t.En}
}

func systemIn(in model.SystemInput) registry.SystemInput {
	return registry.SystemInput{
		ID: in.SystemID, VendorOrg: deref(in.VendorOrgNumber),
		Name: textsIn(in.Name), Description: textsIn(in.Description),
		Rights: rightsIn(in.Rights), AccessPackages: in.AccessPackages, ClientIDs: in.ClientIds,
		RedirectURLs: in.RedirectUrls, IsVisible: in.IsVisible == nil || *in.IsVisible,
	}
}

// uuidOf accepts a global id of type typ or a bare uuid.
func uuidOf(id, typ string) (uuid.UUID, error) {
	key, err := keyOf(id, typ)
	if err != nil {
		return uuid.Nil, err
	}
	u, err := uuid.Parse(key)
	if err != nil {
		return uuid.Nil, apperr.Errorf(apperr.Invalid, "INVALID_ID", "%q is not a %s id", id, typ)
	}
	return u, nil
}

func requestTypeOf(t *model.RequestType) string {
	if t == nil {
		return registry.TypeStandard
	}
	return strings.ToLower(t.String())
}

// enumOf maps Altinn's "NoChangeNeeded"/"New" onto GraphQL's NO_CHANGE_NEEDED/NEW.
func enumOf(status string) string {
	var b strings.Builder
	for i, r := range status {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// authorizeRequest maps the input; the caller (a service owner) is logged as
// the one who asked.
func authorizeRequest(ctx context.Context, in model.AuthorizeInput) (pdp.Request, error) {
	req := pdp.Request{Token: deref(in.Token), Action: in.Action, ResourceID: in.ResourceID,
		PartyOrg: in.PartyOrgNumber, CallerOrg: identity.FromContext(ctx).OrgNumber}
	if in.SystemUserID != nil {
		su, err := uuidOf(*in.SystemUserID, typeSystemUser)
		if err != nil {
			return req, err
		}
		req.SystemUserID = su
	}
	if req.SystemUserID == uuid.Nil && req.Token == "" {
		return req, apperr.New(apperr.Invalid, "SUBJECT_REQUIRED", "give systemUserId or token")
	}
	return req, nil
}
