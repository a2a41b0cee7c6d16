ALTER TABLE decisions RENAME TO decisions_partitioned;
ALTER INDEX decisions_party_newest RENAME TO decisions_partitioned_party_newest;
ALTER INDEX decisions_caller_newest RENAME TO decisions_partitioned_caller_newest;
CREATE TABLE decisions (
  id             uuid PRIMARY KEY,
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
  latency_us     bigint NOT NULL CHECK (latency_us >= 0)
);
CREATE INDEX decisions_party_newest ON decisions (party_org, decided_at DESC, id DESC);
CREATE INDEX decisions_caller_newest ON decisions (caller_org, decided_at DESC, id DESC);
INSERT INTO decisions SELECT * FROM decisions_partitioned;
DROP TABLE decisions_partitioned;
DROP FUNCTION decisions_ensure_partitions(date, date);
CREATE TRIGGER decisions_no_update BEFORE UPDATE OR DELETE ON decisions
  FOR EACH ROW EXECUTE FUNCTION decisions_append_only();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
  FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only();
