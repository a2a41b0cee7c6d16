package pdp

import (
	"fmt"
	"slices"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/registry"
)

// verdict is the rule outcome before the engine stamps id, time and latency.
type verdict struct {
	result      Result
	code        ReasonCode
	reason      string
	permittedBy string
}

func deny(code ReasonCode, format string, args ...any) verdict {
	return verdict{result: Deny, code: code, reason: fmt.Sprintf(format, args...)}
}

// evaluate applies the rules in order; the first that fails decides. It
// reads only memory. claims is nil when no token was given.
func evaluate(req *Request, s *subject, cat *catalog, claims *auth.Claims) verdict {
	switch {
	case !s.found:
		return deny(SystemUserNotFound, "system user %s does not exist", s.id)
	case s.deleted:
		return deny(SystemUserDeleted, "system user %s was deleted", s.id)
	case s.systemDeleted:
		return deny(SystemDeleted, "system %s of system user %s was deleted", s.systemID, s.id)
	}

	res, ok := cat.resources[req.ResourceID]
	if !ok {
		return verdict{result: NotApplicable, code: ResourceNotFound,
			reason: fmt.Sprintf("resource %q is not in the resource registry", req.ResourceID)}
	}
	if !slices.Contains(res.actions, req.Action) {
		return verdict{result: NotApplicable, code: ActionNotSupported,
			reason: fmt.Sprintf("resource %q has no action %q", req.ResourceID, req.Action)}
	}
	if claims != nil && res.requiredScope != "" && !claims.HasScope(res.requiredScope) {
		return deny(TokenScopeMissing, "the token lacks scope %q required by resource %q", res.requiredScope, req.ResourceID)
	}

	if s.userType == registry.TypeAgent {
		pkgs, ok := s.clients[req.PartyOrg]
		if !ok {
			return deny(ClientNotDelegated, "organisation %s is not a client of agent system user %s", req.PartyOrg, s.id)
		}
		if urn := packageWith(cat, pkgs, req.ResourceID); urn != "" {
			return cat.permits[urn]
		}
		return deny(NotGranted, "no access package that client %s gave %s through system user %s contains resource %q",
			req.PartyOrg, s.ownerOrg, s.id, req.ResourceID)
	}

	if req.PartyOrg != s.ownerOrg {
		return deny(PartyNotOwner, "system user %s acts for %s only, not for %s", s.id, s.ownerOrg, req.PartyOrg)
	}
	if actions, ok := s.rights[req.ResourceID]; ok {
		if slices.Contains(actions, req.Action) {
			return verdict{result: Permit, code: PermitRight, reason: "a delegated right permits it",
				permittedBy: "right:" + req.ResourceID + ":" + req.Action}
		}
		if slices.Contains(actions, "") {
			return verdict{result: Permit, code: PermitRight, reason: "a delegated right to every action permits it",
				permittedBy: "right:" + req.ResourceID + ":*"}
		}
	}
	if urn := packageWith(cat, s.packages, req.ResourceID); urn != "" {
		return cat.permits[urn]
	}
	return deny(NotGranted, "system user %s holds no right or access package for %s on %q", s.id, req.Action, req.ResourceID)
}

func permitPackage(urn string) verdict {
	return verdict{result: Permit, code: PermitPackage, reason: "access package " + urn + " contains the resource",
		permittedBy: "package:" + urn}
}

// packageWith returns the first of pkgs (a package of cat, so it has a
// verdict in cat.permits) that contains resourceID ("" if none).
func packageWith(cat *catalog, pkgs []string, resourceID string) string {
	for _, urn := range pkgs {
		if _, ok := cat.packages[urn][resourceID]; ok {
			return urn
		}
	}
	return ""
}
