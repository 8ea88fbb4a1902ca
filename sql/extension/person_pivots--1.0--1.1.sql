-- person_pivots 1.0 -> 1.1: administration functions (the privileges of an
-- application role, the row-level security option) and the workspace scope
-- function its policies use. All in person_pivots_internal: schema
-- person_pivots holds only functions Hasura can track. Every name is
-- schema-qualified; the functions pin their search_path.

\echo Use "ALTER EXTENSION person_pivots UPDATE TO '1.1'" to load this file. \quit

-- Not SECURITY DEFINER: GRANT needs the privileges of the tables' owner,
-- which is what the caller (superuser or owner) already has.
CREATE FUNCTION person_pivots_internal.grant_application_role(role regrole) RETURNS void
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'grant_application_role';
COMMENT ON FUNCTION person_pivots_internal.grant_application_role(regrole) IS
  'Gives an application role exactly what the pivots need: SELECT, INSERT, UPDATE, DELETE on the pivot tables and their sequences, the host columns the functions read, and EXECUTE on the API functions except purge_person';
REVOKE ALL ON FUNCTION person_pivots_internal.grant_application_role(regrole) FROM PUBLIC;

CREATE FUNCTION person_pivots_internal.revoke_application_role(role regrole) RETURNS void
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'revoke_application_role';
COMMENT ON FUNCTION person_pivots_internal.revoke_application_role(regrole) IS
  'Takes back what grant_application_role gave: the role''s privileges on the pivot tables, their sequences and the API functions (host table privileges stay: the application owns them)';
REVOKE ALL ON FUNCTION person_pivots_internal.revoke_application_role(regrole) FROM PUBLIC;

-- Not SECURITY DEFINER: CREATE POLICY and ALTER TABLE need the tables'
-- owner, which is what the caller must be.
CREATE FUNCTION person_pivots_internal.enable_row_security() RETURNS void
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'enable_row_security';
COMMENT ON FUNCTION person_pivots_internal.enable_row_security() IS
  'Row-level security option: a policy on both pivot tables lets a non-owner role see and write only rows whose person is in its workspace scope (hasura.user''s x-hasura-workspace-id); no scope, no rows. Idempotent';
REVOKE ALL ON FUNCTION person_pivots_internal.enable_row_security() FROM PUBLIC;

CREATE FUNCTION person_pivots_internal.disable_row_security() RETURNS void
  LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'disable_row_security';
COMMENT ON FUNCTION person_pivots_internal.disable_row_security() IS
  'Turns the row-level security option off: disables row security on both pivot tables and drops the policies. Idempotent';
REVOKE ALL ON FUNCTION person_pivots_internal.disable_row_security() FROM PUBLIC;

-- Used by the policies, so every role that reads the pivot tables runs it:
-- EXECUTE stays with PUBLIC. It reveals only the pk of the workspace the
-- caller's own setting names.
CREATE FUNCTION person_pivots_internal.scope_workspace_pk() RETURNS integer
  LANGUAGE C STABLE SET search_path = pg_catalog, pg_temp
  AS 'MODULE_PATHNAME', 'scope_workspace_pk';
COMMENT ON FUNCTION person_pivots_internal.scope_workspace_pk() IS
  'The pk of the workspace the session is scoped to (hasura.user''s x-hasura-workspace-id), or NULL when unscoped; an unknown workspace is error 22023';
