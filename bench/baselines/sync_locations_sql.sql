-- Baseline: the best set-based SQL for one sync page of person_locations,
-- prepared once per session. Same semantics as
-- person_pivots.sync_person_locations_batch (src/sync_functions.cpp): every
-- uuid resolved (a missing one is an error), the page's people locked
-- (FOR NO KEY UPDATE, ascending pk), the active rows the input no longer
-- lists soft-deleted, labels and flags changed in place, the primary moved
-- (old one demoted before the new one is promoted or inserted, so the
-- primary index never sees two), new pairs inserted (ON CONFLICT for a
-- concurrent plain INSERT of the pair: the input's values win), rows that
-- stay as they are not written at all. The table keeps the extension's
-- triggers (bench/run.sh, section locsync).
--
-- Two statements per page, because rule 5 needs an order one statement
-- cannot give: the sub-statements of a WITH run in no defined order, and a
-- statement that promotes a row and then writes the previous primary fails
-- (docs/concurrency.md, "One statement cannot promote a row and then change
-- the previous primary"). So:
--   bench_sync_locations          every write but promotions: lock, soft-delete,
--                                 label/flag edits and demotions (one UPDATE),
--                                 new non-primary links (one INSERT);
--   bench_sync_locations_primary  each person's primary: promote the kept row
--                                 or insert the new one.
-- Input as arrays, the cheapest form for SQL: bench_sync_locations gets $1
-- the page's person ids and $2-$6 every entry (person id, location id,
-- label, is_primary, is_legal); bench_sync_locations_primary only the
-- primary entries (person id, location id, label, is_legal), which the
-- client knows. Like the C++ function, a person with two different primary
-- locations is an error; unlike it, a location listed twice with different
-- labels is not detected (one of the two wins).
-- Tuned like bench/baselines/sync_media_sql.sql: the page's active rows are
-- read once through the person_pk index, location ids resolved by one index
-- probe each, the UPDATE finds its rows by pk.
PREPARE bench_sync_locations(uuid[], uuid[], uuid[], text[], boolean[], boolean[]) AS
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
         COALESCE(l.pk, ('location ' || u.location_id || ' does not exist')::integer) AS location_pk,
         u.label, u.is_primary, u.is_legal
    FROM unnest($2, $3, $4, $5, $6) u (person_id, location_id, label, is_primary, is_legal)
    JOIN page ON page.person_id = u.person_id
    LEFT JOIN LATERAL (SELECT l.pk FROM core_api.locations l
                        WHERE l.location_id = u.location_id AND l.deleted_at IS NULL LIMIT 1) l ON true),
current AS MATERIALIZED (  -- the page's active rows, read once
  SELECT t.pk, t.person_pk, t.location_pk, t.label, t.is_primary, t.is_legal FROM core_api.person_locations t
   WHERE t.person_pk = ANY ((SELECT array_agg(pk) FROM page)::integer[]) AND t.deleted_at IS NULL),
change AS MATERIALIZED (
  -- gone rows, and rows whose label or flags change, promotions excepted
  SELECT c.pk, w.person_pk IS NULL AS gone, w.label, w.is_primary, w.is_legal
    FROM current c
    LEFT JOIN want w ON w.person_pk = c.person_pk AND w.location_pk = c.location_pk
   WHERE w.person_pk IS NULL
      OR ((c.label, c.is_primary, c.is_legal) IS DISTINCT FROM (w.label, w.is_primary, w.is_legal)
          AND (c.is_primary OR NOT w.is_primary))),
changed AS (
  UPDATE core_api.person_locations t
     SET deleted_at = CASE WHEN ch.gone THEN now() ELSE t.deleted_at END,
         label = CASE WHEN ch.gone THEN t.label ELSE ch.label END,
         is_primary = CASE WHEN ch.gone THEN t.is_primary ELSE ch.is_primary END,
         is_legal = CASE WHEN ch.gone THEN t.is_legal ELSE ch.is_legal END
    FROM change ch
   WHERE t.pk = ANY ((SELECT array_agg(pk) FROM change)::integer[]) AND t.pk = ch.pk AND t.deleted_at IS NULL
  RETURNING t.pk, ch.gone),
added AS (
  INSERT INTO core_api.person_locations AS t (person_pk, location_pk, label, is_primary, is_legal)
  SELECT DISTINCT w.person_pk, w.location_pk, w.label, false, w.is_legal FROM want w
   WHERE NOT w.is_primary
     AND NOT EXISTS (SELECT 1 FROM current c WHERE c.person_pk = w.person_pk AND c.location_pk = w.location_pk)
  ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO UPDATE
    SET label = EXCLUDED.label, is_primary = EXCLUDED.is_primary, is_legal = EXCLUDED.is_legal
    WHERE (t.label, t.is_primary, t.is_legal) IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.is_primary, EXCLUDED.is_legal)
  RETURNING t.pk)
-- the page's active rows before the primary statement
SELECT (SELECT count(*) FROM missing)
     + (SELECT count(*) FROM current) - (SELECT count(*) FROM changed WHERE gone)
     + (SELECT count(*) FROM added) AS active_rows;

-- After bench_sync_locations, in the same transaction: the people are
-- resolved and locked, their old primaries demoted or soft-deleted.
PREPARE bench_sync_locations_primary(uuid[], uuid[], text[], boolean[]) AS
WITH want AS MATERIALIZED (
  SELECT p.pk AS person_pk, l.pk AS location_pk, u.label, u.is_legal
    FROM unnest($1, $2, $3, $4) u (person_id, location_id, label, is_legal)
    JOIN core_api.people p ON p.person_id = u.person_id AND p.deleted_at IS NULL
    JOIN LATERAL (SELECT l.pk FROM core_api.locations l
                   WHERE l.location_id = u.location_id AND l.deleted_at IS NULL LIMIT 1) l ON true),
several AS (
  -- two different primary locations for one person (22P02 naming the person)
  SELECT ('person ' || person_pk || ' has more than one primary location')::integer AS fail
    FROM want GROUP BY person_pk HAVING count(DISTINCT location_pk) > 1),
promoted AS (
  UPDATE core_api.person_locations t SET label = w.label, is_primary = true, is_legal = w.is_legal
    FROM want w
   WHERE t.person_pk = w.person_pk AND t.location_pk = w.location_pk AND t.deleted_at IS NULL AND NOT t.is_primary
  RETURNING t.pk),
added AS (
  INSERT INTO core_api.person_locations AS t (person_pk, location_pk, label, is_primary, is_legal)
  SELECT DISTINCT w.person_pk, w.location_pk, w.label, true, w.is_legal FROM want w
   WHERE NOT EXISTS (SELECT 1 FROM core_api.person_locations c
                      WHERE c.person_pk = w.person_pk AND c.location_pk = w.location_pk AND c.deleted_at IS NULL)
  ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO UPDATE
    SET label = EXCLUDED.label, is_primary = EXCLUDED.is_primary, is_legal = EXCLUDED.is_legal
    WHERE (t.label, t.is_primary, t.is_legal) IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.is_primary, EXCLUDED.is_legal)
  RETURNING t.pk)
SELECT (SELECT count(*) FROM several) + (SELECT count(*) FROM promoted) + (SELECT count(*) FROM added) AS written;
