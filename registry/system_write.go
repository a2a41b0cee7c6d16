package registry

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/apperr"
	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

// SystemInput is a system as a vendor registers or replaces it (Altinn's
// RegisterSystemRequest). Altinn defaults IsVisible to true; transports
// apply that default.
type SystemInput struct {
	ID             string
	VendorOrg      string // defaults to the caller's org
	Name           Texts
	Description    Texts
	Rights         []Right
	AccessPackages []string
	ClientIDs      []string
	RedirectURLs   []string
	IsVisible      bool
}

// Resource types a system may ask for (Altinn VLD-00017).
var delegableResourceTypes = []string{"AltinnApp", "Systemresource", "Default", "CorrespondenceService",
	"BrokerService", "GenericAccessResource", "MigratedApp"}

var ErrSystemDeleted = apperr.New(apperr.Invalid, "SYSTEM_DELETED", "cannot update a system marked as deleted")

// requireSystemWriter checks that the caller may write systems of vendor.
func requireSystemWriter(caller *identity.Identity, vendor string) error {
	if err := require(caller, auth.SystemRegisterWrite); err != nil {
		return err
	}
	if vendor != caller.OrgNumber && !caller.IsAdmin() {
		return ErrNotSystemVendor
	}
	return nil
}

// RegisterSystem adds a system to the System Register.
// Errors: unauthenticated UNAUTHENTICATED; forbidden MISSING_SCOPE, NOT_SYSTEM_VENDOR;
// invalid (STD-00000 with every violation): VENDOR_ORG_INVALID, INVALID_SYSTEM_ID (VLD-00001),
// SYSTEM_ID_HAS_SPACES (VLD-00013), SYSTEM_EXISTS (VLD-00002), NAME_REQUIRED,
// RESOURCE_NOT_FOUND, ACTION_NOT_FOUND (VLD-00003), RESOURCE_TYPE_NOT_DELEGABLE (VLD-00017),
// DUPLICATE_RIGHT (VLD-00006), DUPLICATE_PACKAGE (VLD-00007), PACKAGE_NOT_FOUND (VLD-00008),
// PACKAGE_NOT_ASSIGNABLE (VLD-00018), CLIENT_ID_TAKEN (VLD-00004), DUPLICATE_CLIENT_ID (VLD-00011),
// CLIENT_ID_INVALID, REDIRECT_URL_INVALID (VLD-00005).
func (s *Service) RegisterSystem(ctx context.Context, in SystemInput) (*System, error) {
	caller := identity.FromContext(ctx)
	if in.VendorOrg == "" {
		in.VendorOrg = caller.OrgNumber
	}
	if err := requireSystemWriter(caller, in.VendorOrg); err != nil {
		return nil, err
	}
	vs, err := s.validateSystem(ctx, s.db, in, true)
	if err != nil {
		return nil, err
	}
	if err := apperr.Validation(vs); err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := ensureVendor(ctx, tx, in.VendorOrg); err != nil {
			return err
		}
		row := systemRow(in)
		if _, err := tx.NewInsert().Model(row).ExcludeColumn("internal_id", "created_at", "updated_at").Exec(ctx); err != nil {
			return err
		}
		if err := replaceSystemChildren(ctx, tx, in.ID, &in, true, true); err != nil {
			return err
		}
		return logSystemChange(ctx, tx, caller, in.ID, ChangeCreate, changedSystemOf(&in), s.now())
	})
	if err != nil {
		return nil, systemWriteError("register system", err)
	}
	s.catalogChanged()
	s.log.InfoContext(ctx, "system registered", "system_id", in.ID, "by", caller.OrgNumber)
	return s.systemByIDUnscoped(ctx, in.ID)
}

// ensureVendor creates the vendor organisation on its first system, as
// Altinn does not look vendors up: a vendor with a Maskinporten token from a
// real issuer must not need seeding first. Its name is its number until a
// world file names it.
func ensureVendor(ctx context.Context, tx bun.Tx, org string) error {
	_, err := tx.NewInsert().Model(&db.Organization{OrgNumber: org, Name: org}).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

// UpdateSystem replaces a system entirely (Altinn's PUT), rights, packages,
// client ids and redirect URLs included. in.ID, if set, must equal id.
// Errors: as RegisterSystem (SYSTEM_EXISTS excepted), plus not_found SYSTEM_NOT_FOUND
// (also for another vendor's system), invalid SYSTEM_DELETED, SYSTEM_ID_MISMATCH (VLD-00012).
func (s *Service) UpdateSystem(ctx context.Context, id string, in SystemInput) (*System, error) {
	if in.ID == "" {
		in.ID = id
	}
	if in.ID != id {
		return nil, apperr.Validation([]apperr.Violation{{Reason: "SYSTEM_ID_MISMATCH", Altinn: "AUTH.VLD-00012",
			Message: "the system id in the body differs from the one in the path", Path: "/registersystemrequest/systemid"}})
	}
	return s.updateSystem(ctx, id, ChangeUpdate, func(cur *System) (*SystemInput, bool, bool, error) {
		if in.VendorOrg == "" {
			in.VendorOrg = cur.VendorOrg
		}
		if in.VendorOrg != cur.VendorOrg {
			return nil, false, false, ErrSystemNotFound
		}
		return &in, true, true, nil
	})
}

// UpdateSystemRights replaces a system's rights.
// Errors: as UpdateSystem (rights violations only).
func (s *Service) UpdateSystemRights(ctx context.Context, id string, rights []Right) (*System, error) {
	return s.updateSystem(ctx, id, ChangeRightsUpdate, func(cur *System) (*SystemInput, bool, bool, error) {
		in := inputOf(cur)
		in.Rights = rights
		return in, false, false, nil
	})
}

// UpdateSystemAccessPackages replaces a system's access packages.
// Errors: as UpdateSystem (package violations only).
func (s *Service) UpdateSystemAccessPackages(ctx context.Context, id string, pkgs []string) (*System, error) {
	return s.updateSystem(ctx, id, ChangeAccessPackageUpdate, func(cur *System) (*SystemInput, bool, bool, error) {
		in := inputOf(cur)
		in.AccessPackages = pkgs
		return in, false, false, nil
	})
}

// DeleteSystem soft-deletes a system and releases its client ids. Its id
// stays reserved; its system users stop getting tokens (the lookup ignores
// deleted systems).
// Errors: unauthenticated; forbidden MISSING_SCOPE; not_found SYSTEM_NOT_FOUND (also another
// vendor's or an already deleted system).
func (s *Service) DeleteSystem(ctx context.Context, id string) error {
	caller := identity.FromContext(ctx)
	if err := require(caller, auth.SystemRegisterWrite); err != nil {
		return err
	}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model((*db.System)(nil)).Set("is_deleted = true").Set("updated_at = ?", s.now()).
			Where("id = ?", id).Where("NOT is_deleted")
		if !caller.IsAdmin() {
			q.Where("vendor_org = ?", caller.OrgNumber)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrSystemNotFound
		}
		if _, err = tx.NewDelete().Model((*db.SystemClient)(nil)).Where("system_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		return logSystemChange(ctx, tx, caller, id, ChangeDelete, nil, s.now())
	})
	if err != nil {
		return systemWriteError("delete system", err)
	}
	s.catalogChanged()
	s.log.InfoContext(ctx, "system deleted", "system_id", id, "by", caller.OrgNumber)
	return nil
}

// updateSystem loads and locks the caller's system, lets build produce the
// new state, validates it and writes it and its change-log entry
// (changeType) in one transaction.
func (s *Service) updateSystem(ctx context.Context, id, changeType string,
	build func(cur *System) (in *SystemInput, replaceClients, replaceURLs bool, err error)) (*System, error) {
	caller := identity.FromContext(ctx)
	if err := require(caller, auth.SystemRegisterWrite); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var row db.System
		q := tx.NewSelect().Model(&row).Where("id = ?", id).For("UPDATE")
		if !caller.IsAdmin() {
			q.Where("vendor_org = ?", caller.OrgNumber)
		}
		if err := q.Scan(ctx); err != nil {
			if isNoRows(err) {
				return ErrSystemNotFound
			}
			return err
		}
		if row.IsDeleted {
			return ErrSystemDeleted
		}
		cur := systemFrom(&row)
		if err := loadSystemChildren(ctx, tx, []*System{cur}); err != nil {
			return err
		}
		in, clients, urls, err := build(cur)
		if err != nil {
			return err
		}
		vs, err := s.validateSystem(ctx, tx, *in, false)
		if err != nil {
			return err
		}
		if err := apperr.Validation(vs); err != nil {
			return err
		}
		upd := systemRow(*in)
		upd.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(upd).
			Column("name_nb", "name_nn", "name_en", "description_nb", "description_nn", "description_en", "is_visible", "updated_at").
			WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := replaceSystemChildren(ctx, tx, id, in, clients, urls); err != nil {
			return err
		}
		var changed any
		switch changeType {
		case ChangeRightsUpdate:
			changed = changedRights(in.Rights)
		case ChangeAccessPackageUpdate:
			changed = changedPackages(in.AccessPackages)
		default:
			changed = changedSystemOf(in)
		}
		return logSystemChange(ctx, tx, caller, id, changeType, changed, upd.UpdatedAt)
	})
	if err != nil {
		return nil, systemWriteError("update system", err)
	}
	s.catalogChanged()
	s.log.InfoContext(ctx, "system updated", "system_id", id, "by", caller.OrgNumber)
	return s.systemByIDUnscoped(ctx, id)
}

func inputOf(cur *System) *SystemInput {
	return &SystemInput{ID: cur.ID, VendorOrg: cur.VendorOrg, Name: cur.Name, Description: cur.Description,
		Rights: cur.Rights, AccessPackages: cur.AccessPackages, ClientIDs: cur.ClientIDs,
		RedirectURLs: cur.RedirectURLs, IsVisible: cur.IsVisible}
}

func systemRow(in SystemInput) *db.System {
	return &db.System{ID: in.ID, VendorOrg: in.VendorOrg,
		NameNB: in.Name.NB, NameNN: in.Name.NN, NameEN: in.Name.EN,
		DescriptionNB: in.Description.NB, DescriptionNN: in.Description.NN, DescriptionEN: in.Description.EN,
		IsVisible: in.IsVisible}
}

// replaceSystemChildren rewrites the child rows of a system. Rights and
// packages are always written; client ids and redirect URLs when asked.
func replaceSystemChildren(ctx context.Context, tx bun.Tx, id string, in *SystemInput, clients, urls bool) error {
	if _, err := tx.NewDelete().Model((*db.SystemRight)(nil)).Where("system_id = ?", id).Exec(ctx); err != nil {
		return err
	}
	if len(in.Rights) > 0 {
		rows := make([]db.SystemRight, len(in.Rights))
		for i, r := range in.Rights {
			rows[i] = db.SystemRight{SystemID: id, ResourceID: r.Resource, Action: r.Action}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
	}
	if _, err := tx.NewDelete().Model((*db.SystemAccessPackage)(nil)).Where("system_id = ?", id).Exec(ctx); err != nil {
		return err
	}
	if len(in.AccessPackages) > 0 {
		rows := make([]db.SystemAccessPackage, len(in.AccessPackages))
		for i, p := range in.AccessPackages {
			rows[i] = db.SystemAccessPackage{SystemID: id, PackageURN: p}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
	}
	if clients {
		if _, err := tx.NewDelete().Model((*db.SystemClient)(nil)).Where("system_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if len(in.ClientIDs) > 0 {
			rows := make([]db.SystemClient, len(in.ClientIDs))
			for i, c := range in.ClientIDs {
				rows[i] = db.SystemClient{SystemID: id, ClientID: c}
			}
			if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
				return err
			}
		}
	}
	if urls {
		if _, err := tx.NewDelete().Model((*db.SystemRedirectURL)(nil)).Where("system_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if len(in.RedirectURLs) > 0 {
			rows := make([]db.SystemRedirectURL, len(in.RedirectURLs))
			for i, u := range in.RedirectURLs {
				rows[i] = db.SystemRedirectURL{SystemID: id, URL: u}
			}
			if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// systemWriteError turns the unique violations a concurrent writer can
// still cause (after validation passed) into the violation validation
// would have reported.
func systemWriteError(op string, err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	if c, ok := db.IsUniqueViolation(err); ok {
		switch c {
		case "systems_pkey":
			return apperr.Validation([]apperr.Violation{{Reason: "SYSTEM_EXISTS", Altinn: "AUTH.VLD-00002",
				Message: "the system id already exists", Path: "/registersystemrequest/systemid"}})
		case "system_clients_pkey":
			return apperr.Validation([]apperr.Violation{{Reason: "CLIENT_ID_TAKEN", Altinn: "AUTH.VLD-00004",
				Message: "a client id is already used by another system", Path: "/registersystemrequest/clientid"}})
		}
		return apperr.New(apperr.Conflict, "CONFLICT", "a concurrent change conflicted")
	}
	return internal(op, err)
}

func (s *Service) systemByIDUnscoped(ctx context.Context, id string) (*System, error) {
	m, err := s.SystemsByID(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if sys, ok := m[id]; ok {
		return sys, nil
	}
	return nil, ErrSystemNotFound
}

// validateSystem collects every violation of in.
func (s *Service) validateSystem(ctx context.Context, idb bun.IDB, in SystemInput, isNew bool) ([]apperr.Violation, error) {
	var vs []apperr.Violation
	add := func(reason, altinn, path, msg string) {
		vs = append(vs, apperr.Violation{Reason: reason, Altinn: altinn, Path: "/registersystemrequest/" + path, Message: msg})
	}
	// Altinn does not look vendors up: an unknown vendor is created on
	// first use (RegisterSystem), so only its number's form is checked.
	var vendorValid bool
	if err := idb.NewRaw("SELECT org_number_valid(?)", in.VendorOrg).Scan(ctx, &vendorValid); err != nil {
		return nil, internal("validate vendor", err)
	}
	if !vendorValid {
		add("VENDOR_ORG_INVALID", "AUTH.VLD-00000", "vendor/id", "the vendor must be a valid 9-digit organisation number")
	}
	if rest, ok := strings.CutPrefix(in.ID, in.VendorOrg+"_"); !ok || rest == "" || len(in.ID) > 255 {
		add("INVALID_SYSTEM_ID", "AUTH.VLD-00001", "systemid", "the system id must be {vendorOrgNo}_{name}")
	}
	if strings.ContainsFunc(in.ID, unicode.IsSpace) {
		add("SYSTEM_ID_HAS_SPACES", "AUTH.VLD-00013", "systemid", "the system id must not contain spaces")
	}
	if isNew {
		var exists bool
		if err := idb.NewRaw("SELECT EXISTS (SELECT 1 FROM systems WHERE id = ?)", in.ID).Scan(ctx, &exists); err != nil {
			return nil, internal("validate system id", err)
		}
		if exists {
			add("SYSTEM_EXISTS", "AUTH.VLD-00002", "systemid", "the system id already exists (deleted systems keep their id)")
		}
	}
	if in.Name.NB == "" || in.Name.NN == "" || in.Name.EN == "" {
		add("NAME_REQUIRED", "", "name", "the name is required in nb, nn and en")
	}
	rv, err := validateSystemRights(ctx, idb, in.Rights)
	if err != nil {
		return nil, err
	}
	vs = append(vs, rv...)
	pv, err := validateSystemPackages(ctx, idb, in.AccessPackages, in.IsVisible)
	if err != nil {
		return nil, err
	}
	vs = append(vs, pv...)
	cv, err := validateClientIDs(ctx, idb, in.ID, in.VendorOrg, in.ClientIDs)
	if err != nil {
		return nil, err
	}
	vs = append(vs, cv...)
	for _, u := range in.RedirectURLs {
		if !redirectURLValid(u) {
			add("REDIRECT_URL_INVALID", "AUTH.VLD-00005", "allowedredirecturls", "redirect URL must be absolute https (or http on localhost): "+u)
		}
	}
	return vs, nil
}

func validateSystemRights(ctx context.Context, idb bun.IDB, rights []Right) ([]apperr.Violation, error) {
	var vs []apperr.Violation
	add := func(reason, altinn, msg string) {
		vs = append(vs, apperr.Violation{Reason: reason, Altinn: altinn, Path: "/registersystemrequest/rights/resource", Message: msg})
	}
	if len(rights) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(rights))
	for _, r := range rights {
		ids = append(ids, r.Resource)
	}
	var res []db.Resource
	if err := idb.NewSelect().Model(&res).Relation("Actions").Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, internal("validate rights", err)
	}
	byID := make(map[string]*db.Resource, len(res))
	for i := range res {
		byID[res[i].ID] = &res[i]
	}
	seen := make([]Right, 0, len(rights))
	for _, r := range rights {
		// A duplicate is a right already among the earlier ones, by the same
		// rule requests are matched with: the same resource without action,
		// or the same action (or a resource listed with every action).
		if _, dup := RightAmong(r, seen); dup {
			add("DUPLICATE_RIGHT", "AUTH.VLD-00006", "duplicate right: "+r.String())
			continue
		}
		seen = append(seen, r)
		rr, ok := byID[r.Resource]
		switch {
		case !ok:
			add("RESOURCE_NOT_FOUND", "AUTH.VLD-00003", "resource not found: "+r.Resource)
		case !slices.Contains(delegableResourceTypes, rr.ResourceType):
			add("RESOURCE_TYPE_NOT_DELEGABLE", "AUTH.VLD-00017", "resource type cannot be delegated: "+r.Resource)
		case r.Action != "" && !slices.ContainsFunc(rr.Actions, func(a *db.ResourceAction) bool { return a.Action == r.Action }):
			add("ACTION_NOT_FOUND", "AUTH.VLD-00003", "the resource has no such action: "+r.String())
		}
	}
	return vs, nil
}

func validateSystemPackages(ctx context.Context, idb bun.IDB, pkgs []string, visible bool) ([]apperr.Violation, error) {
	var vs []apperr.Violation
	add := func(reason, altinn, msg string) {
		vs = append(vs, apperr.Violation{Reason: reason, Altinn: altinn, Path: "/registersystemrequest/accesspackages", Message: msg})
	}
	if len(pkgs) == 0 {
		return nil, nil
	}
	var rows []db.AccessPackage
	if err := idb.NewSelect().Model(&rows).Where("urn IN (?)", bun.In(pkgs)).Scan(ctx); err != nil {
		return nil, internal("validate packages", err)
	}
	byURN := make(map[string]*db.AccessPackage, len(rows))
	for i := range rows {
		byURN[rows[i].URN] = &rows[i]
	}
	seen := make(map[string]bool, len(pkgs))
	for _, p := range pkgs {
		if seen[p] {
			add("DUPLICATE_PACKAGE", "AUTH.VLD-00007", "duplicate access package: "+p)
			continue
		}
		seen[p] = true
		ap, ok := byURN[p]
		switch {
		case !ok || (!ap.Assignable && !ap.Delegable):
			add("PACKAGE_NOT_FOUND", "AUTH.VLD-00008", "access package not found or not delegable: "+p)
		case visible && !ap.Assignable:
			add("PACKAGE_NOT_ASSIGNABLE", "AUTH.VLD-00018", "a visible system cannot hold a client-only package: "+p)
		}
	}
	return vs, nil
}

// validateClientIDs checks the Maskinporten client ids a system claims:
// well-formed, not twice, not held by another live system, and, for a client
// this database knows (the bundled simulator's clients), owned by the
// system's vendor.
//
// The ownership rule is ours, not Altinn's: Altinn checks only that a client
// id is not tagged on another system (ALTINN-REFERENCE §3.5 gap 5: nothing
// ties the client to the vendor until token time), so a vendor could claim
// another's client and have Maskinporten's system-user lookup answer for it.
// We report it with Altinn's client-id code (AUTH.VLD-00004: this client id
// cannot be tagged on this system) so Altinn clients handle it as they do a
// taken id. Clients unknown here (registered at a real Maskinporten) cannot be
// checked and are accepted, as Altinn does.
func validateClientIDs(ctx context.Context, idb bun.IDB, systemID, vendorOrg string, ids []string) ([]apperr.Violation, error) {
	var vs []apperr.Violation
	add := func(reason, altinn, msg string) {
		vs = append(vs, apperr.Violation{Reason: reason, Altinn: altinn, Path: "/registersystemrequest/clientid", Message: msg})
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var taken []string
	if err := idb.NewSelect().Model((*db.SystemClient)(nil)).Column("client_id").
		Where("client_id IN (?)", bun.In(ids)).Where("system_id <> ?", systemID).Scan(ctx, &taken); err != nil {
		return nil, internal("validate client ids", err)
	}
	var known []struct {
		ClientID  string `bun:"client_id"`
		OrgNumber string `bun:"org_number"`
	}
	if err := idb.NewSelect().Model((*db.MaskinportenClient)(nil)).Column("client_id", "org_number").
		Where("client_id IN (?)", bun.In(ids)).Where("deleted_at IS NULL").Scan(ctx, &known); err != nil {
		return nil, internal("validate client owners", err)
	}
	owner := make(map[string]string, len(known))
	for _, k := range known {
		owner[k.ClientID] = k.OrgNumber
	}
	seen := make(map[string]bool, len(ids))
	for _, c := range ids {
		org, isKnown := owner[c]
		switch {
		case seen[c]:
			add("DUPLICATE_CLIENT_ID", "AUTH.VLD-00011", "duplicate client id: "+c)
			continue
		case c == "" || len(c) > 255:
			// Altinn treats client ids as free text (spaces allowed) and checks
			// only duplicates; the length bound is the column's.
			add("CLIENT_ID_INVALID", "", "client id must be 1-255 characters")
		case slices.Contains(taken, c):
			add("CLIENT_ID_TAKEN", "AUTH.VLD-00004", "the client id is already used by another system: "+c)
		case isKnown && org != vendorOrg:
			add("CLIENT_ID_NOT_OWNED", "AUTH.VLD-00004", "the Maskinporten client belongs to another organisation: "+c)
		}
		seen[c] = true
	}
	return vs, nil
}

// redirectURLValid accepts absolute https URLs, and plain http only on the
// loopback host names a developer's machine uses.
func redirectURLValid(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || strings.ContainsFunc(raw, unicode.IsSpace) {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		return h == "localhost" || h == "127.0.0.1"
	}
	return false
}

// String is "resource" or "resource:action".
func (r Right) String() string {
	if r.Action == "" {
		return r.Resource
	}
	return r.Resource + ":" + r.Action
}
