-- person_pivots 1.1 -> 1.2: the test-only boundary probe leaves the shipped
-- library, and the API functions change through the installer that every
-- later version uses for that (person_pivots_internal.install_api): ROWS 1,
-- no EXECUTE for PUBLIC, purge_person's comment. Every
-- name is schema-qualified; the functions pin their search_path.

\echo Use "ALTER EXTENSION person_pivots UPDATE TO '1.2'" to load this file. \quit

-- Databases installed by a build before 1.2 have this test-only member;
-- its C symbol is gone from person_pivots.so (it lives in the test module
-- that make test builds). Fresh installs never create it.
DROP FUNCTION IF EXISTS person_pivots_internal.boundary_probe(text);

-- The API functions (schema person_pivots) are not extension members, so
-- an upgrade script cannot CREATE OR REPLACE them itself (PostgreSQL
-- refuses to replace, inside an extension script, an object the extension
-- does not own). This installer runs the statements it is given on their
-- behalf: it replaces them in place (oid, owner, grants, comments and
-- dependents kept) and leaves every API function a non-member, as
-- CREATE EXTENSION does. CONTRIBUTING.md, "Changing an API function".
CREATE FUNCTION person_pivots_internal.install_api(declarations text) RETURNS void
  LANGUAGE C STRICT AS 'MODULE_PATHNAME', 'install_api';
COMMENT ON FUNCTION person_pivots_internal.install_api(text) IS
  'Runs API declarations (CREATE OR REPLACE FUNCTION, COMMENT ON, ...) for schema person_pivots, keeping its functions non-members with their grants; runs only inside CREATE EXTENSION or ALTER EXTENSION UPDATE';
REVOKE ALL ON FUNCTION person_pivots_internal.install_api(text) FROM PUBLIC;

-- 1.2: PUBLIC loses EXECUTE on the API functions (below), so taking back
-- EXECUTE from a role now takes it back for good.
COMMENT ON FUNCTION person_pivots_internal.revoke_application_role(regrole) IS
  'Takes back what grant_application_role gave for the pivots: the role''s privileges on the pivot tables and their sequences and EXECUTE on the API functions (PUBLIC has none, so the role can no longer call them); host table privileges stay: the application owns them';

-- 1.2: the functions that return at most one row say so (ROWS 1 instead
-- of the default 1000), so that the planner costs a Hasura query that
-- calls them, or the primary_location computed field over a page of
-- people, as one row each. Everything else in the declarations is as 1.0
-- made it.
SELECT person_pivots_internal.install_api($api$

CREATE OR REPLACE FUNCTION person_pivots.link_person_media(person_id uuid, media_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_media
  LANGUAGE C VOLATILE ROWS 1 SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'link_person_media';

CREATE OR REPLACE FUNCTION person_pivots.unlink_person_media(person_id uuid, media_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_media
  LANGUAGE C VOLATILE ROWS 1 SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'unlink_person_media';

CREATE OR REPLACE FUNCTION person_pivots.link_person_location(person_id uuid, location_id uuid, label text,
    is_primary boolean DEFAULT false, is_legal boolean DEFAULT false, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_locations
  LANGUAGE C VOLATILE ROWS 1 SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'link_person_location';

CREATE OR REPLACE FUNCTION person_pivots.unlink_person_location(person_id uuid, location_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_locations
  LANGUAGE C VOLATILE ROWS 1 SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'unlink_person_location';

CREATE OR REPLACE FUNCTION person_pivots.set_primary_location(person_id uuid, location_id uuid, hasura_session json DEFAULT NULL)
  RETURNS SETOF core_api.person_locations
  LANGUAGE C VOLATILE ROWS 1 SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'set_primary_location';

CREATE OR REPLACE FUNCTION person_pivots.primary_location(person {people})
  RETURNS SETOF core_api.person_locations
  LANGUAGE C STABLE ROWS 1 SET search_path = pg_catalog, pg_temp
  AS '$libdir/person_pivots', 'primary_location';

-- 1.2: EXECUTE on the API functions is no longer PUBLIC's. An application
-- role gets it from grant_application_role (explicitly, as since 1.1), and
-- revoke_application_role takes it back for good. Grants to roles stay.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA person_pivots FROM PUBLIC;

-- 1.2: purge_person is for erasure roles and maintenance roles, never for
-- application roles (it refuses them even when granted EXECUTE).
COMMENT ON FUNCTION person_pivots.purge_person(uuid) IS
  'Erasure request: physically removes every pivot row of the person, logs it, returns how many rows went. EXECUTE only for the roles the DBA grants it to; refused to application roles (roles that write the pivot tables without owning them)';

-- A database of 1.0, or one whose application roles never ran
-- grant_application_role, has roles that call the API functions through
-- PUBLIC: each role that writes a pivot table (INSERT or UPDATE granted,
-- not its owner) keeps calling them, explicitly now, so an update under
-- live traffic fails no call (USAGE on the schema stays PUBLIC's).
-- purge_person stays the DBA's to grant. Inside install_api, so that the
-- grants stay ordinary grants that pg_dump writes, not initial privileges
-- of the extension.
DO $grant$
DECLARE
  writer record;
BEGIN
  FOR writer IN
    SELECT DISTINCT a.grantee::pg_catalog.regrole AS role
      FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
     WHERE c.oid OPERATOR(pg_catalog.=) ANY (ARRAY[pg_catalog.to_regclass('core_api.person_media'),
                                                   pg_catalog.to_regclass('core_api.person_locations')]::pg_catalog.oid[])
       AND a.privilege_type OPERATOR(pg_catalog.=) ANY (ARRAY['INSERT', 'UPDATE'])
       AND a.grantee OPERATOR(pg_catalog.<>) 0::pg_catalog.oid
       AND a.grantee OPERATOR(pg_catalog.<>) c.relowner
  LOOP
    EXECUTE pg_catalog.format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA person_pivots TO %s', writer.role);
    EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION person_pivots.purge_person(pg_catalog.uuid) FROM %s',
                              writer.role);
  END LOOP;
END
$grant$;

$api$);

