-- person_media through every writer path, as an application role (pp_app)
-- and as a maintenance role (the superuser running the tests).
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never
-- a view of what the rules own, without printing clock values: 'db clock'
-- is a time stamped by the server in the last hour; forged values are old
CREATE FUNCTION public.stamp(t timestamptz) RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT CASE WHEN t IS NULL THEN 'null' WHEN t > now() - interval '1 hour' THEN 'db clock'
                    ELSE to_char(t, 'YYYY-MM-DD') END $$;
CREATE VIEW public.media_rows AS
  SELECT pk, person_pk, media_pk, public.stamp(created_at) AS created, public.stamp(updated_at) AS updated,
         public.stamp(deleted_at) AS deleted
  FROM core_api.person_media ORDER BY pk;
GRANT SELECT ON public.media_rows TO pp_app;

SET ROLE pp_app;
-- single-row INSERT with forged system columns: the database's clock wins
INSERT INTO core_api.person_media (person_pk, media_pk, created_at, updated_at)
  VALUES (1, 1, '2001-01-01', '2001-01-01') RETURNING pk, created_at = now() AS created_now;
-- multi-row INSERT
INSERT INTO core_api.person_media (person_pk, media_pk, created_at) VALUES
  (1, 2, '2001-01-01'), (2, 1, '2002-02-02');
-- INSERT ... SELECT
INSERT INTO core_api.person_media (person_pk, media_pk, created_at)
  SELECT 3, m, '2003-03-03' FROM generate_series(1, 3) m;
-- COPY FROM STDIN
COPY core_api.person_media (person_pk, media_pk, created_at) FROM STDIN;
2	2	2004-04-04
2	3	2004-04-04
\.
SELECT * FROM public.media_rows;
-- an application role cannot insert history
INSERT INTO core_api.person_media (person_pk, media_pk, deleted_at) VALUES (1, 3, '2001-01-01');
-- INSERT ... ON CONFLICT on the active pair: DO NOTHING, and DO UPDATE that
-- tries to forge created_at
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 1)
  ON CONFLICT (person_pk, media_pk) WHERE deleted_at IS NULL DO NOTHING;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 1)
  ON CONFLICT (person_pk, media_pk) WHERE deleted_at IS NULL DO UPDATE SET created_at = '1999-09-09'
  RETURNING pk, public.stamp(created_at) AS created;
-- a duplicate active pair is refused by the active-pair index
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 1);
RESET ROLE;

-- UPDATE: created_at never changes, updated_at follows the change
UPDATE core_api.person_media SET created_at = '2000-01-01', updated_at = '2000-01-01' WHERE pk = 1;
SET ROLE pp_app;
UPDATE core_api.person_media SET created_at = '2010-10-10', updated_at = '2010-10-10' WHERE pk = 1;
SELECT * FROM public.media_rows WHERE pk = 1;
-- a real change (the soft delete) moves updated_at to the database's clock
DELETE FROM core_api.person_media WHERE pk = 1;
SELECT * FROM public.media_rows WHERE pk = 1;
-- DELETE becomes a soft delete: the row stays, deleted_at takes the clock
DELETE FROM core_api.person_media WHERE pk = 2;
DELETE FROM core_api.person_media WHERE person_pk = 3 AND media_pk IN (1, 2) RETURNING pk;
SELECT * FROM public.media_rows WHERE pk IN (2, 5, 6);
-- deleting history again changes nothing
DELETE FROM core_api.person_media WHERE pk = 2;
SELECT * FROM public.media_rows WHERE pk = 2;
-- a soft delete through UPDATE also takes the database's clock
UPDATE core_api.person_media SET deleted_at = '2001-01-01' WHERE pk = 7;
SELECT * FROM public.media_rows WHERE pk = 7;

-- MERGE: matched rows are soft-deleted, new pairs are stamped
MERGE INTO core_api.person_media t
  USING (VALUES (2, 1), (1, 3)) AS s (person_pk, media_pk)
  ON t.person_pk = s.person_pk AND t.media_pk = s.media_pk AND t.deleted_at IS NULL
  WHEN MATCHED THEN DELETE
  WHEN NOT MATCHED THEN INSERT (person_pk, media_pk, created_at) VALUES (s.person_pk, s.media_pk, '2001-01-01');
SELECT * FROM public.media_rows WHERE (person_pk, media_pk) IN ((2, 1), (1, 3));

-- TRUNCATE is refused even with the TRUNCATE privilege
TRUNCATE core_api.person_media;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS rows_kept FROM core_api.person_media;
RESET ROLE;

-- a maintenance role writes system columns verbatim (restore, backfill)
INSERT INTO core_api.person_media (person_pk, media_pk, created_at, updated_at, deleted_at)
  VALUES (2, 2, '2005-05-05', '2006-06-06', '2007-07-07');
COPY core_api.person_media (person_pk, media_pk, created_at, updated_at) FROM STDIN;
3	2	2008-08-08	\N
\.
SELECT * FROM public.media_rows WHERE created < '2010' ORDER BY pk;
-- and removes rows physically, TRUNCATE included
DELETE FROM core_api.person_media WHERE created_at = '2005-05-05' RETURNING person_pk, media_pk;
SELECT count(*) AS left_after_delete FROM core_api.person_media;
TRUNCATE core_api.person_media;
SELECT count(*) AS left_after_truncate FROM core_api.person_media;

-- rule 6: no link across workspaces, whoever writes
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 4);
\echo :LAST_ERROR_SQLSTATE
SET ROLE pp_app;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (4, 1);
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (4, 4) RETURNING person_pk, media_pk;
-- a NULL endpoint is the NOT NULL constraint's error (23502)
\set VERBOSITY terse
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (NULL, 1);
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
-- a missing endpoint is named before the foreign key would fire
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (99, 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 99);
-- a writable CTE that creates the media and links it in one statement
RESET ROLE;
WITH m AS (INSERT INTO core_api.media (media_id, workspace_pk)
           VALUES ('22222222-0000-0000-0000-000000000009', 1) RETURNING pk)
INSERT INTO core_api.person_media (person_pk, media_pk) SELECT 1, pk FROM m RETURNING person_pk;
-- a 10,000-row statement as the application role
INSERT INTO core_api.people (person_id, workspace_pk)
  SELECT ('44444444-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 1 FROM generate_series(1, 10000) i;
SET ROLE pp_app;
INSERT INTO core_api.person_media (person_pk, media_pk, created_at)
  SELECT p.pk, 1 + p.pk % 3, '2001-01-01' FROM core_api.people p WHERE p.person_id::text LIKE '44444444%';
SELECT count(*) AS rows, count(*) FILTER (WHERE public.stamp(created_at) = 'db clock') AS stamped
  FROM core_api.person_media;
RESET ROLE;
DROP VIEW public.media_rows;
DROP FUNCTION public.stamp(timestamptz);
