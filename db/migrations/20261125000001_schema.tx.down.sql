DROP TABLE IF EXISTS maskinporten_client_keys, maskinporten_clients, decisions, client_delegations,
  client_relationships, change_request_access_packages, change_request_rights, change_requests,
  request_access_packages, request_rights, requests, system_user_access_packages, system_user_rights,
  system_users, system_redirect_urls, system_clients, system_access_packages, system_rights, systems,
  access_package_resources, access_packages, resource_actions, resources, person_roles, persons,
  organizations CASCADE;
DROP FUNCTION IF EXISTS decisions_append_only();
DROP FUNCTION IF EXISTS org_number_valid(text);
