-- The host contract (docs/design.md, "The host contract"): CREATE
-- EXTENSION, ALTER EXTENSION UPDATE and every call after a migration check
-- each host table's key and its type, the uuid ids and their unique
-- indexes, workspace_pk's type and deleted_at's type. A host the extension
-- cannot serve exactly is refused; nothing is left half-created and no key
-- is ever read as another type.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never

-- A bare host: the fixture's tables and rows, no extension, no pivots.
CREATE PROCEDURE pp_test.bare_host() LANGUAGE plpgsql SET client_min_messages = warning AS $$
BEGIN
  CALL pp_test.reset_host_schema(people => 2, media => 2, locations => 2);
  DROP EXTENSION person_pivots CASCADE;
  DROP TABLE core_api.person_media, core_api.person_locations;
END $$;
-- Whether a failed CREATE EXTENSION left anything behind.
CREATE FUNCTION pp_test.leftovers() RETURNS text LANGUAGE sql AS $$
  SELECT format('extension %s, schemas %s, pivot tables %s',
    (SELECT count(*) FROM pg_extension WHERE extname = 'person_pivots'),
    (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'person_pivots%'),
    (SELECT count(*) FROM pg_class WHERE relnamespace = 'core_api'::regnamespace
       AND relname IN ('person_media', 'person_locations')))
$$;

-- 1. A bigint key, with a person beyond int4 (4294967307 = 2^32 + 11):
--    refused, 42804 (an integer pivot column cannot hold it; read as int4
--    it would be person 11).
CALL pp_test.bare_host();
ALTER TABLE core_api.people ALTER COLUMN pk TYPE bigint;
INSERT INTO core_api.people (pk, person_id, workspace_pk)
  VALUES (4294967307, '11111111-0000-0000-0000-000000004307', 1);
CREATE EXTENSION person_pivots;
\echo :LAST_ERROR_SQLSTATE
SELECT pp_test.leftovers();

-- 2. A uuid key: refused, 42804.
CALL pp_test.bare_host();
ALTER TABLE core_api.media DROP CONSTRAINT media_pkey, ALTER COLUMN pk DROP DEFAULT,
  ALTER COLUMN pk TYPE uuid USING gen_random_uuid(), ADD PRIMARY KEY (pk);
CREATE EXTENSION person_pivots;
\echo :LAST_ERROR_SQLSTATE
SELECT pp_test.leftovers();

-- 3. A key that is not the primary key (unique only): refused, 42P10.
CALL pp_test.bare_host();
ALTER TABLE core_api.locations DROP CONSTRAINT locations_pkey, ADD CONSTRAINT locations_pk_key UNIQUE (pk);
CREATE EXTENSION person_pivots;
\echo :LAST_ERROR_SQLSTATE
SELECT pp_test.leftovers();

-- 4. An id column without its unique index: refused, 42P10; a partial
--    unique index does not count (it does not make the id name one row).
CALL pp_test.bare_host();
ALTER TABLE core_api.media DROP CONSTRAINT media_media_id_key;
CREATE EXTENSION person_pivots;
\echo :LAST_ERROR_SQLSTATE
CREATE UNIQUE INDEX media_live_id ON core_api.media (media_id) WHERE deleted_at IS NULL;
CREATE EXTENSION person_pivots;
\echo :LAST_ERROR_SQLSTATE
SELECT pp_test.leftovers();

-- 5. An id of another type: refused, 42804.
CALL pp_test.bare_host();
ALTER TABLE core_api.workspaces ALTER COLUMN workspace_id TYPE text;
CREATE EXTENSION person_pivots;
\echo :LAST_ERROR_SQLSTATE

-- 6. A retyped optional column: workspace_pk bigint, deleted_at boolean:
--    refused, 42804.
CALL pp_test.bare_host();
ALTER TABLE core_api.locations ALTER COLUMN workspace_pk TYPE bigint;
CREATE EXTENSION person_pivots;
\echo :LAST_ERROR_SQLSTATE
CALL pp_test.bare_host();
ALTER TABLE core_api.media ALTER COLUMN deleted_at TYPE boolean USING deleted_at IS NOT NULL;
CREATE EXTENSION person_pivots;
\echo :LAST_ERROR_SQLSTATE
-- ... and a required one missing: 42703.
CALL pp_test.bare_host();
ALTER TABLE core_api.people DROP COLUMN deleted_at;
CREATE EXTENSION person_pivots;
\echo :LAST_ERROR_SQLSTATE
SELECT pp_test.leftovers();

-- 7. Served: optional columns absent, deleted_at without time zone, a
--    workspace_pk of a domain over integer.
CALL pp_test.bare_host();
ALTER TABLE core_api.media DROP COLUMN workspace_pk, DROP COLUMN deleted_at;
ALTER TABLE core_api.locations ALTER COLUMN deleted_at TYPE timestamp;
CREATE DOMAIN core_api.workspace_ref AS integer;
ALTER TABLE core_api.locations ALTER COLUMN workspace_pk TYPE core_api.workspace_ref;
CREATE EXTENSION person_pivots;
SELECT pp_test.leftovers();
SELECT person_pk, media_pk FROM person_pivots.link_person_media(
  '11111111-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000002');
SELECT person_pk, location_pk FROM person_pivots.link_person_location(
  '11111111-0000-0000-0000-000000000001', '33333333-0000-0000-0000-000000000002', 'home', true, false);

-- 8. ALTER EXTENSION UPDATE checks the contract too (1.1 -> 1.2 declares
--    the API through install_api).
CALL pp_test.bare_host();
SET client_min_messages = warning;
CREATE EXTENSION person_pivots VERSION '1.1';
RESET client_min_messages;
ALTER TABLE core_api.locations DROP CONSTRAINT locations_location_id_key;
ALTER EXTENSION person_pivots UPDATE;
\echo :LAST_ERROR_SQLSTATE
SELECT extversion FROM pg_extension WHERE extname = 'person_pivots';
CREATE UNIQUE INDEX locations_location_id_key ON core_api.locations (location_id);
ALTER EXTENSION person_pivots UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'person_pivots';

-- 9. After install, in this same backend: a migration that retypes the key
--    to bigint is reported at the next call (42804), and nothing is
--    written, for the person beyond int4 and for every other.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never
SELECT count(*) AS linked FROM person_pivots.link_person_media(
  '11111111-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000001');
ALTER TABLE core_api.people ALTER COLUMN pk TYPE bigint;
INSERT INTO core_api.people (pk, person_id, workspace_pk)
  VALUES (4294967307, '11111111-0000-0000-0000-000000004307', 1);
SELECT * FROM person_pivots.link_person_media(
  '11111111-0000-0000-0000-000000004307', '22222222-0000-0000-0000-000000000002');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.sync_person_locations('11111111-0000-0000-0000-000000004307',
  '[{"location_id": "33333333-0000-0000-0000-000000000001", "label": "x"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.person_active_media('11111111-0000-0000-0000-000000000001');
\echo :LAST_ERROR_SQLSTATE
-- a direct INSERT (the triggers' workspace rule reads the key too)
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (11, 2);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS pivot_rows FROM core_api.person_media;
-- the migration reverted: served again
ALTER TABLE core_api.people ALTER COLUMN pk TYPE integer USING (pk % 1000)::integer;
SELECT person_pk, media_pk FROM person_pivots.link_person_media(
  '11111111-0000-0000-0000-000000000002', '22222222-0000-0000-0000-000000000002');

CALL pp_test.drop_host_schema();
DROP PROCEDURE pp_test.bare_host();
DROP FUNCTION pp_test.leftovers();
