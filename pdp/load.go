package pdp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// subject is everything a decision needs about one system user. It is
// immutable once built: the cache hands out the same pointer to all readers.
type subject struct {
	found         bool
	id            uuid.UUID
	ownerOrg      string
	userType      string
	systemID      string
	deleted       bool
	systemDeleted bool
	// rights: resource → actions granted ("" = every action).
	rights   map[string][]string
	packages []string
	// clients (agent): client org → packages usable for it, i.e. the system
	// user's packages that the client still gives the owner.
	clients map[string][]string
}

// subjectsQuery reads the system users of ids in one round trip. The work
// is in the SQL function pdp_subjects (migration 20261125000003): the
// session keeps its plan, where this statement sent as text would be
// planned on every cache miss, and planning cost more than running it.
const subjectsQuery = `SELECT id, owner_org, user_type, system_id, deleted, system_deleted,
  right_resources, right_actions, packages, client_orgs, client_packages FROM pdp_subjects(?)`

// loadSubjects reads ids in one query; ids without a row come back as
// not-found subjects (cached too: creating one announces its id).
func loadSubjects(ctx context.Context, bdb bun.IDB, ids []uuid.UUID) (map[uuid.UUID]*subject, error) {
	rows, err := bdb.QueryContext(ctx, subjectsQuery, pgdialect.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("pdp: load system users: %w", err)
	}
	defer rows.Close()
	out := make(map[uuid.UUID]*subject, len(ids))
	for rows.Next() {
		s := &subject{found: true}
		var resources, actions, clientOrgs, clientPackages []string
		if err := rows.Scan(&s.id, &s.ownerOrg, &s.userType, &s.systemID, &s.deleted, &s.systemDeleted,
			pgdialect.Array(&resources), pgdialect.Array(&actions), pgdialect.Array(&s.packages),
			pgdialect.Array(&clientOrgs), pgdialect.Array(&clientPackages)); err != nil {
			return nil, fmt.Errorf("pdp: scan system user: %w", err)
		}
		if len(resources) != len(actions) || len(clientOrgs) != len(clientPackages) {
			return nil, fmt.Errorf("pdp: load system user %s: misaligned grant arrays", s.id)
		}
		s.rights = make(map[string][]string, len(resources))
		for i, r := range resources {
			s.rights[r] = append(s.rights[r], actions[i])
		}
		if len(clientOrgs) > 0 {
			s.clients = make(map[string][]string, len(clientOrgs))
			for i, org := range clientOrgs {
				pkgs := s.clients[org]
				if clientPackages[i] != "" { // a client that gives none of the packages
					pkgs = append(pkgs, clientPackages[i])
				}
				s.clients[org] = pkgs
			}
		}
		out[s.id] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pdp: load system users: %w", err)
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			out[id] = &subject{id: id}
		}
	}
	return out, nil
}

// catalog is the Resource Registry as decisions see it. Immutable once built.
type catalog struct {
	resources map[string]*resource
	// packages: package urn → resource ids it contains.
	packages map[string]map[string]struct{}
	// permits: package urn → the verdict a permit through it carries, built
	// once here rather than concatenated on every cached decision.
	permits map[string]verdict
}

type resource struct {
	actions       []string
	requiredScope string
}

const catalogQuery = `
SELECT
  COALESCE((SELECT json_object_agg(r.id, json_build_object('s', COALESCE(r.required_scope, ''),
      'a', COALESCE((SELECT json_agg(a.action) FROM resource_actions a WHERE a.resource_id = r.id), '[]')))
    FROM resources r), '{}'),
  COALESCE((SELECT json_object_agg(p.urn, COALESCE((SELECT json_agg(pr.resource_id)
      FROM access_package_resources pr WHERE pr.package_urn = p.urn), '[]'))
    FROM access_packages p), '{}')`

func loadCatalog(ctx context.Context, bdb bun.IDB) (*catalog, error) {
	var resJSON, pkgJSON []byte
	if err := bdb.QueryRowContext(ctx, catalogQuery).Scan(&resJSON, &pkgJSON); err != nil {
		return nil, fmt.Errorf("pdp: load catalog: %w", err)
	}
	var res map[string]struct {
		S string
		A []string
	}
	if err := json.Unmarshal(resJSON, &res); err != nil {
		return nil, fmt.Errorf("pdp: decode resources: %w", err)
	}
	var pkgs map[string][]string
	if err := json.Unmarshal(pkgJSON, &pkgs); err != nil {
		return nil, fmt.Errorf("pdp: decode packages: %w", err)
	}
	c := &catalog{resources: make(map[string]*resource, len(res)), packages: make(map[string]map[string]struct{}, len(pkgs)),
		permits: make(map[string]verdict, len(pkgs))}
	for id, r := range res {
		c.resources[id] = &resource{actions: r.A, requiredScope: r.S}
	}
	for urn, ids := range pkgs {
		set := make(map[string]struct{}, len(ids))
		for _, id := range ids {
			set[id] = struct{}{}
		}
		c.packages[urn] = set
		c.permits[urn] = permitPackage(urn)
	}
	return c, nil
}
