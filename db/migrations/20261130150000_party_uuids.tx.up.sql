-- Altinn's Register gives every party (organisation or person) a UUID, and
-- its end-user routes and client delegation take it. Ours are name-based
-- (RFC 9562 version 3, MD5) so the same party has the same UUID in every
-- installation and a test script can hard-code it:
--   organisation: UUIDv3(3fdb8cbf-25c4-4879-8f1b-44db75107fa5, "organization:" || org_number)
--   person:       UUIDv3(3fdb8cbf-25c4-4879-8f1b-44db75107fa5, "person:" || pid)
-- An insert may still bring its own UUID (a world file copying real ones).

CREATE FUNCTION party_uuid_v3(name text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT encode(set_byte(set_byte(h, 6, (get_byte(h, 6) & 15) | 48), 8, (get_byte(h, 8) & 63) | 128), 'hex')::uuid
  FROM (SELECT decode(md5(decode('3fdb8cbf25c448798f1b44db75107fa5', 'hex') || convert_to(name, 'UTF8')), 'hex') AS h) s
$$;

ALTER TABLE organizations ADD COLUMN party_uuid uuid;
UPDATE organizations SET party_uuid = party_uuid_v3('organization:' || org_number);
ALTER TABLE organizations ALTER COLUMN party_uuid SET NOT NULL;
ALTER TABLE organizations ADD CONSTRAINT organizations_party_uuid_key UNIQUE (party_uuid);

ALTER TABLE persons ADD COLUMN party_uuid uuid;
UPDATE persons SET party_uuid = party_uuid_v3('person:' || pid);
ALTER TABLE persons ALTER COLUMN party_uuid SET NOT NULL;
ALTER TABLE persons ADD CONSTRAINT persons_party_uuid_key UNIQUE (party_uuid);

-- A column default cannot read other columns; a trigger fills the UUID of
-- a row inserted without one.
CREATE FUNCTION fill_party_uuid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.party_uuid IS NULL THEN
    IF TG_TABLE_NAME = 'organizations' THEN
      NEW.party_uuid := party_uuid_v3('organization:' || NEW.org_number);
    ELSE
      NEW.party_uuid := party_uuid_v3('person:' || NEW.pid);
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER organizations_party_uuid BEFORE INSERT ON organizations
  FOR EACH ROW EXECUTE FUNCTION fill_party_uuid();
CREATE TRIGGER persons_party_uuid BEFORE INSERT ON persons
  FOR EACH ROW EXECUTE FUNCTION fill_party_uuid();
