ALTER TABLE requests DROP COLUMN escalated;
