-- JWT-bearer grants the Maskinporten simulator has accepted, so each is used
-- once across every simulator instance on this database and across restarts.
-- grant_key is a SHA-256 of the client id and jti, or of the signed assertion
-- when it has no jti (simulator/replay.go). A row whose expires_at has passed
-- is dead: an insert may take its key over and a purge deletes it.
CREATE TABLE simulator_used_grants (
  grant_key  bytea PRIMARY KEY CHECK (length(grant_key) = 32),
  expires_at timestamptz NOT NULL
);
CREATE INDEX simulator_used_grants_expiry ON simulator_used_grants (expires_at);
