DROP TRIGGER persons_party_uuid ON persons;
DROP TRIGGER organizations_party_uuid ON organizations;
DROP FUNCTION fill_party_uuid();
ALTER TABLE persons DROP COLUMN party_uuid;
ALTER TABLE organizations DROP COLUMN party_uuid;
DROP FUNCTION party_uuid_v3(text);
