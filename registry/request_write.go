package registry

import (
	"context"
	"net/url"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

// RequestInput is a vendor's request body (Altinn's CreateRequestSystemUser).
type RequestInput struct {
	SystemID         string
	PartyOrg         string
	ExternalRef      string // defaults to PartyOrg
	IntegrationTitle string // defaults to the system's name (nb)
	Rights           []Right
	AccessPackages   []string
	RedirectURL      string
}

var (
	ErrPartyNotFound         = apperr.New(apperr.Invalid, "PARTY_NOT_FOUND", "the customer organisation is unknown").WithAltinn("AUTH-00000")
	ErrNoRedirectURLs        = apperr.New(apperr.Invalid, "NO_REDIRECT_URLS", "the system has no allowed redirect URLs").WithAltinn("AUTH-00026")
	ErrRedirectURLNotAllowed = apperr.New(apperr.Invalid, "REDIRECT_URL_NOT_ALLOWED", "the redirect URL is not one of the system's allowed URLs").WithAltinn("AUTH-00021")
	ErrRightsNotInSystem     = apperr.New(apperr.Invalid, "RIGHTS_NOT_IN_SYSTEM", "one or more rights are not among the system's rights").WithAltinn("AUTH-00001")
	ErrRequestEmpty          = apperr.New(apperr.Invalid, "REQUEST_EMPTY", "a request needs at least one right or access package").WithAltinn("AUTH-00059")
	ErrPackagesNotInSystem   = apperr.New(apperr.Invalid, "PACKAGES_NOT_IN_SYSTEM", "one or more access packages are not among the system's packages").WithAltinn("AUTH-00063")
	ErrPackageNotAssignable  = apperr.New(apperr.Invalid, "PACKAGE_NOT_ASSIGNABLE", "an access package cannot be assigned to a standard system user").WithAltinn("AUTH-00064")
	ErrPackageNotDelegable   = apperr.New(apperr.Invalid, "PACKAGE_NOT_DELEGABLE", "an access package cannot be delegated through client relationships").WithAltinn("AUTH-00065")
	ErrAgentNeedsPackages    = apperr.New(apperr.Invalid, "AGENT_NEEDS_PACKAGES", "an agent request needs at least one access package and no rights").WithAltinn("AUTH-00058")
)

// CreateRequest creates a standard request, or returns the existing one for
// the same key with created=false (Altinn's order of checks, ALTINN-REFERENCE §3.1).
// Errors: unauthenticated; forbidden MISSING_SCOPE; invalid SYSTEM_USER_EXISTS (AUTH-00004),
// PARTY_NOT_FOUND (AUTH-00000), NO_REDIRECT_URLS (AUTH-00026), REDIRECT_URL_NOT_ALLOWED (AUTH-00021),
// REQUEST_EMPTY (AUTH-00059), RIGHTS_NOT_IN_SYSTEM (AUTH-00001), PACKAGES_NOT_IN_SYSTEM (AUTH-00063),
// PACKAGE_NOT_ASSIGNABLE (AUTH-00064); not_found SYSTEM_NOT_FOUND (AUTH-00011, also deleted or
// another vendor's system).
func (s *Service) CreateRequest(ctx context.Context, in RequestInput) (*Request, bool, error) {
	return s.createRequest(ctx, in, TypeStandard)
}

// CreateAgentRequest is CreateRequest for an agent system user: access
// packages only, at least one, each delegable.
// Errors: as CreateRequest, plus invalid AGENT_NEEDS_PACKAGES (AUTH-00058),
// PACKAGE_NOT_DELEGABLE (AUTH-00065) instead of PACKAGE_NOT_ASSIGNABLE.
func (s *Service) CreateAgentRequest(ctx context.Context, in RequestInput) (*Request, bool, error) {
	return s.createRequest(ctx, in, TypeAgent)
}

func (s *Service) createRequest(ctx context.Context, in RequestInput, typ string) (*Request, bool, error) {
	caller := identity.FromContext(ctx)
	if err := require(caller, auth.RequestWrite); err != nil {
		return nil, false, err
	}
	if in.ExternalRef == "" {
		in.ExternalRef = in.PartyOrg
	}
	// 2. An active system user for the key. Only the caller's own systems are
	// considered, so another vendor cannot probe a customer's system users.
	exists, err := s.db.NewSelect().TableExpr("system_users AS su").Join("JOIN systems AS s ON s.id = su.system_id").
		Where("su.system_id = ? AND su.owner_org = ? AND su.external_ref = ? AND su.deleted_at IS NULL", in.SystemID, in.PartyOrg, in.ExternalRef).
		Where("s.vendor_org = ?", caller.OrgNumber).Exists(ctx)
	if err != nil {
		return nil, false, internal("check system user", err)
	}
	if exists {
		return nil, false, ErrSystemUserExists
	}
	// 3. The same request again: return it, whatever its status.
	if req, err := s.existingRequest(ctx, caller.OrgNumber, in, typ); err != nil || req != nil {
		return req, false, err
	}
	// 4-5. The system exists, is not deleted and is the caller's.
	sys, err := s.systemOfVendor(ctx, in.SystemID, caller.OrgNumber)
	if err != nil {
		return nil, false, err
	}
	// 6. The customer exists.
	if ok, err := s.db.NewSelect().Model((*db.Organization)(nil)).Where("org_number = ?", in.PartyOrg).Exists(ctx); err != nil {
		return nil, false, internal("check party", err)
	} else if !ok {
		return nil, false, ErrPartyNotFound
	}
	// 7. Redirect URL, rights and packages.
	if err := checkRedirect(in.RedirectURL, sys.RedirectURLs); err != nil {
		return nil, false, err
	}
	in.Rights = dedupe(in.Rights)
	in.AccessPackages = dedupe(in.AccessPackages)
	if typ == TypeAgent {
		if len(in.Rights) > 0 || len(in.AccessPackages) == 0 {
			return nil, false, ErrAgentNeedsPackages
		}
	} else if len(in.Rights) == 0 && len(in.AccessPackages) == 0 {
		return nil, false, ErrRequestEmpty
	}
	if in.Rights, err = grantRights(in.Rights, sys.Rights); err != nil {
		return nil, false, err
	}
	if err := s.checkPackages(ctx, s.db, in.AccessPackages, sys.AccessPackages, typ); err != nil {
		return nil, false, err
	}
	if in.IntegrationTitle == "" {
		in.IntegrationTitle = sys.Name.NB
	}
	// 8. Insert. A concurrent create of the same key loses on the unique
	// index and returns the winner's request.
	id := uuid.New()
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := &db.Request{ID: id, RequestType: typ, SystemID: in.SystemID, PartyOrg: in.PartyOrg,
			ExternalRef: in.ExternalRef, IntegrationTitle: in.IntegrationTitle, Status: StatusNew,
			RedirectURL: in.RedirectURL, CreatedAt: s.now(), UpdatedAt: s.now()}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return err
		}
		return insertRequestChildren(ctx, tx, id, in.Rights, in.AccessPackages)
	})
	if c, ok := db.IsUniqueViolation(err); ok && c == "requests_active_key" {
		req, err := s.existingRequest(ctx, caller.OrgNumber, in, typ)
		if err == nil && req == nil {
			err = internal("create request", apperr.New(apperr.Conflict, "CONFLICT", "concurrent request vanished"))
		}
		return req, false, err
	}
	if _, ok := db.IsForeignKeyViolation(err); ok {
		// A right naming an action its resource does not have, on a
		// resource the system holds with every action.
		return nil, false, ErrRightsNotInSystem
	}
	if err != nil {
		return nil, false, internal("create request", err)
	}
	s.log.InfoContext(ctx, "request created", "request_id", id, "system_id", in.SystemID, "party", in.PartyOrg, "type", typ)
	req, err := s.requestByIDUnscoped(ctx, s.db, id)
	return req, err == nil, err
}

func (s *Service) existingRequest(ctx context.Context, vendor string, in RequestInput, typ string) (*Request, error) {
	q := s.selectRequests(s.db).Where("r.system_id = ? AND r.party_org = ? AND r.external_ref = ? AND r.request_type = ?",
		in.SystemID, in.PartyOrg, in.ExternalRef, typ).Where("s.vendor_org = ?", vendor)
	req, err := s.oneRequest(ctx, q)
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	return req, err
}

// systemOfVendor loads a non-deleted system of vendor with its children.
func (s *Service) systemOfVendor(ctx context.Context, id, vendor string) (*System, error) {
	var row db.System
	err := s.db.NewSelect().Model(&row).Where("id = ? AND vendor_org = ? AND NOT is_deleted", id, vendor).Scan(ctx)
	if isNoRows(err) {
		return nil, ErrSystemNotFound
	}
	if err != nil {
		return nil, internal("load system", err)
	}
	sys := systemFrom(&row)
	if err := loadSystemChildren(ctx, s.db, []*System{sys}); err != nil {
		return nil, err
	}
	return sys, nil
}

// absPath is .NET's Uri.AbsolutePath, which Altinn compares: an empty path
// is "/" ("https://vg.no" and "https://vg.no/?x=1" match).
func absPath(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

// checkRedirect accepts an empty URL, or one whose scheme, host and path
// equal an allowed URL's (the query may differ, as in Altinn).
func checkRedirect(raw string, allowed []string) error {
	if raw == "" {
		return nil
	}
	if len(allowed) == 0 {
		return ErrNoRedirectURLs
	}
	u, err := url.Parse(raw)
	if err != nil || !redirectURLValid(raw) {
		return ErrRedirectURLNotAllowed
	}
	for _, a := range allowed {
		au, err := url.Parse(a)
		if err == nil && au.Scheme == u.Scheme && au.Host == u.Host && absPath(au) == absPath(u) {
			return nil
		}
	}
	return ErrRedirectURLNotAllowed
}

// checkPackages checks that pkgs are the system's and assignable (standard)
// or delegable (agent).
func (s *Service) checkPackages(ctx context.Context, idb bun.IDB, pkgs, systemPkgs []string, typ string) error {
	if len(pkgs) == 0 {
		return nil
	}
	for _, p := range pkgs {
		if !slices.Contains(systemPkgs, p) {
			return ErrPackagesNotInSystem
		}
	}
	var rows []db.AccessPackage
	if err := idb.NewSelect().Model(&rows).Where("urn IN (?)", bun.In(pkgs)).Scan(ctx); err != nil {
		return internal("check packages", err)
	}
	for _, r := range rows {
		if typ == TypeAgent && !r.Delegable {
			return ErrPackageNotDelegable
		}
		if typ == TypeStandard && !r.Assignable {
			return ErrPackageNotAssignable
		}
	}
	return nil
}

func insertRequestChildren(ctx context.Context, tx bun.Tx, id uuid.UUID, rights []Right, pkgs []string) error {
	if len(rights) > 0 {
		rows := make([]db.RequestRight, len(rights))
		for i, r := range rights {
			rows[i] = db.RequestRight{RequestID: id, ResourceID: r.Resource, Action: r.Action}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
	}
	if len(pkgs) > 0 {
		rows := make([]db.RequestAccessPackage, len(pkgs))
		for i, p := range pkgs {
			rows[i] = db.RequestAccessPackage{RequestID: id, PackageURN: p}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// DeleteRequest soft-deletes one of the caller's requests (Altinn does not
// check ownership; we do).
// Errors: unauthenticated; forbidden MISSING_SCOPE; not_found REQUEST_NOT_FOUND (AUTH-00010).
func (s *Service) DeleteRequest(ctx context.Context, id uuid.UUID) error {
	caller := identity.FromContext(ctx)
	if !caller.IsAdmin() {
		if err := require(caller, auth.RequestWrite); err != nil {
			return err
		}
	}
	q := s.db.NewUpdate().Model((*db.Request)(nil)).Set("deleted_at = ?", s.now()).Set("updated_at = ?", s.now()).
		Where("id = ? AND deleted_at IS NULL", id)
	if !caller.IsAdmin() {
		q.Where("system_id IN (SELECT id FROM systems WHERE vendor_org = ?)", caller.OrgNumber)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return internal("delete request", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrRequestNotFound
	}
	s.log.InfoContext(ctx, "request deleted", "request_id", id)
	return nil
}

func dedupe[T comparable](xs []T) []T {
	var out []T
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
