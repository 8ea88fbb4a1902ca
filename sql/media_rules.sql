-- Rules 2 and 4 on person_media: soft delete is one-way and final, a
-- deleted row is frozen, endpoints never change, re-linking keeps history.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never
INSERT INTO core_api.person_media (person_pk, media_pk, created_at, deleted_at) VALUES
  (1, 1, '2001-01-01', NULL), (1, 2, '2001-01-01', '2002-02-02');
SET ROLE pp_app;

-- undelete is refused, for application roles ...
UPDATE core_api.person_media SET deleted_at = NULL WHERE pk = 2;
\echo :LAST_ERROR_SQLSTATE
-- ... and for maintenance roles alike
RESET ROLE;
UPDATE core_api.person_media SET deleted_at = NULL WHERE pk = 2;
-- a deleted row is frozen: no new deleted_at, no other change
UPDATE core_api.person_media SET deleted_at = '2003-03-03' WHERE pk = 2;
UPDATE core_api.person_media SET created_at = '2000-01-01' WHERE pk = 2;
UPDATE core_api.person_media SET updated_at = now() WHERE pk = 2;
-- a no-op update of history is harmless
UPDATE core_api.person_media SET deleted_at = deleted_at WHERE pk = 2;
SELECT pk, deleted_at = '2002-02-02' AS unchanged FROM core_api.person_media WHERE pk = 2;
SET ROLE pp_app;

-- endpoints and identity never change: a move is unlink + link
UPDATE core_api.person_media SET person_pk = 2 WHERE pk = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE core_api.person_media SET media_pk = 3 WHERE pk = 1;
UPDATE core_api.person_media SET pk = 100 WHERE pk = 1;
RESET ROLE;
UPDATE core_api.person_media SET media_pk = 3 WHERE pk = 1;
SET ROLE pp_app;
SELECT pk, person_pk, media_pk FROM core_api.person_media ORDER BY pk;

-- re-linking a deleted pair creates a new row; history is kept
DELETE FROM core_api.person_media WHERE pk = 1;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 1);
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 2);
SELECT person_pk, media_pk, count(*) AS rows, count(*) FILTER (WHERE deleted_at IS NULL) AS active
  FROM core_api.person_media GROUP BY 1, 2 ORDER BY 1, 2;
-- a failed multi-row statement applies nothing
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (2, 1), (2, 2), (2, 4);
SELECT count(*) AS person_2_rows FROM core_api.person_media WHERE person_pk = 2;
RESET ROLE;
