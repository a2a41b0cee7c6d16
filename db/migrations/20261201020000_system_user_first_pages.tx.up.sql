-- The first page of several systems' live system users, for a caller who sees
-- whole systems (registry.wholeSystemsScope): vendor is that vendor's
-- organisation number, or NULL for an administrator. One row per system the
-- caller sees that has no live system user (the system user's columns NULL),
-- else one per system user of the page; page_rows is the page size plus one,
-- so the caller can tell whether more follow.
--
-- Why a function (issue 14): this is the statement under every list of
-- systems with their system users, and Postgres spent twice as long planning
-- it as running it. A PL/pgSQL function keeps its statement's plan for the
-- session, and the generic plan is forced because Postgres would otherwise
-- keep planning afresh: with the array's length known, each fresh plan looks
-- cheaper than the generic one, though both are the same index scans.
--
-- The columns are registry.systemUserColumns' (system_users, with the
-- vendor's organisation number), after the system's id.
CREATE FUNCTION system_user_first_pages(system_ids text[], vendor text, page_rows int)
RETURNS TABLE (page_system_id text, id uuid, integration_title text, system_id text, owner_org text,
               external_ref text, user_type text, created_at timestamptz, deleted_at timestamptz, vendor_org text)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT s.id, su.id, su.integration_title, su.system_id, su.owner_org, su.external_ref, su.user_type,
         su.created_at, su.deleted_at, s.vendor_org
  FROM systems s
  LEFT JOIN LATERAL (
    SELECT * FROM system_users u
    WHERE u.system_id = s.id AND u.deleted_at IS NULL
    ORDER BY u.created_at, u.id
    LIMIT page_rows
  ) su ON true
  WHERE s.id = ANY (system_ids) AND (vendor IS NULL OR s.vendor_org = vendor);
END
$$;
