package registry

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/systemuser-gateway/systemuser/auth"
	"github.com/systemuser-gateway/systemuser/identity"
)

// SystemPageKey asks for the first page of a system's system users.
type SystemPageKey struct {
	SystemID     string
	First        int  // page size; 0 means DefaultPageSize
	SkipChildren bool // as Page.SkipChildren
}

// FirstSystemUserPages returns, for several systems at once, the first page
// of each one's non-deleted system users the caller may see (as
// ListSystemUsers with a SystemID filter and no cursor): one statement for
// the pages, one for the children (unless every key skips them), and a
// count only for systems with more than a page, so a list of systems with
// their system users costs the same few statements however long the list is.
// Errors: invalid INVALID_PAGE_SIZE.
func (s *Service) FirstSystemUserPages(ctx context.Context, keys []SystemPageKey) (map[SystemPageKey]*Connection[*SystemUser], error) {
	// norm holds one page per system and effective page size (First 0 and
	// First DefaultPageSize are the same page).
	norm := make(map[SystemPageKey]*Connection[*SystemUser], len(keys))
	withChildren := map[*Connection[*SystemUser]]bool{}
	bySize := map[int][]string{}
	for _, k := range keys {
		limit, err := Page{First: k.First}.limit()
		if err != nil {
			return nil, err
		}
		nk := SystemPageKey{SystemID: k.SystemID, First: limit}
		if norm[nk] == nil {
			norm[nk] = &Connection[*SystemUser]{Items: []*SystemUser{}}
			bySize[limit] = append(bySize[limit], k.SystemID)
		}
		if !k.SkipChildren {
			withChildren[norm[nk]] = true
		}
	}
	out := make(map[SystemPageKey]*Connection[*SystemUser], len(keys))
	for _, k := range keys {
		limit, _ := Page{First: k.First}.limit()
		out[k] = norm[SystemPageKey{SystemID: k.SystemID, First: limit}]
	}
	caller := identity.FromContext(ctx)
	scope, args, visible := systemUserScopeSQL(caller)
	if !visible || len(keys) == 0 {
		return out, nil
	}
	// A system user on several pages (asked with several sizes) is one
	// object, so its children are loaded once for all of them. With one
	// size (the usual), each is on one page only.
	var seen map[uuid.UUID]*SystemUser
	if len(bySize) > 1 {
		seen = map[uuid.UUID]*SystemUser{}
	}
	var full []string // systems with more than a page: their totals need a count
	vendor, whole := wholeSystemsScope(caller)
	var vendorArg any // NULL: an admin sees every vendor's
	if vendor != "" {
		vendorArg = vendor
	}
	for limit, ids := range bySize {
		// One row per system with no system users (t.id NULL), else one per
		// system user of the page (limit+1 to tell whether more follow).
		// Scanned by hand: bun's reflection cost more than the statement.
		var rows *sql.Rows
		var err error
		if whole {
			// The same page, from a function that keeps its plan (see its
			// migration): callers who see whole systems list them most.
			rows, err = s.db.QueryContext(ctx, "SELECT * FROM system_user_first_pages(?::text[], ?, ?)",
				pgdialect.Array(ids), vendorArg, limit+1)
		} else {
			q := `SELECT sys.n, t.packed, t.vendor_org
FROM unnest(?::text[]) WITH ORDINALITY AS sys(id, n)
LEFT JOIN LATERAL (SELECT ` + packedSystemUserSQL + ` AS packed, s.vendor_org
  FROM system_users su JOIN systems s ON s.id = su.system_id
  WHERE su.system_id = sys.id AND su.deleted_at IS NULL AND ` + scope + `
  ORDER BY su.created_at, su.id LIMIT ?) t ON true`
			qargs := append([]any{pgdialect.Array(ids)}, args...)
			qargs = append(qargs, limit+1)
			rows, err = s.db.QueryContext(ctx, q, qargs...)
		}
		if err != nil {
			return nil, internal("list system users of systems", err)
		}
		err = scanPageRows(rows, ids, vendor, func(sys string, r systemUserRow, some bool) {
			conn := norm[SystemPageKey{SystemID: sys, First: limit}]
			if !some {
				return
			}
			if len(conn.Items) == limit {
				if !conn.HasNextPage {
					full = append(full, sys)
				}
				conn.HasNextPage = true
				return
			}
			su := seen[r.ID]
			if su == nil {
				su = systemUserFrom(&r)
				if seen != nil {
					seen[r.ID] = su
				}
			}
			conn.Items = append(conn.Items, su)
		})
		if err != nil {
			return nil, err
		}
	}
	// A page that holds every system user is its own count; only systems
	// with more are counted.
	totals := map[string]int{}
	if len(full) > 0 {
		q := `SELECT su.system_id, count(*) FROM system_users su JOIN systems s ON s.id = su.system_id
  WHERE su.system_id IN (?) AND su.deleted_at IS NULL AND ` + scope + ` GROUP BY su.system_id`
		qargs := append([]any{bun.In(full)}, args...)
		if cond, cargs, whole := systemScopeSQL(caller); whole {
			// The caller sees these systems' system users whole: the counts
			// the database keeps are their totals.
			q = `SELECT c.system_id, c.live FROM system_user_counts c JOIN systems s ON s.id = c.system_id
  WHERE c.system_id IN (?) AND ` + cond
			qargs = append([]any{bun.In(full)}, cargs...)
		}
		rows, err := s.db.QueryContext(ctx, q, qargs...)
		if err != nil {
			return nil, internal("count system users of systems", err)
		}
		defer rows.Close()
		for rows.Next() {
			var sys string
			var n int
			if err := rows.Scan(&sys, &n); err != nil {
				return nil, internal("count system users of systems", err)
			}
			totals[sys] = n
		}
		if err := rows.Err(); err != nil {
			return nil, internal("count system users of systems", err)
		}
	}
	for k, conn := range norm {
		if conn.HasNextPage {
			conn.TotalCount = totals[k.SystemID]
		} else {
			conn.TotalCount = len(conn.Items)
		}
	}
	var parents []*SystemUser
	for conn := range withChildren {
		for _, su := range conn.Items {
			switch {
			case seen == nil:
				parents = append(parents, su)
			case seen[su.ID] != nil:
				parents = append(parents, su)
				delete(seen, su.ID) // once, however many pages hold it
			}
		}
	}
	if err := loadSystemUserChildren(ctx, s.db, parents); err != nil {
		return nil, err
	}
	return out, nil
}

// scanPageRows reads FirstSystemUserPages' rows: each names its system by
// its position in ids, with the system user, or some false when the system
// has none. The row is passed by value: it stays on the stack. The rows leave
// out what the caller knows (see migration 20261201040000): the system
// user's system is the row's, a listed system user is live, and a vendor's
// (vendor, "" for any other caller) systems are its own. The system user's
// text comes packed in one value (packedSystemUserSQL).
func scanPageRows(rows *sql.Rows, ids []string, vendor string, row func(sys string, r systemUserRow, some bool)) error {
	defer rows.Close()
	// Declared once: Scan takes their addresses, so they live on the heap,
	// and inside the loop that was allocations on every row.
	var (
		pos          int
		packed, vend sql.NullString
	)
	for rows.Next() {
		if err := rows.Scan(&pos, &packed, &vend); err != nil {
			return internal("list system users of systems", err)
		}
		if pos < 1 || pos > len(ids) {
			return internal("list system users of systems", fmt.Errorf("system %d of %d", pos, len(ids)))
		}
		sys := ids[pos-1]
		if !packed.Valid {
			row(sys, systemUserRow{}, false)
			continue
		}
		r := systemUserRow{SystemID: sys, VendorOrg: vend.String}
		if err := unpackSystemUser(packed.String, &r); err != nil {
			return internal("list system users of systems", err)
		}
		if !vend.Valid {
			r.VendorOrg = vendor
		}
		row(sys, r, true)
	}
	if err := rows.Err(); err != nil {
		return internal("list system users of systems", err)
	}
	return nil
}

// systemUserScopeSQL is systemUserScope as a condition on su and s.
func systemUserScopeSQL(id *identity.Identity) (cond string, args []any, ok bool) {
	if cond, args, ok := systemScopeSQL(id); ok {
		return cond, args, true
	}
	if id.Kind == identity.Person && id.PID != "" {
		return "su.owner_org IN (?)", []any{OrgsAdministeredBy(id.PID)}, true
	}
	return "", nil, false
}

// wholeSystemsScope reports whether the caller sees whole systems' system
// users (an admin, a vendor), and if only one vendor's, which: vendor is ""
// for an admin. ok is false for the others (a person sees some of a
// system's, by owner).
func wholeSystemsScope(id *identity.Identity) (vendor string, ok bool) {
	switch {
	case id.IsAdmin():
		return "", true
	case id.Kind == identity.Organization && id.OrgNumber != "" && auth.VendorRead.Allows(id):
		return id.OrgNumber, true
	}
	return "", false
}

// systemScopeSQL is wholeSystemsScope as a condition on s.
func systemScopeSQL(id *identity.Identity) (cond string, args []any, ok bool) {
	vendor, ok := wholeSystemsScope(id)
	switch {
	case !ok:
		return "", nil, false
	case vendor == "":
		return "true", nil, true
	}
	return "s.vendor_org = ?", []any{vendor}, true
}

// liveSystemUsers sums the live system users of the systems the caller sees
// whole (see systemScopeSQL), optionally of one system, from the counts the
// database keeps by trigger (system_user_counts): a vendor's total without
// reading each of its system users. ok is false for other callers.
func (s *Service) liveSystemUsers(ctx context.Context, caller *identity.Identity, systemID string) (total int, ok bool, err error) {
	cond, args, ok := systemScopeSQL(caller)
	if !ok {
		return 0, false, nil
	}
	q := s.db.NewSelect().TableExpr("system_user_counts AS c").Join("JOIN systems AS s ON s.id = c.system_id").
		ColumnExpr("coalesce(sum(c.live), 0)").Where(cond, args...)
	if systemID != "" {
		q.Where("c.system_id = ?", systemID)
	}
	if err := q.Scan(ctx, &total); err != nil {
		return 0, true, internal("count system users", err)
	}
	return total, true, nil
}

// vendorSystemUsersPage is ListSystemUsers' page for a vendor: one keyset
// walk of system_users (system_id, created_at, id) per system of the vendor,
// each at most limit+1 rows long, merged. The plain join sorted every system
// user of the vendor for each page (25 ms at 10 000 of them); this reads
// (systems × page) rows, however many the vendor has.
func vendorSystemUsersPage(idb bun.IDB, vendor string, f SystemUserFilter, limit int, hasAfter bool, afterT time.Time, afterID uuid.UUID) *bun.SelectQuery {
	inner := idb.NewSelect().TableExpr("system_users AS su").ColumnExpr(systemUserColumns).
		Where("su.system_id = s.id").Where("su.deleted_at IS NULL").
		OrderExpr("su.created_at, su.id").Limit(int64(limit + 1))
	if f.OwnerOrg != "" {
		inner.Where("su.owner_org = ?", f.OwnerOrg)
	}
	if f.UserType != "" {
		inner.Where("su.user_type = ?", f.UserType)
	}
	if hasAfter {
		inner.Where("(su.created_at, su.id) > (?, ?)", afterT, afterID)
	}
	return idb.NewSelect().TableExpr("systems AS s").ColumnExpr("t.*").
		Join("CROSS JOIN LATERAL (?) AS t", inner).
		Where("s.vendor_org = ?", vendor).
		OrderExpr("t.created_at, t.id").Limit(int64(limit + 1))
}
