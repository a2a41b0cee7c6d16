-- Altinn's escalate routes: a person related to the party who may not
-- approve hands the request to the party's access managers.
ALTER TABLE requests ADD COLUMN escalated boolean NOT NULL DEFAULT false;
