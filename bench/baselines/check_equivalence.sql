-- The PL/pgSQL triggers must behave like the extension's: run.sh runs this
-- script once with each trigger set enabled (psql variable :impl names it)
-- and compares the two outputs; any difference stops the benchmark.
-- Every statement below is run as the application role pp_app except where
-- the maintenance path is the point. Output: one line per step, errors as
-- SQLSTATE, timestamps as comparisons with the transaction time.
\set ECHO none
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
SET client_min_messages = warning;
TRUNCATE core_api.person_media, core_api.person_locations RESTART IDENTITY;
SET ROLE pp_app;

-- Rule 1: system columns stamped, client values replaced.
BEGIN;
INSERT INTO core_api.person_media (person_pk, media_pk, created_at, updated_at)
  VALUES (1, 1, '2000-01-01', '2000-01-01'), (1, 2, DEFAULT, DEFAULT), (2, 1, DEFAULT, DEFAULT);
SELECT 'r1 insert', pk, created_at = now(), updated_at = now(), deleted_at IS NULL FROM core_api.person_media ORDER BY pk;
COMMIT;
INSERT INTO core_api.person_media (person_pk, media_pk, deleted_at) VALUES (3, 3, now());
SELECT 'r1 insert deleted refused', count(*) FROM core_api.person_media WHERE person_pk = 3;
-- Rule 6: workspace and existence.
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (999999999, 1);
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 999999999);
INSERT INTO core_api.person_locations (person_pk, location_pk, label) VALUES (1, 999999999, 'x');
RESET ROLE;
UPDATE core_api.media SET workspace_pk = 2 WHERE pk = 5;
UPDATE core_api.locations SET workspace_pk = 2 WHERE pk = 5;
UPDATE core_api.media SET workspace_pk = NULL WHERE pk = 6;
SET ROLE pp_app;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 5);
INSERT INTO core_api.person_locations (person_pk, location_pk, label) VALUES (1, 5, 'x');
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 6);
SELECT 'r6', person_pk, media_pk FROM core_api.person_media ORDER BY pk;

-- Rule 4: endpoints fixed.
UPDATE core_api.person_media SET person_pk = 2 WHERE pk = 1;
UPDATE core_api.person_media SET media_pk = 3 WHERE pk = 1;
UPDATE core_api.person_media SET pk = 100 WHERE pk = 1;
-- Rule 1 on update: created_at kept, updated_at stamped only on a change.
BEGIN;
UPDATE core_api.person_media SET created_at = '2000-01-01', updated_at = '2000-01-01' WHERE pk = 1;
SELECT 'r1 update no change', created_at > '2001-01-01', updated_at > '2001-01-01', updated_at = now()
  FROM core_api.person_media WHERE pk = 1;
COMMIT;
-- Rule 2/3: DELETE soft-deletes, one-way, frozen.
BEGIN;
DELETE FROM core_api.person_media WHERE pk = 2;
SELECT 'r3 delete', pk, deleted_at = now(), updated_at = now() FROM core_api.person_media WHERE pk = 2;
COMMIT;
DELETE FROM core_api.person_media WHERE pk = 2;
UPDATE core_api.person_media SET deleted_at = NULL WHERE pk = 2;
UPDATE core_api.person_media SET deleted_at = '2000-01-01' WHERE pk = 2;
UPDATE core_api.person_media SET updated_at = '2000-01-01' WHERE pk = 2;
BEGIN;
UPDATE core_api.person_media SET deleted_at = '2000-01-01' WHERE pk = 3;
SELECT 'r2 soft delete by update', deleted_at = now(), updated_at = now() FROM core_api.person_media WHERE pk = 3;
COMMIT;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 2);
SELECT 'r2 relink', pk, person_pk, media_pk, deleted_at IS NULL FROM core_api.person_media ORDER BY pk;
TRUNCATE core_api.person_media;
TRUNCATE core_api.person_locations;

-- Rule 5: primary demotion in single rows, bulk and ON CONFLICT.
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 1, 'a', true);
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 2, 'b', true);
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT 2, l, 'bulk', true FROM generate_series(1, 4) l;
UPDATE core_api.person_locations SET is_primary = true WHERE person_pk = 1 AND location_pk = 1;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 1, 'again', true)
  ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO UPDATE SET label = EXCLUDED.label;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 2, 'c', true)
  ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO UPDATE SET is_primary = true;
DELETE FROM core_api.person_locations WHERE person_pk = 2 AND location_pk = 4;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (2, 4, 'back', true);
SET person_pivots.primary_conflict = 'error';
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 3, 'strict', true);
UPDATE core_api.person_locations SET is_primary = true WHERE person_pk = 2 AND location_pk = 1;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (3, 3, 'first', true);
RESET person_pivots.primary_conflict;
BEGIN;
UPDATE core_api.person_locations SET label = 'relabelled', created_at = '2000-01-01' WHERE person_pk = 1;
SELECT 'r1 locations update', pk, created_at > '2001-01-01' FROM core_api.person_locations WHERE person_pk = 1 ORDER BY pk;
COMMIT;
DELETE FROM core_api.person_locations WHERE person_pk = 3;
UPDATE core_api.person_locations SET label = 'frozen' WHERE person_pk = 3;
UPDATE core_api.person_locations SET person_pk = 1 WHERE person_pk = 2 AND location_pk = 1;
SELECT 'r5', pk, person_pk, location_pk, label, is_primary, deleted_at IS NULL AS active
  FROM core_api.person_locations ORDER BY pk;

-- The maintenance path: verbatim system columns, physical DELETE, TRUNCATE.
RESET ROLE;
INSERT INTO core_api.person_media (person_pk, media_pk, created_at, updated_at, deleted_at)
  VALUES (4, 4, '2001-01-01', '2001-01-02', '2001-01-03');
SELECT 'maintenance insert', created_at, updated_at, deleted_at FROM core_api.person_media WHERE person_pk = 4;
DELETE FROM core_api.person_media WHERE person_pk = 4;
SELECT 'maintenance delete', count(*) FROM core_api.person_media WHERE person_pk = 4;
TRUNCATE core_api.person_media, core_api.person_locations RESTART IDENTITY;
UPDATE core_api.media SET workspace_pk = 1 WHERE pk IN (5, 6);
UPDATE core_api.locations SET workspace_pk = 1 WHERE pk = 5;
\set ON_ERROR_STOP 1
