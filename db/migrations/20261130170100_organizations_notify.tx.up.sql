-- Organisations are part of the catalog gateways serve from memory
-- (registry.RunCatalogCache): their changes are announced like the rest.
CREATE TRIGGER organizations_notify AFTER INSERT OR UPDATE OR DELETE ON organizations
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog();
