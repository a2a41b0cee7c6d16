-- The decision log grows without bound, so it is partitioned by day
-- (decided_at, UTC) and retention drops whole days: DROP of a partition
-- removes no rows one by one, so the append-only triggers stay in force for
-- every client, and only the maintenance routine (db.MaintainDecisions)
-- shortens the log. A DEFAULT partition catches a decision outside the days
-- created ahead, so a write never fails for want of a partition; retention
-- never drops it.
ALTER TABLE decisions RENAME TO decisions_unpartitioned;
ALTER INDEX decisions_party_newest RENAME TO decisions_unpartitioned_party_newest;
ALTER INDEX decisions_caller_newest RENAME TO decisions_unpartitioned_caller_newest;
ALTER TABLE decisions_unpartitioned RENAME CONSTRAINT decisions_pkey TO decisions_unpartitioned_pkey;

CREATE TABLE decisions (
  id             uuid NOT NULL,
  decided_at     timestamptz NOT NULL,
  caller_org     text,
  system_user_id uuid,
  system_id      text,
  owner_org      text,
  action         text NOT NULL,
  resource_id    text NOT NULL,
  party_org      text,
  result         text NOT NULL CHECK (result IN ('Permit', 'Deny', 'NotApplicable', 'Indeterminate')),
  reason_code    text NOT NULL,
  reason         text NOT NULL,
  permitted_by   text,
  latency_us     bigint NOT NULL CHECK (latency_us >= 0),
  -- A unique index on a partitioned table must contain the partition key.
  PRIMARY KEY (id, decided_at)
) PARTITION BY RANGE (decided_at);
CREATE INDEX decisions_party_newest ON decisions (party_org, decided_at DESC, id DESC);
CREATE INDEX decisions_caller_newest ON decisions (caller_org, decided_at DESC, id DESC);
CREATE TABLE decisions_default PARTITION OF decisions DEFAULT;

-- Row triggers on a partitioned table are cloned onto every partition.
CREATE TRIGGER decisions_no_update BEFORE UPDATE OR DELETE ON decisions
  FOR EACH ROW EXECUTE FUNCTION decisions_append_only();
-- TRUNCATE triggers are not cloned: each partition gets its own (below and
-- in decisions_ensure_partitions), so naming a partition does not bypass it.
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
  FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions_default
  FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only();

-- decisions_ensure_partitions creates the daily partitions covering
-- [from_day, to_day] (UTC days) that do not exist yet and returns how many
-- it created. Partition decisions_pYYYYMMDD holds that UTC day.
CREATE FUNCTION decisions_ensure_partitions(from_day date, to_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  d date := from_day;
  name text;
  created integer := 0;
BEGIN
  WHILE d <= to_day LOOP
    name := 'decisions_p' || to_char(d, 'YYYYMMDD');
    IF to_regclass(name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF decisions FOR VALUES FROM (%L) TO (%L)',
        name, (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
      EXECUTE format('CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON %I
        FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only()', name);
      created := created + 1;
    END IF;
    d := d + 1;
  END LOOP;
  RETURN created;
END $$;

-- The current window, and every day that already has decisions, exist
-- before the rows move in, so none lands in the default partition.
SELECT decisions_ensure_partitions(
  LEAST((SELECT min(decided_at) FROM decisions_unpartitioned) AT TIME ZONE 'UTC',
        now() AT TIME ZONE 'UTC')::date,
  ((now() AT TIME ZONE 'UTC') + interval '7 days')::date);
SELECT decisions_ensure_partitions(
  (now() AT TIME ZONE 'UTC')::date,
  GREATEST((SELECT max(decided_at) FROM decisions_unpartitioned) AT TIME ZONE 'UTC',
           now() AT TIME ZONE 'UTC')::date);

INSERT INTO decisions SELECT id, decided_at, caller_org, system_user_id, system_id, owner_org, action,
  resource_id, party_org, result, reason_code, reason, permitted_by, latency_us FROM decisions_unpartitioned;
-- The old table's triggers forbid TRUNCATE and DELETE, not DROP.
DROP TABLE decisions_unpartitioned;
