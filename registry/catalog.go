package registry

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/systemuser-gateway/systemuser/db"
	"github.com/systemuser-gateway/systemuser/identity"
)

// The catalog (organisations, resources, access packages) is public: Altinn
// publishes it, and every caller needs it to read a system or a request.

// GetOrganization returns the organisation with orgNumber.
// Errors: not_found ORGANIZATION_NOT_FOUND.
func (s *Service) GetOrganization(ctx context.Context, orgNumber string) (*Organization, error) {
	m, err := s.OrganizationsByNumber(ctx, []string{orgNumber})
	if err != nil {
		return nil, err
	}
	o, ok := m[orgNumber]
	if !ok {
		return nil, ErrOrganizationNotFound
	}
	return o, nil
}

// OrganizationsByNumber loads organisations for a dataloader. It is
// unscoped: organisations are public. Missing numbers are absent from the map.
func (s *Service) OrganizationsByNumber(ctx context.Context, numbers []string) (map[string]*Organization, error) {
	out := make(map[string]*Organization, len(numbers))
	if len(numbers) == 0 {
		return out, nil
	}
	found, missing, gen, cached := s.catalog.cachedOrgs(numbers)
	if cached {
		if len(missing) == 0 {
			return found, nil
		}
		out, numbers = found, missing
	}
	var rows []db.Organization
	if err := s.db.NewSelect().Model(&rows).Where("org_number IN (?)", bun.In(numbers)).Scan(ctx); err != nil {
		return nil, internal("load organizations", err)
	}
	read := make(map[string]*Organization, len(rows))
	for _, r := range rows {
		read[r.OrgNumber] = organizationFrom(&r)
		out[r.OrgNumber] = organizationFrom(&r)
	}
	if cached {
		s.catalog.storeOrgs(gen, read)
	}
	return out, nil
}

func organizationFrom(r *db.Organization) *Organization {
	return &Organization{OrgNumber: r.OrgNumber, Name: r.Name, PartyUUID: r.PartyUUID}
}

// ResolveParty returns the organisation a party reference names: its
// organisation number or its party UUID, which Altinn's end-user routes
// and client delegation take. Organisations are public, so it is unscoped.
// Errors: not_found ORGANIZATION_NOT_FOUND (also for a reference of neither form).
func (s *Service) ResolveParty(ctx context.Context, ref string) (*Organization, error) {
	q := s.db.NewSelect().Model((*db.Organization)(nil))
	if id, err := uuid.Parse(ref); err == nil && len(ref) == 36 {
		q.Where("party_uuid = ?", id)
	} else if identity.IsOrgNumberShape(ref) {
		q.Where("org_number = ?", ref)
	} else {
		return nil, ErrOrganizationNotFound
	}
	var row db.Organization
	if err := q.Scan(ctx, &row); err != nil {
		if isNoRows(err) {
			return nil, ErrOrganizationNotFound
		}
		return nil, internal("resolve party", err)
	}
	return organizationFrom(&row), nil
}

// PersonByPID returns a person. Errors: not_found PERSON_NOT_FOUND.
func (s *Service) PersonByPID(ctx context.Context, pid string) (*Person, error) {
	var p db.Person
	err := s.db.NewSelect().Model(&p).Where("pid = ?", pid).Scan(ctx)
	if isNoRows(err) {
		return nil, ErrPersonNotFound
	}
	if err != nil {
		return nil, internal("load person", err)
	}
	return &Person{PID: p.PID, Name: p.Name, PartyUUID: p.PartyUUID}, nil
}

// AdministeredOrgs returns the organisations pid holds an admin role in
// (AdminRoles), sorted. An unknown pid administers nothing.
func (s *Service) AdministeredOrgs(ctx context.Context, pid string) ([]string, error) {
	var orgs []string
	err := s.db.NewSelect().Table("person_roles").ColumnExpr("DISTINCT org_number").
		Where("pid = ?", pid).Where("role IN (?)", bun.In(AdminRoles)).
		Order("org_number").Scan(ctx, &orgs)
	if err != nil {
		return nil, internal("load administered orgs", err)
	}
	return orgs, nil
}

// ListResources pages through the Resource Registry by id.
// Errors: invalid INVALID_CURSOR, INVALID_PAGE_SIZE.
func (s *Service) ListResources(ctx context.Context, p Page) (*Connection[*Resource], error) {
	limit, err := p.limit()
	if err != nil {
		return nil, err
	}
	if snap := s.cachedCatalog(ctx); snap != nil {
		after, err := decodeAfter(p.After)
		if err != nil {
			return nil, err
		}
		return pageOf(snap.resourceIDs, snap.resources, limit, after), nil
	}
	q := s.db.NewSelect().Model((*db.Resource)(nil))
	total, err := q.Count(ctx)
	if err != nil {
		return nil, internal("count resources", err)
	}
	var rows []db.Resource
	pq := s.db.NewSelect().Model(&rows).Order("id").Limit(int64(limit + 1))
	if p.After != "" {
		after, err := decodeKeyCursor(p.After)
		if err != nil {
			return nil, err
		}
		pq.Where("id > ?", after)
	}
	if err := pq.Scan(ctx); err != nil {
		return nil, internal("list resources", err)
	}
	rows, more := trim(rows, limit)
	items := make([]*Resource, len(rows))
	ids := make([]string, len(rows))
	for i := range rows {
		items[i] = resourceFrom(&rows[i])
		ids[i] = rows[i].ID
	}
	if err := s.loadResourceActions(ctx, items); err != nil {
		return nil, err
	}
	conn := &Connection[*Resource]{Items: items, TotalCount: int(total), HasNextPage: more}
	for _, id := range ids {
		conn.Cursors = append(conn.Cursors, keyCursor(id))
	}
	return conn, nil
}

// ResourcesByID loads resources for a dataloader (unscoped: public catalog).
func (s *Service) ResourcesByID(ctx context.Context, ids []string) (map[string]*Resource, error) {
	if snap := s.cachedCatalog(ctx); snap != nil {
		return pick(snap.resources, ids), nil
	}
	out := make(map[string]*Resource, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []db.Resource
	if err := s.db.NewSelect().Model(&rows).Where("id IN (?)", bun.In(ids)).Order("id").Scan(ctx); err != nil {
		return nil, internal("load resources", err)
	}
	items := make([]*Resource, len(rows))
	for i := range rows {
		items[i] = resourceFrom(&rows[i])
		out[items[i].ID] = items[i]
	}
	if err := s.loadResourceActions(ctx, items); err != nil {
		return nil, err
	}
	return out, nil
}

func resourceFrom(r *db.Resource) *Resource {
	return &Resource{
		ID: r.ID, OwnerOrg: r.OwnerOrg,
		Title:         Texts{NB: r.TitleNB, NN: r.TitleNN, EN: r.TitleEN},
		RequiredScope: r.RequiredScope, Delegable: r.Delegable, ResourceType: r.ResourceType,
		Actions: []string{},
	}
}

// loadResourceActions fills Actions of every item with one query.
func (s *Service) loadResourceActions(ctx context.Context, items []*Resource) error {
	if len(items) == 0 {
		return nil
	}
	byID := make(map[string]*Resource, len(items))
	ids := make([]string, 0, len(items))
	for _, r := range items {
		byID[r.ID] = r
		ids = append(ids, r.ID)
	}
	var acts []db.ResourceAction
	if err := s.db.NewSelect().Model(&acts).Where("resource_id IN (?)", bun.In(ids)).
		Order("resource_id", "action").Scan(ctx); err != nil {
		return internal("load resource actions", err)
	}
	for _, a := range acts {
		byID[a.ResourceID].Actions = append(byID[a.ResourceID].Actions, a.Action)
	}
	return nil
}

// ListAccessPackages pages through the access packages by urn.
// Errors: invalid INVALID_CURSOR, INVALID_PAGE_SIZE.
func (s *Service) ListAccessPackages(ctx context.Context, p Page) (*Connection[*AccessPackage], error) {
	limit, err := p.limit()
	if err != nil {
		return nil, err
	}
	if snap := s.cachedCatalog(ctx); snap != nil {
		after, err := decodeAfter(p.After)
		if err != nil {
			return nil, err
		}
		return pageOf(snap.packageURNs, snap.packages, limit, after), nil
	}
	total, err := s.db.NewSelect().Model((*db.AccessPackage)(nil)).Count(ctx)
	if err != nil {
		return nil, internal("count access packages", err)
	}
	var rows []db.AccessPackage
	pq := s.db.NewSelect().Model(&rows).Order("urn").Limit(int64(limit + 1))
	if p.After != "" {
		after, err := decodeKeyCursor(p.After)
		if err != nil {
			return nil, err
		}
		pq.Where("urn > ?", after)
	}
	if err := pq.Scan(ctx); err != nil {
		return nil, internal("list access packages", err)
	}
	rows, more := trim(rows, limit)
	items := make([]*AccessPackage, len(rows))
	for i := range rows {
		items[i] = packageFrom(&rows[i])
	}
	if err := s.loadPackageResources(ctx, items); err != nil {
		return nil, err
	}
	conn := &Connection[*AccessPackage]{Items: items, TotalCount: int(total), HasNextPage: more}
	for _, it := range items {
		conn.Cursors = append(conn.Cursors, keyCursor(it.URN))
	}
	return conn, nil
}

// AccessPackagesByURN loads packages for a dataloader (unscoped: public catalog).
func (s *Service) AccessPackagesByURN(ctx context.Context, urns []string) (map[string]*AccessPackage, error) {
	if snap := s.cachedCatalog(ctx); snap != nil {
		return pick(snap.packages, urns), nil
	}
	out := make(map[string]*AccessPackage, len(urns))
	if len(urns) == 0 {
		return out, nil
	}
	var rows []db.AccessPackage
	if err := s.db.NewSelect().Model(&rows).Where("urn IN (?)", bun.In(urns)).Order("urn").Scan(ctx); err != nil {
		return nil, internal("load access packages", err)
	}
	items := make([]*AccessPackage, len(rows))
	for i := range rows {
		items[i] = packageFrom(&rows[i])
		out[items[i].URN] = items[i]
	}
	if err := s.loadPackageResources(ctx, items); err != nil {
		return nil, err
	}
	return out, nil
}

func packageFrom(r *db.AccessPackage) *AccessPackage {
	return &AccessPackage{URN: r.URN, Name: r.Name, Description: r.Description,
		Assignable: r.Assignable, Delegable: r.Delegable, Resources: []string{}}
}

func (s *Service) loadPackageResources(ctx context.Context, items []*AccessPackage) error {
	if len(items) == 0 {
		return nil
	}
	byURN := make(map[string]*AccessPackage, len(items))
	urns := make([]string, 0, len(items))
	for _, p := range items {
		byURN[p.URN] = p
		urns = append(urns, p.URN)
	}
	var rows []db.AccessPackageResource
	if err := s.db.NewSelect().Model(&rows).Where("package_urn IN (?)", bun.In(urns)).
		Order("package_urn", "resource_id").Scan(ctx); err != nil {
		return internal("load package resources", err)
	}
	for _, r := range rows {
		byURN[r.PackageURN].Resources = append(byURN[r.PackageURN].Resources, r.ResourceID)
	}
	return nil
}
