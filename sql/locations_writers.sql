-- person_locations through every writer path: the shared pivot rules hold
-- here too (no updated_at on this table), plus label validation.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never
CREATE FUNCTION public.stamp(t timestamptz) RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT CASE WHEN t IS NULL THEN 'null' WHEN t > now() - interval '1 hour' THEN 'db clock'
                    ELSE to_char(t, 'YYYY-MM-DD') END $$;
CREATE VIEW public.location_rows AS
  SELECT pk, person_pk, location_pk, label, is_primary, is_legal, public.stamp(created_at) AS created,
         public.stamp(deleted_at) AS deleted
  FROM core_api.person_locations ORDER BY pk;
GRANT SELECT ON public.location_rows TO pp_app;
SET ROLE pp_app;

-- INSERT (single, multi-row, INSERT ... SELECT) and COPY with forged created_at
INSERT INTO core_api.person_locations (person_pk, location_pk, label, created_at)
  VALUES (1, 1, 'Home', '2001-01-01');
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_legal, created_at)
  VALUES (1, 2, 'Work', true, '2001-01-01'), (2, 1, 'Home', false, '2001-01-01');
INSERT INTO core_api.person_locations (person_pk, location_pk, label, created_at)
  SELECT 3, l, 'Site ' || l, '2001-01-01' FROM generate_series(1, 2) l;
COPY core_api.person_locations (person_pk, location_pk, label, created_at) FROM STDIN;
2	2	Billing	2001-01-01
\.
SELECT * FROM public.location_rows;
-- defaults: is_primary and is_legal are false
SELECT bool_or(is_primary) AS any_primary FROM core_api.person_locations;

-- bad input: NULL label, 256-character label, unknown location, other workspace
\set VERBOSITY terse
INSERT INTO core_api.person_locations (person_pk, location_pk, label) VALUES (1, 3, NULL);
\set VERBOSITY default
\echo :LAST_ERROR_SQLSTATE
INSERT INTO core_api.person_locations (person_pk, location_pk, label) VALUES (1, 3, repeat('x', 256));
\echo :LAST_ERROR_SQLSTATE
INSERT INTO core_api.person_locations (person_pk, location_pk, label) VALUES (1, 99, 'Home');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO core_api.person_locations (person_pk, location_pk, label) VALUES (1, 5, 'Home');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO core_api.person_locations (person_pk, location_pk, label, deleted_at) VALUES (1, 3, 'Old', now());
SELECT count(*) AS rows FROM core_api.person_locations;

-- UPDATE of label and flags is allowed; created_at and endpoints are not
UPDATE core_api.person_locations SET label = 'Main office', created_at = '2002-02-02' WHERE pk = 2;
SELECT * FROM public.location_rows WHERE pk = 2;
UPDATE core_api.person_locations SET location_pk = 3 WHERE pk = 2;
\echo :LAST_ERROR_SQLSTATE
UPDATE core_api.person_locations SET person_pk = 2 WHERE pk = 2;
-- DELETE is a soft delete; the deleted row is frozen and cannot come back
DELETE FROM core_api.person_locations WHERE pk = 3;
SELECT * FROM public.location_rows WHERE pk = 3;
UPDATE core_api.person_locations SET label = 'Home again' WHERE pk = 3;
\echo :LAST_ERROR_SQLSTATE
UPDATE core_api.person_locations SET deleted_at = NULL WHERE pk = 3;
-- ... and the pair can be linked again as a new row
INSERT INTO core_api.person_locations (person_pk, location_pk, label) VALUES (2, 1, 'Home');
SELECT person_pk, location_pk, count(*) AS rows FROM core_api.person_locations
  WHERE person_pk = 2 AND location_pk = 1 GROUP BY 1, 2;

-- INSERT ... ON CONFLICT on the active pair updates the label in place
INSERT INTO core_api.person_locations (person_pk, location_pk, label) VALUES (1, 1, 'Home (new)')
  ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO UPDATE SET label = EXCLUDED.label
  RETURNING pk, label;
-- MERGE: update, soft delete and insert in one statement
MERGE INTO core_api.person_locations t
  USING (VALUES (1, 1, 'Home (merged)'), (1, 2, NULL), (1, 3, 'Cabin')) AS s (person_pk, location_pk, label)
  ON t.person_pk = s.person_pk AND t.location_pk = s.location_pk AND t.deleted_at IS NULL
  WHEN MATCHED AND s.label IS NULL THEN DELETE
  WHEN MATCHED THEN UPDATE SET label = s.label
  WHEN NOT MATCHED THEN INSERT (person_pk, location_pk, label) VALUES (s.person_pk, s.location_pk, s.label);
SELECT pk, location_pk, label, deleted FROM public.location_rows WHERE person_pk = 1;

-- TRUNCATE is refused
TRUNCATE core_api.person_locations;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- maintenance: verbatim system columns, physical delete
INSERT INTO core_api.person_locations (person_pk, location_pk, label, created_at, deleted_at)
  VALUES (3, 3, 'Archive', '2003-03-03', '2004-04-04') RETURNING created_at = '2003-03-03' AS verbatim;
DELETE FROM core_api.person_locations WHERE label = 'Archive';
SELECT count(*) AS archive_rows FROM core_api.person_locations WHERE label = 'Archive';
DROP VIEW public.location_rows;
DROP FUNCTION public.stamp(timestamptz);
