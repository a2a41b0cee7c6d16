-- system_user_first_pages with a system user in one text column (issue 14).
-- The driver makes two allocations of every value it reads, and a nested
-- read reads 22 rows of six: a tenth of its allocations. Packed, a row's
-- id, creation time, owner, title, reference and type are one value, and
-- the gateway cuts them out of it without copying (registry.unpackSystemUser).
--
-- The packing: the id (36 characters), then the owner, the title, the
-- reference and the user type, each as its length in bytes, ':' and its
-- bytes, then the creation time (as text, as the column would be sent),
-- which runs to the end: last, so it is written once. Lengths, not separators: a title may hold
-- any character text can. registry.packedSystemUserSQL is the same
-- expression, for the statement of a caller who sees part of a system (a
-- person).
--
-- The rest is 20261201040000's function: see there and in 20261201020000.
DROP FUNCTION system_user_first_pages(text[], text, int);

CREATE FUNCTION system_user_first_pages(system_ids text[], vendor text, page_rows int)
RETURNS TABLE (page_system int, packed text, vendor_org text)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT array_position(system_ids, s.id),
         su.id::text || octet_length(su.owner_org) || ':' || su.owner_org
           || octet_length(su.integration_title) || ':' || su.integration_title
           || octet_length(su.external_ref) || ':' || su.external_ref
           || octet_length(su.user_type) || ':' || su.user_type || su.created_at,
         CASE WHEN vendor IS NULL THEN s.vendor_org END
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
