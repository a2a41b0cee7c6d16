-- Live system users per system, kept by trigger. A vendor's totalCount sums
-- its systems' rows instead of counting every one of its system users
-- (issue 14: at 1 M system users one vendor holds 10 000, and the count grew
-- with them while every other path stayed flat).
CREATE TABLE system_user_counts (
  system_id text PRIMARY KEY REFERENCES systems ON DELETE CASCADE,
  live      bigint NOT NULL DEFAULT 0
);

INSERT INTO system_user_counts (system_id, live)
SELECT system_id, count(*) FROM system_users WHERE deleted_at IS NULL GROUP BY system_id;

-- A row leaving the live set (deleted, or moved) counts down where it was; a
-- row entering it counts up where it is. A system row cannot go while system
-- users name it (their foreign key), so the counts row is there to update.
CREATE FUNCTION system_user_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
    UPDATE system_user_counts SET live = live - 1 WHERE system_id = OLD.system_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
    INSERT INTO system_user_counts (system_id, live) VALUES (NEW.system_id, 1)
    ON CONFLICT (system_id) DO UPDATE SET live = system_user_counts.live + 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER system_user_counts_track
  AFTER INSERT OR DELETE OR UPDATE OF system_id, deleted_at ON system_users
  FOR EACH ROW EXECUTE FUNCTION system_user_counts_track();
