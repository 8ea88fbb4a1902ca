-- Baseline: the best set-based SQL for one sync page of person_media, one
-- statement per page, prepared once per session. Same semantics as
-- person_pivots.sync_person_media_batch (src/sync_functions.cpp): resolve
-- every uuid (a missing one is an error and nothing is written), lock the
-- page's people (FOR NO KEY UPDATE, ascending pk), soft-delete the active
-- rows the input no longer lists, link the new pairs (ON CONFLICT for a
-- concurrent link_person_media), leave the other rows untouched, and
-- answer with the page's active rows afterwards (counted here; the
-- benchmark counts the function's rows too).
-- Input as arrays, the cheapest form for SQL: $1 the page's person ids,
-- $2/$3 the (person id, media id) pairs.
-- Tuned on the benchmark's data: the page's active rows are read once
-- (current) through the person_pk index (= ANY of an array, which the
-- planner costs well), media ids are resolved by index probes, and the
-- UPDATE finds its rows by pk. Plain joins to the page CTE and to media
-- got sequential scans of person_media and media (1.5-3x slower).
PREPARE bench_sync_media(uuid[], uuid[], uuid[]) AS
WITH page AS MATERIALIZED (
  SELECT p.pk, p.person_id FROM core_api.people p
   WHERE p.person_id = ANY ($1) AND p.deleted_at IS NULL
   ORDER BY p.pk FOR NO KEY UPDATE),
missing AS (
  -- an unknown person fails the statement (22P02 naming the id)
  SELECT ('person ' || u.id || ' does not exist')::integer AS fail
    FROM unnest($1) u (id) WHERE NOT EXISTS (SELECT 1 FROM page WHERE page.person_id = u.id)),
want AS MATERIALIZED (
  SELECT page.pk AS person_pk,
         COALESCE(m.pk, ('media ' || u.media_id || ' does not exist')::integer) AS media_pk
    FROM unnest($2, $3) u (person_id, media_id)
    JOIN page ON page.person_id = u.person_id
    -- one index probe per media id: with a million media the planner
    -- otherwise hashes the whole media table for every page
    LEFT JOIN LATERAL (SELECT m.pk FROM core_api.media m
                        WHERE m.media_id = u.media_id AND m.deleted_at IS NULL LIMIT 1) m ON true),
current AS MATERIALIZED (  -- the page's active rows, read once
  SELECT pm.pk, pm.person_pk, pm.media_pk FROM core_api.person_media pm
   WHERE pm.person_pk = ANY ((SELECT array_agg(pk) FROM page)::integer[]) AND pm.deleted_at IS NULL),
gone AS (
  UPDATE core_api.person_media pm SET deleted_at = now()
   WHERE pm.pk = ANY ((SELECT array_agg(c.pk) FROM current c
                        WHERE NOT EXISTS (SELECT 1 FROM want w
                                           WHERE w.person_pk = c.person_pk AND w.media_pk = c.media_pk))::integer[])
     AND pm.deleted_at IS NULL
  RETURNING pm.pk),
added AS (
  INSERT INTO core_api.person_media (person_pk, media_pk)
  SELECT w.person_pk, w.media_pk FROM want w
   WHERE NOT EXISTS (SELECT 1 FROM current c WHERE c.person_pk = w.person_pk AND c.media_pk = w.media_pk)
  ON CONFLICT (person_pk, media_pk) WHERE deleted_at IS NULL DO NOTHING
  RETURNING pk)
SELECT (SELECT count(*) FROM missing)
     + (SELECT count(*) FROM current WHERE pk NOT IN (SELECT pk FROM gone))
     + (SELECT count(*) FROM added) AS active_rows;
