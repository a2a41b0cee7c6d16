-- The whole System User domain (DESIGN.md §2). Rules that can live in the
-- schema live here too, so that no code path (or manual SQL) can break them.

CREATE FUNCTION org_number_valid(n text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  -- Norwegian organisation numbers: 9 digits, the last one a mod-11 check
  -- digit with weights 3 2 7 6 5 4 3 2; a remainder of 1 is never issued.
  SELECT CASE
    WHEN n !~ '^[0-9]{9}$' THEN false
    ELSE (
      WITH s AS (
        SELECT (3 * substr(n, 1, 1)::int + 2 * substr(n, 2, 1)::int + 7 * substr(n, 3, 1)::int
              + 6 * substr(n, 4, 1)::int + 5 * substr(n, 5, 1)::int + 4 * substr(n, 6, 1)::int
              + 3 * substr(n, 7, 1)::int + 2 * substr(n, 8, 1)::int) % 11 AS r
      )
      SELECT CASE WHEN r = 0 THEN substr(n, 9, 1)::int = 0
                  WHEN r = 1 THEN false
                  ELSE substr(n, 9, 1)::int = 11 - r END
      FROM s)
  END
$$;

CREATE TABLE organizations (
  org_number text PRIMARY KEY CHECK (org_number_valid(org_number)),
  name       text NOT NULL CHECK (name <> ''),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE persons (
  pid        text PRIMARY KEY CHECK (pid ~ '^[0-9]{11}$'),
  name       text NOT NULL CHECK (name <> ''),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- DAGL (managing director) and ADMAI (access manager) administer the
-- organisation's system users; KLADM administers its clients.
CREATE TABLE person_roles (
  pid        text NOT NULL REFERENCES persons ON DELETE CASCADE,
  org_number text NOT NULL REFERENCES organizations ON DELETE CASCADE,
  role       text NOT NULL CHECK (role IN ('DAGL', 'LEDE', 'ADMAI', 'KLADM', 'REGNA')),
  PRIMARY KEY (pid, org_number, role)
);
CREATE INDEX person_roles_org ON person_roles (org_number);

CREATE TABLE resources (
  id             text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{1,99}$'),
  owner_org      text NOT NULL REFERENCES organizations,
  title_nb       text NOT NULL CHECK (title_nb <> ''),
  title_nn       text NOT NULL CHECK (title_nn <> ''),
  title_en       text NOT NULL CHECK (title_en <> ''),
  resource_type  text NOT NULL DEFAULT 'GenericAccessResource' CHECK (resource_type IN (
                   'AltinnApp', 'Systemresource', 'Default', 'CorrespondenceService',
                   'BrokerService', 'GenericAccessResource', 'MigratedApp', 'MaskinportenSchema')),
  required_scope text CHECK (required_scope <> ''),
  delegable      boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX resources_owner ON resources (owner_org);

CREATE TABLE resource_actions (
  resource_id text NOT NULL REFERENCES resources ON DELETE CASCADE,
  action      text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_-]{0,49}$'),
  PRIMARY KEY (resource_id, action)
);

-- assignable: may be given to a standard system user; delegable: may be
-- passed on through a client relationship (agent system users).
CREATE TABLE access_packages (
  urn         text PRIMARY KEY CHECK (urn ~ '^urn:altinn:accesspackage:[a-z0-9][a-z0-9-]*$'),
  name        text NOT NULL CHECK (name <> ''),
  description text NOT NULL DEFAULT '',
  assignable  boolean NOT NULL DEFAULT true,
  delegable   boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- A package grants every action of the resources it contains.
CREATE TABLE access_package_resources (
  package_urn text NOT NULL REFERENCES access_packages ON DELETE CASCADE,
  resource_id text NOT NULL REFERENCES resources ON DELETE CASCADE,
  PRIMARY KEY (package_urn, resource_id)
);
CREATE INDEX access_package_resources_resource ON access_package_resources (resource_id);

CREATE TABLE systems (
  id             text PRIMARY KEY CHECK (id !~ '\s' AND length(id) <= 255),
  internal_id    uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  vendor_org     text NOT NULL REFERENCES organizations,
  name_nb        text NOT NULL CHECK (name_nb <> ''),
  name_nn        text NOT NULL CHECK (name_nn <> ''),
  name_en        text NOT NULL CHECK (name_en <> ''),
  description_nb text NOT NULL DEFAULT '',
  description_nn text NOT NULL DEFAULT '',
  description_en text NOT NULL DEFAULT '',
  is_visible     boolean NOT NULL DEFAULT true,
  is_deleted     boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  -- Altinn: the id is "{vendorOrgNo}_{name}"; ids stay reserved after deletion.
  CHECK (starts_with(id, vendor_org || '_') AND length(id) > length(vendor_org) + 1)
);
CREATE INDEX systems_vendor ON systems (vendor_org);

-- A right is a resource and one of its actions; a NULL action means every
-- action of the resource (Altinn rights often name the resource only).
CREATE TABLE system_rights (
  system_id   text NOT NULL REFERENCES systems ON DELETE CASCADE,
  resource_id text NOT NULL REFERENCES resources,
  action      text,
  FOREIGN KEY (resource_id, action) REFERENCES resource_actions (resource_id, action),
  UNIQUE NULLS NOT DISTINCT (system_id, resource_id, action)
);

CREATE TABLE system_access_packages (
  system_id   text NOT NULL REFERENCES systems ON DELETE CASCADE,
  package_urn text NOT NULL REFERENCES access_packages,
  PRIMARY KEY (system_id, package_urn)
);

-- A Maskinporten client id belongs to at most one system (Altinn VLD-00004);
-- deleting a system releases its client ids, as Altinn does.
CREATE TABLE system_clients (
  client_id text PRIMARY KEY CHECK (client_id <> '' AND length(client_id) <= 255),
  system_id text NOT NULL REFERENCES systems ON DELETE CASCADE
);
CREATE INDEX system_clients_system ON system_clients (system_id);

CREATE TABLE system_redirect_urls (
  system_id text NOT NULL REFERENCES systems ON DELETE CASCADE,
  url       text NOT NULL CHECK (url ~ '^https?://[^\s]+$'),
  PRIMARY KEY (system_id, url)
);

CREATE TABLE system_users (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  integration_title text NOT NULL CHECK (length(integration_title) BETWEEN 1 AND 255),
  system_id         text NOT NULL REFERENCES systems,
  owner_org         text NOT NULL REFERENCES organizations,
  external_ref      text NOT NULL CHECK (length(external_ref) BETWEEN 1 AND 255),
  user_type         text NOT NULL DEFAULT 'standard' CHECK (user_type IN ('standard', 'agent')),
  created_by        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  deleted_at        timestamptz,
  deleted_by        text
);
-- Altinn checks this key only in code (check-then-insert); here the database
-- makes a duplicate impossible.
CREATE UNIQUE INDEX system_users_active_key ON system_users (system_id, owner_org, external_ref)
  WHERE deleted_at IS NULL;
CREATE INDEX system_users_owner ON system_users (owner_org, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX system_users_system ON system_users (system_id, created_at, id);

CREATE TABLE system_user_rights (
  system_user_id uuid NOT NULL REFERENCES system_users ON DELETE CASCADE,
  resource_id    text NOT NULL REFERENCES resources,
  action         text,
  FOREIGN KEY (resource_id, action) REFERENCES resource_actions (resource_id, action),
  UNIQUE NULLS NOT DISTINCT (system_user_id, resource_id, action)
);

CREATE TABLE system_user_access_packages (
  system_user_id uuid NOT NULL REFERENCES system_users ON DELETE CASCADE,
  package_urn    text NOT NULL REFERENCES access_packages,
  PRIMARY KEY (system_user_id, package_urn)
);

CREATE TABLE requests (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  request_type      text NOT NULL CHECK (request_type IN ('standard', 'agent')),
  system_id         text NOT NULL REFERENCES systems,
  party_org         text NOT NULL REFERENCES organizations,
  external_ref      text NOT NULL CHECK (length(external_ref) BETWEEN 1 AND 255),
  integration_title text NOT NULL CHECK (length(integration_title) BETWEEN 1 AND 255),
  status            text NOT NULL DEFAULT 'New' CHECK (status IN ('New', 'Accepted', 'Rejected', 'Denied')),
  redirect_url      text CHECK (redirect_url ~ '^https?://'),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  decided_at        timestamptz,
  decided_by        text REFERENCES persons,
  deleted_at        timestamptz,
  CHECK ((status = 'New') = (decided_at IS NULL))
);
-- A repeated create for the same key returns the existing request.
CREATE UNIQUE INDEX requests_active_key ON requests (system_id, party_org, external_ref, request_type)
  WHERE deleted_at IS NULL;
CREATE INDEX requests_system ON requests (system_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX requests_party ON requests (party_org, created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE request_rights (
  request_id  uuid NOT NULL REFERENCES requests ON DELETE CASCADE,
  resource_id text NOT NULL REFERENCES resources,
  action      text,
  FOREIGN KEY (resource_id, action) REFERENCES resource_actions (resource_id, action),
  UNIQUE NULLS NOT DISTINCT (request_id, resource_id, action)
);

CREATE TABLE request_access_packages (
  request_id  uuid NOT NULL REFERENCES requests ON DELETE CASCADE,
  package_urn text NOT NULL REFERENCES access_packages,
  PRIMARY KEY (request_id, package_urn)
);

-- The id is the vendor's correlation id (Altinn).
CREATE TABLE change_requests (
  id             uuid PRIMARY KEY,
  system_user_id uuid NOT NULL REFERENCES system_users,
  status         text NOT NULL DEFAULT 'New' CHECK (status IN ('New', 'Accepted', 'Rejected', 'Denied')),
  redirect_url   text CHECK (redirect_url ~ '^https?://'),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  decided_at     timestamptz,
  decided_by     text REFERENCES persons,
  deleted_at     timestamptz,
  CHECK (id <> system_user_id),
  CHECK ((status = 'New') = (decided_at IS NULL))
);
CREATE INDEX change_requests_system_user ON change_requests (system_user_id, created_at, id);

-- wanted = true: required (to add); false: unwanted (to remove).
CREATE TABLE change_request_rights (
  change_request_id uuid NOT NULL REFERENCES change_requests ON DELETE CASCADE,
  resource_id       text NOT NULL REFERENCES resources,
  action            text,
  wanted            boolean NOT NULL,
  FOREIGN KEY (resource_id, action) REFERENCES resource_actions (resource_id, action),
  UNIQUE NULLS NOT DISTINCT (change_request_id, resource_id, action)
);

CREATE TABLE change_request_access_packages (
  change_request_id uuid NOT NULL REFERENCES change_requests ON DELETE CASCADE,
  package_urn       text NOT NULL REFERENCES access_packages,
  wanted            boolean NOT NULL,
  PRIMARY KEY (change_request_id, package_urn)
);

-- A client organisation has given a facilitator (its accountant, auditor or
-- business manager) access packages through a role.
CREATE TABLE client_relationships (
  client_org      text NOT NULL REFERENCES organizations,
  facilitator_org text NOT NULL REFERENCES organizations,
  role            text NOT NULL CHECK (role IN ('REGN', 'REVI', 'FFOR')),
  package_urn     text NOT NULL REFERENCES access_packages,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_org, facilitator_org, package_urn),
  CHECK (client_org <> facilitator_org)
);
CREATE INDEX client_relationships_facilitator ON client_relationships (facilitator_org);

-- A client of an agent system user: the system user may act for client_org
-- with the packages it holds.
CREATE TABLE client_delegations (
  system_user_id uuid NOT NULL REFERENCES system_users ON DELETE CASCADE,
  client_org     text NOT NULL REFERENCES organizations,
  created_by     text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system_user_id, client_org)
);
CREATE INDEX client_delegations_client ON client_delegations (client_org);

-- Decisions are an audit log: no foreign keys (a decision about an unknown
-- system user is still logged) and no updates or deletes.
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
CREATE INDEX decisions_system_user_newest ON decisions (system_user_id, decided_at DESC, id DESC);

CREATE FUNCTION decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'decisions is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER decisions_no_update BEFORE UPDATE OR DELETE ON decisions
  FOR EACH ROW EXECUTE FUNCTION decisions_append_only();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
  FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only();

CREATE TABLE maskinporten_clients (
  client_id  text PRIMARY KEY CHECK (client_id ~ '^[A-Za-z0-9._:-]{1,200}$'),
  org_number text NOT NULL REFERENCES organizations,
  name       text NOT NULL DEFAULT '',
  scopes     text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);

CREATE TABLE maskinporten_client_keys (
  client_id  text NOT NULL REFERENCES maskinporten_clients ON DELETE CASCADE,
  kid        text NOT NULL CHECK (kid <> ''),
  public_jwk jsonb NOT NULL CHECK (public_jwk ? 'kty' AND NOT (public_jwk ?| ARRAY['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, kid)
);
