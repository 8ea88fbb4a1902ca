-- Rule 5: at most one active primary per person, kept by demotion in the
-- same statement for every writer; strict mode refuses instead.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never
CREATE VIEW public.primaries AS
  SELECT person_pk, location_pk, is_primary, deleted_at IS NOT NULL AS deleted
  FROM core_api.person_locations ORDER BY person_pk, location_pk, pk;
GRANT SELECT ON public.primaries TO pp_app;
SET ROLE pp_app;

-- INSERT of a second primary demotes the first
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 1, 'Home', true);
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 2, 'Work', true);
SELECT * FROM public.primaries WHERE person_pk = 1;
-- UPDATE promoting another row demotes the current primary
UPDATE core_api.person_locations SET is_primary = true WHERE person_pk = 1 AND location_pk = 1;
SELECT * FROM public.primaries WHERE person_pk = 1;
-- a multi-row INSERT with several primaries for one person: the last wins
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES
  (2, 1, 'A', true), (2, 2, 'B', true), (2, 3, 'C', true), (3, 1, 'A', true);
SELECT * FROM public.primaries WHERE person_pk IN (2, 3);
-- INSERT ... SELECT and COPY likewise
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT 3, l, 'L' || l, true FROM generate_series(2, 4) l;
SELECT * FROM public.primaries WHERE person_pk = 3;
COPY core_api.person_locations (person_pk, location_pk, label, is_primary) FROM STDIN;
2	4	D	true
\.
SELECT * FROM public.primaries WHERE person_pk = 2;
-- INSERT ... ON CONFLICT DO UPDATE making the existing pair primary
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (2, 1, 'A', true)
  ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL
  DO UPDATE SET is_primary = EXCLUDED.is_primary RETURNING location_pk, is_primary;
SELECT * FROM public.primaries WHERE person_pk = 2;
-- ON CONFLICT DO NOTHING with a proposed primary leaves the current primary alone
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (2, 3, 'C', true)
  ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO NOTHING;
SELECT * FROM public.primaries WHERE person_pk = 2 AND is_primary;
-- ON CONFLICT DO UPDATE of the label only keeps the current primary too
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (2, 2, 'B2', true)
  ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO UPDATE SET label = EXCLUDED.label;
SELECT * FROM public.primaries WHERE person_pk = 2 AND is_primary;
-- MERGE promoting a row
MERGE INTO core_api.person_locations t
  USING (VALUES (2, 3)) AS s (person_pk, location_pk)
  ON t.person_pk = s.person_pk AND t.location_pk = s.location_pk AND t.deleted_at IS NULL
  WHEN MATCHED THEN UPDATE SET is_primary = true;
SELECT * FROM public.primaries WHERE person_pk = 2;
-- a soft-deleted primary is not primary any more for the rule
DELETE FROM core_api.person_locations WHERE person_pk = 2 AND location_pk = 3;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (2, 3, 'C', true);
SELECT * FROM public.primaries WHERE person_pk = 2;
-- the invariant, across everything above
SELECT person_pk, count(*) FROM core_api.person_locations
  WHERE is_primary AND deleted_at IS NULL GROUP BY 1 HAVING count(*) > 1;

-- strict mode: a second primary is an error naming the person
SET person_pivots.primary_conflict = 'error';
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 3, 'X', true);
\echo :LAST_ERROR_SQLSTATE
UPDATE core_api.person_locations SET is_primary = true WHERE person_pk = 1 AND location_pk = 2;
-- making the current primary primary again, or a first primary, is fine
UPDATE core_api.person_locations SET label = 'Home!' WHERE person_pk = 1 AND is_primary;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (4, 5, 'Only', true);
SELECT * FROM public.primaries WHERE person_pk IN (1, 4);
SET person_pivots.primary_conflict = 'nonsense';
RESET person_pivots.primary_conflict;
SHOW person_pivots.primary_conflict;

-- bulk: 20,000 rows, two primaries per person in one statement
RESET ROLE;
INSERT INTO core_api.people (person_id, workspace_pk)
  SELECT ('55555555-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 1 FROM generate_series(1, 5000) i;
SET ROLE pp_app;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT p.pk, l, 'L' || l, l IN (2, 4)
  FROM core_api.people p, generate_series(1, 4) l WHERE p.person_id::text LIKE '55555555%';
SELECT count(*) AS rows, count(*) FILTER (WHERE is_primary) AS primaries,
       count(DISTINCT person_pk) FILTER (WHERE is_primary) AS people_with_primary,
       bool_and(location_pk = 4) FILTER (WHERE is_primary) AS last_primary_won
  FROM core_api.person_locations l JOIN core_api.people p ON p.pk = l.person_pk
  WHERE p.person_id::text LIKE '55555555%' AND l.deleted_at IS NULL;
RESET ROLE;
DROP VIEW public.primaries;
