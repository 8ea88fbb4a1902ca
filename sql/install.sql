-- CREATE EXTENSION: host detection, tables and indexes by their contract
-- names, membership, and the errors for a missing host table or column.
\i test/fixtures/host_schema.sql

-- tables, indexes and triggers with the contract's names
SELECT c.relname, c.relkind FROM pg_class c
  WHERE c.relnamespace = 'core_api'::regnamespace AND c.relname ~ '^(person_|idx_person|uniq_person)'
  ORDER BY 1;
SELECT indexrelid::regclass, pg_get_indexdef(indexrelid) FROM pg_index
  WHERE indrelid IN ('core_api.person_media'::regclass, 'core_api.person_locations'::regclass) ORDER BY 1;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
  WHERE conrelid IN ('core_api.person_media'::regclass, 'core_api.person_locations'::regclass) ORDER BY 1;
SELECT tgrelid::regclass, tgname, tgfoid::regproc FROM pg_trigger
  WHERE tgrelid IN ('core_api.person_media'::regclass, 'core_api.person_locations'::regclass)
    AND NOT tgisinternal ORDER BY 1, 2;
-- the tables and API functions are not members; trigger functions are
SELECT pg_describe_object(classid, objid, 0) AS member FROM pg_depend
  WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
    AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'person_pivots') ORDER BY 1;
SELECT p.oid::regprocedure FROM pg_proc p WHERE p.pronamespace = 'person_pivots'::regnamespace ORDER BY 1;
-- the functions that return at most one row say so (1.2, declared through
-- install_api); the others keep the default estimate
SELECT p.prorows, string_agg(p.proname, ', ' ORDER BY p.proname) FROM pg_proc p
  WHERE p.pronamespace = 'person_pivots'::regnamespace GROUP BY 1 ORDER BY 1;
-- the API installer runs only inside the extension's own scripts
SELECT person_pivots_internal.install_api('SELECT 1');

-- the older people table name (core_api.peoples) is detected
SET client_min_messages = warning;
DROP EXTENSION person_pivots CASCADE;
DROP TABLE core_api.person_media, core_api.person_locations;
ALTER TABLE core_api.people RENAME TO peoples;
RESET client_min_messages;
CREATE EXTENSION person_pivots;
SELECT conname, confrelid::regclass FROM pg_constraint
  WHERE conrelid = 'core_api.person_media'::regclass AND contype = 'f' ORDER BY 1;
SELECT pg_get_function_identity_arguments('person_pivots.primary_location'::regproc);
SET client_min_messages = warning;
DROP EXTENSION person_pivots CASCADE;
RESET client_min_messages;
DROP TABLE core_api.person_media, core_api.person_locations;
ALTER TABLE core_api.peoples RENAME TO people;

-- a missing host table or column fails and leaves nothing behind
ALTER TABLE core_api.media RENAME TO media_gone;
CREATE EXTENSION person_pivots;
ALTER TABLE core_api.media_gone RENAME TO media;
ALTER TABLE core_api.people RENAME COLUMN person_id TO people_uuid;
CREATE EXTENSION person_pivots;
ALTER TABLE core_api.people RENAME COLUMN people_uuid TO person_id;
SELECT count(*) AS leftover_schemas FROM pg_namespace WHERE nspname LIKE 'person_pivots%';
SELECT to_regclass('core_api.person_media') AS leftover_table;

-- restore mode: row_security off and no host tables: functions only
CREATE SCHEMA restore_probe;
SET row_security = off;
SET client_min_messages = notice;
ALTER SCHEMA core_api RENAME TO core_api_away;
CREATE EXTENSION person_pivots;
SELECT count(*) AS api_functions FROM pg_proc WHERE pronamespace = 'person_pivots'::regnamespace;
DROP EXTENSION person_pivots;
ALTER SCHEMA core_api_away RENAME TO core_api;
RESET row_security;
RESET client_min_messages;
DROP SCHEMA restore_probe;

-- DROP EXTENSION is refused while the triggers use its functions;
-- with CASCADE the triggers and API go, the rows stay
CREATE EXTENSION person_pivots;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 1);
\set VERBOSITY terse
DROP EXTENSION person_pivots;
\set VERBOSITY default
SET client_min_messages = warning;
DROP EXTENSION person_pivots CASCADE;
RESET client_min_messages;
SELECT count(*) AS rows_kept FROM core_api.person_media;
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'core_api.person_media'::regclass AND NOT tgisinternal;
