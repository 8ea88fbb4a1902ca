-- person_pivots media functions: link, unlink, active links, purge, and
-- every bad input with its SQLSTATE.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never
\set p1 '''11111111-0000-0000-0000-000000000001'''
\set p2 '''11111111-0000-0000-0000-000000000002'''
\set p4 '''11111111-0000-0000-0000-000000000004'''
\set m1 '''22222222-0000-0000-0000-000000000001'''
\set m2 '''22222222-0000-0000-0000-000000000002'''
\set m4 '''22222222-0000-0000-0000-000000000004'''
\set ws1 '''{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000001", "x-hasura-role": "user"}'''
SET ROLE pp_app;

-- link is idempotent: the second call returns the same active row
SELECT pk, person_pk, media_pk, deleted_at FROM person_pivots.link_person_media(:p1, :m1);
SELECT pk, person_pk, media_pk, deleted_at FROM person_pivots.link_person_media(:p1, :m1);
SELECT pk, person_pk, media_pk FROM person_pivots.link_person_media(:p1, :m2, :ws1);
SELECT pk, media_pk FROM person_pivots.person_active_media(:p1);
-- unlink returns the row it soft-deleted, then nothing
SELECT pk, deleted_at IS NOT NULL AS deleted FROM person_pivots.unlink_person_media(:p1, :m1);
SELECT pk FROM person_pivots.unlink_person_media(:p1, :m1);
-- re-linking creates a new row, history stays
SELECT pk, media_pk FROM person_pivots.link_person_media(:p1, :m1);
SELECT pk, media_pk, deleted_at IS NOT NULL AS deleted FROM core_api.person_media ORDER BY pk;
SELECT pk, media_pk FROM person_pivots.person_active_media(:p1, :ws1);

-- bad input, one per line; each leaves the table unchanged
SELECT count(*) AS rows_before FROM core_api.person_media \gset
SELECT * FROM person_pivots.link_person_media(NULL, :m1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.link_person_media(:p1, NULL);
SELECT * FROM person_pivots.link_person_media('11111111-0000-0000-0000-00000000000f', :m1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.link_person_media(:p1, '22222222-0000-0000-0000-00000000000f');
SELECT * FROM person_pivots.link_person_media('not-a-uuid', :m1);
\echo :LAST_ERROR_SQLSTATE
-- out of scope looks exactly like absent (same SQLSTATE, same message shape)
SELECT * FROM person_pivots.link_person_media(:p4, :m4, :ws1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.link_person_media(:p1, :m4, :ws1);
SELECT * FROM person_pivots.unlink_person_media(:p4, :m4, :ws1);
-- unscoped trusted callers still cannot cross workspaces (rule 6)
SELECT * FROM person_pivots.link_person_media(:p1, :m4);
\echo :LAST_ERROR_SQLSTATE
-- a session naming an unknown or malformed workspace
SELECT * FROM person_pivots.link_person_media(:p1, :m1, '{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-00000000000f"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.link_person_media(:p1, :m1, '{"x-hasura-workspace-id": "ws-1"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.link_person_media(:p1, :m1, '{"x-hasura-workspace-id": ');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) = :rows_before AS unchanged FROM core_api.person_media;
-- reads: absent and out-of-scope people have no links
SELECT count(*) FROM person_pivots.person_active_media('11111111-0000-0000-0000-00000000000f');
SELECT count(*) FROM person_pivots.person_active_media(:p1, '{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000002"}');
SELECT * FROM person_pivots.person_active_media(NULL);
-- a soft-deleted person is gone for the API
RESET ROLE;
UPDATE core_api.people SET deleted_at = now() WHERE pk = 2;
SET ROLE pp_app;
SELECT * FROM person_pivots.link_person_media(:p2, :m1);

-- purge_person: not for application roles. Without EXECUTE (PUBLIC has
-- none) PostgreSQL refuses it; granted EXECUTE, directly or through
-- PUBLIC, an application role is still refused by the function itself
SELECT person_pivots.purge_person(:p1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT EXECUTE ON FUNCTION person_pivots.purge_person(uuid) TO pp_app;
SET ROLE pp_app;
SELECT person_pivots.purge_person(:p1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION person_pivots.purge_person(uuid) FROM pp_app;
GRANT EXECUTE ON FUNCTION person_pivots.purge_person(uuid) TO PUBLIC;
SET ROLE pp_app;
SELECT person_pivots.purge_person(:p1);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE EXECUTE ON FUNCTION person_pivots.purge_person(uuid) FROM PUBLIC;
SELECT count(*) AS person_1_rows_kept FROM core_api.person_media WHERE person_pk = 1;
-- an erasure role (EXECUTE, no privilege on the pivot tables) may call it
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pp_eraser') AS need_eraser \gset
\if :need_eraser
CREATE ROLE pp_eraser;
\endif
GRANT USAGE ON SCHEMA person_pivots TO pp_eraser;
GRANT EXECUTE ON FUNCTION person_pivots.purge_person(uuid) TO pp_eraser;
SET ROLE pp_eraser;
SELECT person_pivots.purge_person('11111111-0000-0000-0000-000000000004') AS removed_by_eraser;
RESET ROLE;
REVOKE ALL ON FUNCTION person_pivots.purge_person(uuid) FROM pp_eraser;
REVOKE ALL ON SCHEMA person_pivots FROM pp_eraser;
DROP ROLE pp_eraser;
-- a maintenance role erases every pivot row of the person, and only theirs
INSERT INTO core_api.person_locations (person_pk, location_pk, label) VALUES (1, 1, 'Home'), (3, 1, 'Home');
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (3, 1);
SELECT person_pivots.purge_person(:p1) AS removed;
SELECT person_pk, count(*) FROM core_api.person_media GROUP BY 1 ORDER BY 1;
SELECT person_pk, count(*) FROM core_api.person_locations GROUP BY 1 ORDER BY 1;
SELECT person_pivots.purge_person('11111111-0000-0000-0000-00000000000f');
\echo :LAST_ERROR_SQLSTATE
-- purge_person's DELETEs run as the tables' owner in a restricted
-- operation: an owner's trigger cannot borrow the function owner's rights
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pp_table_owner') AS need_owner \gset
\if :need_owner
CREATE ROLE pp_table_owner;
\endif
GRANT USAGE, CREATE ON SCHEMA core_api TO pp_table_owner;
ALTER TABLE core_api.person_media OWNER TO pp_table_owner;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (3, 2);
SET ROLE pp_table_owner;
CREATE FUNCTION core_api.escalate() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN EXECUTE 'ALTER ROLE pp_table_owner SUPERUSER'; RETURN OLD; END $$;
CREATE TRIGGER escalate BEFORE DELETE ON core_api.person_media FOR EACH ROW EXECUTE FUNCTION core_api.escalate();
RESET ROLE;
SELECT person_pivots.purge_person('11111111-0000-0000-0000-000000000003');
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'pp_table_owner';
DROP TRIGGER escalate ON core_api.person_media;
DROP FUNCTION core_api.escalate();
SELECT person_pivots.purge_person('11111111-0000-0000-0000-000000000003') AS removed_as_owner;
ALTER TABLE core_api.person_media OWNER TO CURRENT_USER;
REVOKE ALL ON SCHEMA core_api FROM pp_table_owner;
-- A STABLE read sees the database in one state, its caller's snapshot: a
-- person soft-deleted earlier in the same statement (by a volatile
-- function) is still the active person whose rows the read returns. Before
-- issue 17 the person lookup took a fresh snapshot and the row read did
-- not: the call mixed two states and answered no rows.
BEGIN;
INSERT INTO core_api.people (person_id, workspace_pk) VALUES ('11111111-0000-0000-0000-000000000099', 1);
SELECT count(*) AS linked FROM person_pivots.link_person_media('11111111-0000-0000-0000-000000000099', '22222222-0000-0000-0000-000000000003');
CREATE FUNCTION pg_temp.soft_delete_person_99() RETURNS integer LANGUAGE sql VOLATILE AS $$
  UPDATE core_api.people SET deleted_at = now() WHERE person_id = '11111111-0000-0000-0000-000000000099' RETURNING 1 $$;
SELECT pg_temp.soft_delete_person_99() AS deleted,
  (SELECT count(*) FROM person_pivots.person_active_media('11111111-0000-0000-0000-000000000099')) AS rows_of_one_snapshot;
ROLLBACK;
