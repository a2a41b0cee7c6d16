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

// subjectsQuery returns one row per existing system user of ids, with its
// grants aggregated as JSON, so a miss costs one round trip.
const subjectsQuery = `
SELECT su.id, su.owner_org, su.user_type, su.system_id,
  su.deleted_at IS NOT NULL AS deleted, s.is_deleted AS system_deleted,
  COALESCE((SELECT json_agg(json_build_object('r', r.resource_id, 'a', COALESCE(r.action, '')))
    FROM system_user_rights r WHERE r.system_user_id = su.id), '[]') AS rights,
  COALESCE((SELECT json_agg(p.package_urn)
    FROM system_user_access_packages p WHERE p.system_user_id = su.id), '[]') AS packages,
  COALESCE((SELECT json_object_agg(cd.client_org, COALESCE((
      SELECT json_agg(cr.package_urn) FROM client_relationships cr
      JOIN system_user_access_packages p ON p.system_user_id = su.id AND p.package_urn = cr.package_urn
      WHERE cr.client_org = cd.client_org AND cr.facilitator_org = su.owner_org), '[]'))
    FROM client_delegations cd WHERE cd.system_user_id = su.id), '{}') AS clients
FROM system_users su JOIN systems s ON s.id = su.system_id
WHERE su.id = ANY(?)`

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
		var rights, packages, clients []byte
		if err := rows.Scan(&s.id, &s.ownerOrg, &s.userType, &s.systemID, &s.deleted, &s.systemDeleted,
			&rights, &packages, &clients); err != nil {
			return nil, fmt.Errorf("pdp: scan system user: %w", err)
		}
		var rs []struct{ R, A string }
		if err := json.Unmarshal(rights, &rs); err != nil {
			return nil, fmt.Errorf("pdp: decode rights: %w", err)
		}
		s.rights = make(map[string][]string, len(rs))
		for _, r := range rs {
			s.rights[r.R] = append(s.rights[r.R], r.A)
		}
		if err := json.Unmarshal(packages, &s.packages); err != nil {
			return nil, fmt.Errorf("pdp: decode packages: %w", err)
		}
		if err := json.Unmarshal(clients, &s.clients); err != nil {
			return nil, fmt.Errorf("pdp: decode clients: %w", err)
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
	c := &catalog{resources: make(map[string]*resource, len(res)), packages: make(map[string]map[string]struct{}, len(pkgs))}
	for id, r := range res {
		c.resources[id] = &resource{actions: r.A, requiredScope: r.S}
	}
	for urn, ids := range pkgs {
		set := make(map[string]struct{}, len(ids))
		for _, id := range ids {
			set[id] = struct{}{}
		}
		c.packages[urn] = set
	}
	return c, nil
}
