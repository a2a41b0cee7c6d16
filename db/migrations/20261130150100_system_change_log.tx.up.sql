-- Altinn's SystemChangeLog (ALTINN-REFERENCE §1.2): one row per System
-- Register mutation, written in the same transaction as the change.
-- changed_data is what the change set: the whole system for create and
-- update, the rights or access packages for their updates, null for delete.
CREATE TABLE system_change_log (
  id                 bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY, -- orders entries of one instant
  system_internal_id uuid NOT NULL REFERENCES systems (internal_id),
  changed_by_org     text,
  change_type        text NOT NULL CHECK (change_type IN
                       ('create', 'update', 'rightsupdate', 'accesspackageupdate', 'delete', 'unknown')),
  changed_data       jsonb NOT NULL,
  client_id          text,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX system_change_log_system ON system_change_log (system_internal_id, created_at DESC, id DESC);

-- A log that can be rewritten is no log.
CREATE FUNCTION system_change_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'system_change_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER system_change_log_no_update BEFORE UPDATE OR DELETE ON system_change_log
  FOR EACH ROW EXECUTE FUNCTION system_change_log_append_only();
