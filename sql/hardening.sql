-- Hardening: the extension scripts, every function and every trigger are
-- safe under a hostile search_path; SECURITY DEFINER only where needed,
-- with a pinned search_path; PUBLIC gets nothing on the tables; the grant
-- function gives an application role (not an owner) exactly what it needs.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never
\set p1 '''11111111-0000-0000-0000-000000000001'''
\set p2 '''11111111-0000-0000-0000-000000000002'''
\set p3 '''11111111-0000-0000-0000-000000000003'''
\set p4 '''11111111-0000-0000-0000-000000000004'''
\set m1 '''22222222-0000-0000-0000-000000000001'''
\set m2 '''22222222-0000-0000-0000-000000000002'''
\set l1 '''33333333-0000-0000-0000-000000000001'''
\set l2 '''33333333-0000-0000-0000-000000000002'''
\set ws1 '''{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000001"}'''
\set hu1 '{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000001"}'

-- Start from the host schema alone.
SET client_min_messages = warning;
DROP EXTENSION person_pivots CASCADE;
DROP TABLE core_api.person_media, core_api.person_locations;
DROP SCHEMA IF EXISTS hostile CASCADE;
SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pp_hard_app') AS pp_had_role \gset
\if :pp_had_role
DROP OWNED BY pp_hard_app;
DROP ROLE pp_hard_app;
\endif
DROP ROLE IF EXISTS pp_nobody;
RESET client_min_messages;
CREATE ROLE pp_hard_app NOLOGIN;
CREATE ROLE pp_nobody NOLOGIN;

-- 1. A hostile schema, usable by everyone: look-alike tables (with a
-- sentinel row, and triggers refusing every write) and functions and
-- operators that raise when anything calls them.
CREATE SCHEMA hostile;
GRANT USAGE ON SCHEMA hostile TO PUBLIC;
CREATE FUNCTION hostile.trap() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'hostile table % written', TG_TABLE_NAME;
END $$;
CREATE TABLE hostile.person_media (pk integer, person_pk integer, media_pk integer, created_at timestamptz,
  updated_at timestamptz, deleted_at timestamptz);
CREATE TABLE hostile.person_locations (pk integer, person_pk integer, location_pk integer, is_primary boolean,
  is_legal boolean, label varchar(255), created_at timestamptz, deleted_at timestamptz);
CREATE TABLE hostile.people (pk integer, person_id uuid, workspace_pk integer, deleted_at timestamptz);
CREATE TABLE hostile.workspaces (pk integer, workspace_id uuid);
INSERT INTO hostile.person_media VALUES (999, 1, 1, '2000-01-01', NULL, NULL);
INSERT INTO hostile.person_locations VALUES (999, 1, 1, true, false, 'hostile', '2000-01-01', NULL);
INSERT INTO hostile.people VALUES (1, '11111111-0000-0000-0000-000000000001', 2, NULL);
INSERT INTO hostile.workspaces VALUES (1, 'aaaaaaaa-0000-0000-0000-000000000002');
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['person_media', 'person_locations', 'people', 'workspaces'] LOOP
    EXECUTE format('GRANT ALL ON hostile.%I TO PUBLIC', t);
    EXECUTE format('CREATE TRIGGER trap BEFORE INSERT OR UPDATE OR DELETE ON hostile.%I
                    FOR EACH ROW EXECUTE FUNCTION hostile.trap()', t);
    EXECUTE format('CREATE TRIGGER trap_truncate BEFORE TRUNCATE ON hostile.%I
                    FOR EACH STATEMENT EXECUTE FUNCTION hostile.trap()', t);
  END LOOP;
END $$;
CREATE FUNCTION hostile.now() RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile now() called'; END $$;
CREATE FUNCTION hostile.gen_random_uuid() RETURNS uuid LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile gen_random_uuid() called'; END $$;
CREATE FUNCTION hostile.current_setting(text, boolean) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile current_setting() called'; END $$;
CREATE FUNCTION hostile.json_extract_path_text(json, VARIADIC text[]) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile json_extract_path_text() called'; END $$;
CREATE FUNCTION hostile.pg_get_serial_sequence(text, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile pg_get_serial_sequence() called'; END $$;
CREATE FUNCTION hostile.format(text, VARIADIC text[]) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile format() called'; END $$;
CREATE FUNCTION hostile.uuid_eq(uuid, uuid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile uuid = called'; END $$;
CREATE FUNCTION hostile.uuid_ne(uuid, uuid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile uuid <> called'; END $$;
CREATE FUNCTION hostile.int4_eq(integer, integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile integer = called'; END $$;
CREATE FUNCTION hostile.int4_ne(integer, integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile integer <> called'; END $$;
CREATE FUNCTION hostile.oid_eq(oid, oid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile oid = called'; END $$;
CREATE FUNCTION hostile.name_eq(name, name) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile name = called'; END $$;
CREATE OPERATOR hostile.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = hostile.uuid_eq);
CREATE OPERATOR hostile.<> (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = hostile.uuid_ne);
CREATE OPERATOR hostile.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = hostile.int4_eq);
CREATE OPERATOR hostile.<> (LEFTARG = integer, RIGHTARG = integer, FUNCTION = hostile.int4_ne);
CREATE OPERATOR hostile.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = hostile.oid_eq);
CREATE OPERATOR hostile.= (LEFTARG = name, RIGHTARG = name, FUNCTION = hostile.name_eq);
-- the operators of the other types the statements compare, join or build:
-- text (labels are varchar, which uses text's operators; IS DISTINCT FROM
-- calls =), boolean, tid (ctid), and ||, > and + as the installer uses them
CREATE FUNCTION hostile.text_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile text = called'; END $$;
CREATE FUNCTION hostile.text_ne(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile text <> called'; END $$;
CREATE FUNCTION hostile.text_cat(text, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile text || called'; END $$;
CREATE FUNCTION hostile.bool_eq(boolean, boolean) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile boolean = called'; END $$;
CREATE FUNCTION hostile.bool_ne(boolean, boolean) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile boolean <> called'; END $$;
CREATE FUNCTION hostile.tid_eq(tid, tid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile tid = called'; END $$;
CREATE FUNCTION hostile.int84_gt(bigint, integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile bigint > integer called'; END $$;
CREATE FUNCTION hostile.int4_pl(integer, integer) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hostile integer + called'; END $$;
CREATE OPERATOR hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.text_eq);
CREATE OPERATOR hostile.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.text_ne);
CREATE OPERATOR hostile.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.text_cat);
CREATE OPERATOR hostile.= (LEFTARG = boolean, RIGHTARG = boolean, FUNCTION = hostile.bool_eq);
CREATE OPERATOR hostile.<> (LEFTARG = boolean, RIGHTARG = boolean, FUNCTION = hostile.bool_ne);
CREATE OPERATOR hostile.= (LEFTARG = tid, RIGHTARG = tid, FUNCTION = hostile.tid_eq);
CREATE OPERATOR hostile.> (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = hostile.int84_gt);
CREATE OPERATOR hostile.+ (LEFTARG = integer, RIGHTARG = integer, FUNCTION = hostile.int4_pl);

-- The hostile schema first, pg_catalog explicitly after it: unqualified
-- names now resolve to the look-alikes. The traps work:
SET search_path = hostile, pg_catalog, public;
SELECT now();
SELECT 1 = 1;
SELECT '11111111-0000-0000-0000-000000000001'::uuid = '11111111-0000-0000-0000-000000000001'::uuid;
SELECT 'a'::varchar(255) IS DISTINCT FROM 'b'::varchar(255);
SELECT 'a'::text || 'b';
SELECT true <> false;

-- 2. Every extension script (CREATE EXTENSION 1.0, then the upgrades to
-- the default version, whose API installer replaces API functions) under
-- the hostile path
CREATE EXTENSION person_pivots VERSION '1.0';
ALTER EXTENSION person_pivots UPDATE;
SELECT extversion FROM pg_extension WHERE extname OPERATOR(pg_catalog.=) 'person_pivots';
-- the pivots are core_api's, tied to the real host tables
SELECT conrelid::regclass, conname, confrelid::regclass FROM pg_constraint
  WHERE contype OPERATOR(pg_catalog.=) 'f'
    AND conrelid OPERATOR(pg_catalog.=) ANY (ARRAY['core_api.person_media'::regclass, 'core_api.person_locations'::regclass])
  ORDER BY 1, 2;

-- 3. SECURITY DEFINER only where needed, and then with a pinned
-- search_path; every API function pins it too
SELECT p.oid::regprocedure AS function, p.prosecdef AS security_definer, p.proconfig
FROM pg_proc p JOIN pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
WHERE n.nspname OPERATOR(pg_catalog.=) ANY (ARRAY['person_pivots', 'person_pivots_internal']::name[])
  AND (p.prosecdef OR p.proconfig IS NOT NULL)
ORDER BY p.oid::regprocedure::text;
SELECT p.oid::regprocedure AS unpinned
FROM pg_proc p JOIN pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
WHERE (n.nspname OPERATOR(pg_catalog.=) 'person_pivots' OR p.prosecdef)
  AND NOT coalesce('search_path=pg_catalog, pg_temp' OPERATOR(pg_catalog.=) ANY (p.proconfig), false);

-- 4. Privileges. PUBLIC gets nothing on the pivot tables or their
-- sequences, nor EXECUTE on purge_person or the administration functions
SELECT c.oid::regclass AS object,
       has_table_privilege('public', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS public_has_any
FROM pg_class c
WHERE c.relnamespace OPERATOR(pg_catalog.=) 'core_api'::regnamespace AND c.relname::text LIKE 'person\_%'
  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'S']::"char"[])
ORDER BY c.relname;
-- nor EXECUTE on any function of schema person_pivots (the API functions
-- included, from 1.2: grant_application_role gives it)
SELECT p.oid::regprocedure AS function, has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute
FROM pg_proc p
WHERE p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['purge_person', 'grant_application_role', 'revoke_application_role',
  'enable_row_security', 'disable_row_security', 'install_tables', 'install_api']::name[])
   OR p.pronamespace OPERATOR(pg_catalog.=) 'person_pivots'::regnamespace
ORDER BY p.oid::regprocedure::text;
-- the grant function: bad input, one per line
SELECT person_pivots_internal.grant_application_role(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT person_pivots_internal.grant_application_role('-');
\echo :LAST_ERROR_SQLSTATE
-- it gives an application role exactly this
SELECT person_pivots_internal.grant_application_role('pp_hard_app');
SELECT c.oid::regclass AS object, string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS privileges
FROM pg_class c, aclexplode(c.relacl) a
WHERE a.grantee OPERATOR(pg_catalog.=) 'pp_hard_app'::regrole
GROUP BY c.oid ORDER BY c.oid::regclass::text;
SELECT c.oid::regclass AS host_table, string_agg(att.attname::text OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) a.privilege_type, ', ' ORDER BY att.attnum) AS column_privileges
FROM pg_attribute att JOIN pg_class c ON c.oid OPERATOR(pg_catalog.=) att.attrelid, aclexplode(att.attacl) a
WHERE a.grantee OPERATOR(pg_catalog.=) 'pp_hard_app'::regrole
GROUP BY c.oid ORDER BY c.oid::regclass::text;
SELECT n.nspname AS schema_usage FROM pg_namespace n, aclexplode(n.nspacl) a
WHERE a.grantee OPERATOR(pg_catalog.=) 'pp_hard_app'::regrole ORDER BY 1;
SELECT p.oid::regprocedure AS executes FROM pg_proc p, aclexplode(p.proacl) a
WHERE a.grantee OPERATOR(pg_catalog.=) 'pp_hard_app'::regrole ORDER BY p.oid::regprocedure::text;
-- a role without the grant reaches nothing
SET ROLE pp_nobody;
SELECT count(*) FROM core_api.person_media;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.link_person_media(:p1, :m1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- 5. The application role at work under the hostile path: every function,
-- and the triggers for direct writes
SET ROLE pp_hard_app;
SHOW search_path;
SELECT person_pk, media_pk FROM person_pivots.link_person_media(:p1, :m1, :ws1);
SELECT person_pk, media_pk FROM person_pivots.link_person_media(:p1, :m2);
SELECT person_pk, media_pk, deleted_at IS NOT NULL AS deleted FROM person_pivots.unlink_person_media(:p1, :m2);
SELECT person_pk, media_pk FROM person_pivots.person_active_media(:p1, :ws1);
SELECT location_pk, label, is_primary FROM person_pivots.link_person_location(:p1, :l1, 'Home', true, false, :ws1);
SELECT location_pk, label, is_primary FROM person_pivots.link_person_location(:p1, :l2, 'Work', true);
SELECT location_pk, is_primary FROM person_pivots.set_primary_location(:p1, :l1, :ws1);
-- unchanged label and flags: the upsert's qualified row comparison skips the write
SELECT location_pk, label, is_primary FROM person_pivots.link_person_location(:p1, :l1, 'Home', true, false, :ws1);
SELECT location_pk, is_primary FROM person_pivots.person_active_locations(:p1);
SELECT location_pk FROM person_pivots.primary_location((SELECT p FROM core_api.people p
  WHERE p.pk OPERATOR(pg_catalog.=) 1));
SELECT location_pk, deleted_at IS NOT NULL AS deleted FROM person_pivots.unlink_person_location(:p1, :l2, :ws1);
SELECT person_pk, media_pk FROM person_pivots.sync_person_media(:p3, ARRAY[:m1, :m2]::uuid[], :ws1);
SELECT person_pk, media_pk FROM person_pivots.sync_person_media_batch(
  jsonb_build_object(:p3::text, jsonb_build_array(:m2::text)));
SELECT person_pk, location_pk, label, is_primary FROM person_pivots.sync_person_locations(:p3,
  '[{"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_primary": true},
    {"location_id": "33333333-0000-0000-0000-000000000002", "label": "Work"}]', :ws1);
SELECT person_pk, location_pk, label, is_primary FROM person_pivots.sync_person_locations_batch(
  jsonb_build_object(:p3::text, jsonb_build_array(jsonb_build_object('location_id', :l2::text, 'label', 'Work',
                                                                     'is_primary', true))));
-- scope errors still come out right
SELECT * FROM person_pivots.link_person_media(:p4, :m1, :ws1);
BEGIN;
SET LOCAL "hasura.user" = :'hu1';
SELECT * FROM person_pivots.link_person_media(:p4, :m1);
ROLLBACK;
-- direct writes fire the triggers: stamps, rule 6, soft delete, demotion
INSERT INTO core_api.person_media (person_pk, media_pk, created_at) VALUES (2, 1, '2000-01-01')
  RETURNING person_pk, media_pk, created_at OPERATOR(pg_catalog.=) pg_catalog.now() AS stamped;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (4, 1);
UPDATE core_api.person_media SET media_pk = 2 WHERE person_pk OPERATOR(pg_catalog.=) 2;
DELETE FROM core_api.person_media WHERE person_pk OPERATOR(pg_catalog.=) 2;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (2, 1, 'A', true), (2, 2, 'B', true);
SELECT location_pk, is_primary FROM core_api.person_locations WHERE person_pk OPERATOR(pg_catalog.=) 2 ORDER BY 1;
-- what the role was not given
TRUNCATE core_api.person_media;
\echo :LAST_ERROR_SQLSTATE
SELECT person_pivots.purge_person(:p2);
\echo :LAST_ERROR_SQLSTATE
SELECT person_pivots_internal.enable_row_security();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT person_pk, media_pk, deleted_at IS NOT NULL AS deleted FROM core_api.person_media ORDER BY pk;

-- 6. Row-level security under the hostile path, for the application role
SELECT person_pivots_internal.enable_row_security();
SET ROLE pp_hard_app;
SELECT count(*) AS unscoped_sees FROM core_api.person_media;
BEGIN;
SET LOCAL "hasura.user" = :'hu1';
SELECT person_pk, media_pk FROM core_api.person_media ORDER BY pk;
DELETE FROM core_api.person_media WHERE person_pk OPERATOR(pg_catalog.=) 1;
SELECT person_pk, media_pk, deleted_at IS NOT NULL AS deleted FROM core_api.person_media ORDER BY pk;
ROLLBACK;
SELECT count(*) AS via_session FROM person_pivots.person_active_locations(:p1, :ws1);
RESET ROLE;
SELECT person_pivots_internal.disable_row_security();

-- 7. Maintenance: physical removal and purge under the hostile path
DELETE FROM core_api.person_media WHERE person_pk OPERATOR(pg_catalog.=) 2;
SELECT person_pivots.purge_person(:p1) AS purged;
SELECT count(*) AS left_rows FROM core_api.person_locations;

-- 8. The look-alikes were never used: sentinel rows only (any write or
-- call would have raised above)
RESET search_path;
SELECT 'person_media' AS hostile_table, count(*), min(pk) FROM hostile.person_media
UNION ALL SELECT 'person_locations', count(*), min(pk) FROM hostile.person_locations
UNION ALL SELECT 'people', count(*), min(pk) FROM hostile.people
UNION ALL SELECT 'workspaces', count(*), min(pk) FROM hostile.workspaces;

-- the role can be taken back
SELECT person_pivots_internal.revoke_application_role('pp_hard_app');
SELECT c.oid::regclass AS still_granted FROM pg_class c, aclexplode(c.relacl) a
WHERE a.grantee = 'pp_hard_app'::regrole;
SELECT p.oid::regprocedure AS still_executes FROM pg_proc p, aclexplode(p.proacl) a
WHERE a.grantee = 'pp_hard_app'::regrole;
-- and it can call no API function any more (PUBLIC has no EXECUTE)
SELECT count(*) AS still_callable FROM pg_proc p
WHERE p.pronamespace = 'person_pivots'::regnamespace AND has_function_privilege('pp_hard_app', p.oid, 'EXECUTE');
SET ROLE pp_hard_app;
SELECT * FROM person_pivots.person_active_media(:p1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- clean up: the extension was created while hostile led the path
SET client_min_messages = warning;
DROP EXTENSION person_pivots CASCADE;
DROP SCHEMA hostile CASCADE;
DROP OWNED BY pp_hard_app;
DROP ROLE pp_hard_app;
DROP ROLE pp_nobody;
RESET client_min_messages;
