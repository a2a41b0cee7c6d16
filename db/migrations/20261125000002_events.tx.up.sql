-- Every state change announces itself on one channel, from the database
-- itself, so no code path can forget to: decision caches on every gateway
-- instance and GraphQL subscriptions listen here. NOTIFY is delivered at
-- commit, so listeners never see a change that was rolled back.

CREATE FUNCTION systemuser_notify(kind text, id text, org text, status text) RETURNS void
LANGUAGE sql AS $$
  SELECT pg_notify('systemuser_events', json_strip_nulls(json_build_object(
    'kind', kind, 'id', id, 'org', org, 'status', status))::text)
$$;

CREATE FUNCTION notify_request() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  PERFORM systemuser_notify('request', r.id::text, r.party_org, r.status);
  RETURN NULL;
END $$;
CREATE TRIGGER requests_notify AFTER INSERT OR UPDATE OR DELETE ON requests
  FOR EACH ROW EXECUTE FUNCTION notify_request();

CREATE FUNCTION notify_change_request() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  PERFORM systemuser_notify('change_request', r.id::text,
    (SELECT owner_org FROM system_users WHERE id = r.system_user_id), r.status);
  RETURN NULL;
END $$;
CREATE TRIGGER change_requests_notify AFTER INSERT OR UPDATE OR DELETE ON change_requests
  FOR EACH ROW EXECUTE FUNCTION notify_change_request();

CREATE FUNCTION notify_system_user() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  PERFORM systemuser_notify('system_user', r.id::text, r.owner_org,
    CASE WHEN r.deleted_at IS NULL THEN 'active' ELSE 'deleted' END);
  RETURN NULL;
END $$;
CREATE TRIGGER system_users_notify AFTER INSERT OR UPDATE OR DELETE ON system_users
  FOR EACH ROW EXECUTE FUNCTION notify_system_user();

-- Grants and clients of a system user change what it may do.
CREATE FUNCTION notify_system_user_child() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  PERFORM systemuser_notify('system_user', r.system_user_id::text,
    (SELECT owner_org FROM system_users WHERE id = r.system_user_id), 'changed');
  RETURN NULL;
END $$;
CREATE TRIGGER system_user_rights_notify AFTER INSERT OR UPDATE OR DELETE ON system_user_rights
  FOR EACH ROW EXECUTE FUNCTION notify_system_user_child();
CREATE TRIGGER system_user_access_packages_notify AFTER INSERT OR UPDATE OR DELETE ON system_user_access_packages
  FOR EACH ROW EXECUTE FUNCTION notify_system_user_child();
CREATE TRIGGER client_delegations_notify AFTER INSERT OR UPDATE OR DELETE ON client_delegations
  FOR EACH ROW EXECUTE FUNCTION notify_system_user_child();

CREATE FUNCTION notify_system() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  IF TG_TABLE_NAME = 'systems' THEN
    PERFORM systemuser_notify('system', r.id, r.vendor_org, NULL);
  ELSE
    PERFORM systemuser_notify('system', r.system_id, NULL, NULL);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER systems_notify AFTER INSERT OR UPDATE OR DELETE ON systems
  FOR EACH ROW EXECUTE FUNCTION notify_system();
CREATE TRIGGER system_rights_notify AFTER INSERT OR UPDATE OR DELETE ON system_rights
  FOR EACH ROW EXECUTE FUNCTION notify_system();
CREATE TRIGGER system_access_packages_notify AFTER INSERT OR UPDATE OR DELETE ON system_access_packages
  FOR EACH ROW EXECUTE FUNCTION notify_system();
CREATE TRIGGER system_clients_notify AFTER INSERT OR UPDATE OR DELETE ON system_clients
  FOR EACH ROW EXECUTE FUNCTION notify_system();

-- Resource and package contents are rare changes that affect many decisions:
-- listeners drop everything they cached.
CREATE FUNCTION notify_catalog() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM systemuser_notify('catalog', TG_TABLE_NAME, NULL, NULL);
  RETURN NULL;
END $$;
CREATE TRIGGER resources_notify AFTER INSERT OR UPDATE OR DELETE ON resources
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog();
CREATE TRIGGER resource_actions_notify AFTER INSERT OR UPDATE OR DELETE ON resource_actions
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog();
CREATE TRIGGER access_packages_notify AFTER INSERT OR UPDATE OR DELETE ON access_packages
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog();
CREATE TRIGGER access_package_resources_notify AFTER INSERT OR UPDATE OR DELETE ON access_package_resources
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog();
CREATE TRIGGER client_relationships_notify AFTER INSERT OR UPDATE OR DELETE ON client_relationships
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog();
