DROP TABLE simulator_used_grants;
