DROP FUNCTION system_user_first_pages(text[], text, int);
CREATE FUNCTION system_user_first_pages(system_ids text[], vendor text, page_rows int)
RETURNS TABLE (page_system int, id uuid, integration_title text, owner_org text,
               external_ref text, user_type text, created_at timestamptz, vendor_org text)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT array_position(system_ids, s.id), su.id, su.integration_title, su.owner_org, su.external_ref,
         su.user_type, su.created_at, CASE WHEN vendor IS NULL THEN s.vendor_org END
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
