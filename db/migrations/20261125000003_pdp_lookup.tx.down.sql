DROP FUNCTION pdp_subjects(uuid[]);
CREATE INDEX decisions_system_user_newest ON decisions (system_user_id, decided_at DESC, id DESC);
