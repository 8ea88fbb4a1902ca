-- Baseline: sync_person_locations_batch written in PL/pgSQL, same signature
-- and semantics as the C++ function (src/sync_functions.cpp): the input's
-- shape checked entry by entry, scope from the session argument or
-- hasura.user (fail closed), every uuid resolved before any write (a
-- missing one is an error), one primary per person, repeats identical; then
-- the page's people locked in ascending pk order, one statement per kind of
-- change (soft deletes, label/flag edits and demotions, promotions, inserts),
-- the page's active rows returned. Set-based inside, like
-- bench/baselines/sync_media_plpgsql.sql. It is part of the PL/pgSQL API
-- (bench/baselines/api_plpgsql.sql loads this file and defines the
-- bench_plpgsql.api_scope it calls; check_api_equivalence.sql compares it
-- with the extension's function) and the PL/pgSQL contender of the location
-- sync (bench/run.sh, section locsync).
\set ECHO none
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench_plpgsql;
GRANT USAGE ON SCHEMA bench_plpgsql TO PUBLIC;

-- A page of people's whole location state, jsonb as DESIGN §4: checked and
-- resolved before any write; the people locked in ascending pk order; then
-- soft-delete what is gone, update what changed (demotions before
-- promotions, so the primary index never sees two), insert what is new;
-- the page's active rows returned, per person primary first.
CREATE OR REPLACE FUNCTION bench_plpgsql.sync_person_locations_batch(people jsonb, hasura_session json DEFAULT NULL)
RETURNS SETOF core_api.person_locations
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ws integer;
  page integer[];
  missing text;
  bad record;
  -- the entries, one element each: person id (text), pk, workspace;
  -- location id (text), pk, workspace; label and flags
  e_pid text[];
  e_person integer[];
  e_pws integer[];
  e_lid text[];
  e_location integer[];
  e_lws integer[];
  e_label text[];
  e_primary boolean[];
  e_legal boolean[];
  -- the distinct wanted rows
  w_person integer[];
  w_location integer[];
  w_label text[];
  w_primary boolean[];
  w_legal boolean[];
BEGIN
  IF people IS NULL THEN
    RAISE EXCEPTION 'people must not be null' USING ERRCODE = '22004';
  END IF;
  IF jsonb_typeof(people) <> 'object' THEN
    RAISE EXCEPTION 'people must be a json object, not %', jsonb_typeof(people) USING ERRCODE = '22023';
  END IF;
  ws := bench_plpgsql.api_scope(hasura_session);
  -- The input's shape, entry by entry; the first problem found is the error.
  SELECT j.key, jsonb_typeof(j.value) AS type INTO bad FROM jsonb_each(people) j
   WHERE jsonb_typeof(j.value) <> 'array' LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'locations of person % must be a json array, not %', bad.key, bad.type USING ERRCODE = '22023';
  END IF;
  SELECT x.* INTO bad FROM (
    SELECT j.key, e.n, e.value,
           CASE WHEN jsonb_typeof(e.value) <> 'object' THEN 'shape'
                WHEN EXISTS (SELECT 1 FROM jsonb_object_keys(e.value) k
                              WHERE k NOT IN ('location_id', 'label', 'is_primary', 'is_legal')) THEN 'key'
                WHEN coalesce(jsonb_typeof(e.value -> 'location_id'), 'null') = 'null' THEN 'null'
                WHEN jsonb_typeof(e.value -> 'location_id') <> 'string' THEN 'shape'
                WHEN coalesce(jsonb_typeof(e.value -> 'label'), 'null') = 'null' THEN 'label null'
                WHEN jsonb_typeof(e.value -> 'label') <> 'string' THEN 'shape'
                WHEN coalesce(jsonb_typeof(e.value -> 'is_primary'), 'null') NOT IN ('null', 'boolean')
                  OR coalesce(jsonb_typeof(e.value -> 'is_legal'), 'null') NOT IN ('null', 'boolean') THEN 'shape'
                WHEN char_length(e.value ->> 'label') > 255 THEN 'long'
           END AS problem
      FROM jsonb_each(people) j, jsonb_array_elements(j.value) WITH ORDINALITY e (value, n)) x
   WHERE x.problem IS NOT NULL LIMIT 1;
  IF FOUND THEN
    CASE bad.problem
    WHEN 'null' THEN
      RAISE EXCEPTION 'location_id of element % of the locations of person % must not be null', bad.n, bad.key
        USING ERRCODE = '22004';
    WHEN 'label null' THEN
      RAISE EXCEPTION 'label of location % for person % must not be null', bad.value ->> 'location_id', bad.key
        USING ERRCODE = '23502';
    WHEN 'long' THEN
      RAISE EXCEPTION 'label of location % for person % is longer than 255 characters',
        bad.value ->> 'location_id', bad.key USING ERRCODE = '22001';
    ELSE
      RAISE EXCEPTION 'invalid element % of the locations of person %: %', bad.n, bad.key, left(bad.value::text, 64)
        USING ERRCODE = '22023';
    END CASE;
  END IF;
  -- People: each in scope and active (a malformed uuid is 22P02).
  SELECT array_agg(p.pk ORDER BY p.pk), min(k.id) FILTER (WHERE p.pk IS NULL) INTO page, missing
    FROM jsonb_object_keys(people) k (id)
    LEFT JOIN core_api.people p ON p.person_id = k.id::uuid AND p.deleted_at IS NULL
                               AND (ws IS NULL OR p.workspace_pk = ws);
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'person % does not exist', missing USING ERRCODE = '23503';
  END IF;
  IF page IS NULL THEN
    RETURN;
  END IF;
  -- Entries: each location in scope and in its person's workspace; a
  -- location listed twice must say the same; one primary per person.
  SELECT array_agg(j.key), array_agg(p.pk), array_agg(p.workspace_pk), array_agg(e.value ->> 'location_id'),
         array_agg(l.pk), array_agg(l.workspace_pk), array_agg(e.value ->> 'label'),
         array_agg(coalesce((e.value ->> 'is_primary')::boolean, false)),
         array_agg(coalesce((e.value ->> 'is_legal')::boolean, false))
    INTO e_pid, e_person, e_pws, e_lid, e_location, e_lws, e_label, e_primary, e_legal
    FROM jsonb_each(people) j
    JOIN core_api.people p ON p.person_id = j.key::uuid
    CROSS JOIN LATERAL jsonb_array_elements(j.value) e (value)
    LEFT JOIN LATERAL (SELECT l.pk, l.workspace_pk FROM core_api.locations l
                        WHERE l.location_id = (e.value ->> 'location_id')::uuid AND l.deleted_at IS NULL
                          AND (ws IS NULL OR l.workspace_pk = ws) LIMIT 1) l ON true;
  SELECT u.pid, u.lid INTO bad FROM unnest(e_pid, e_lid, e_location) u (pid, lid, location_pk)
   WHERE u.location_pk IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'location % listed for person % does not exist', bad.lid, bad.pid USING ERRCODE = '23503';
  END IF;
  SELECT u.pid, u.lid INTO bad FROM unnest(e_pid, e_lid, e_pws, e_lws) u (pid, lid, pws, lws)
   WHERE u.pws IS NOT NULL AND u.lws IS NOT NULL AND u.pws <> u.lws LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'location % listed for person % belongs to another workspace', bad.lid, bad.pid
      USING ERRCODE = '23514';
  END IF;
  SELECT u.pid INTO bad FROM unnest(e_pid, e_location, e_primary) u (pid, location_pk, is_primary)
   GROUP BY u.pid HAVING count(DISTINCT u.location_pk) FILTER (WHERE u.is_primary) > 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'locations of person % mark more than one location as primary', bad.pid
      USING ERRCODE = '22023', HINT = 'A person has at most one primary location.';
  END IF;
  SELECT u.pid, min(u.lid) AS lid INTO bad
    FROM unnest(e_pid, e_lid, e_location, e_label, e_primary, e_legal) u (pid, lid, location_pk, label, is_primary, is_legal)
   GROUP BY u.pid, u.location_pk HAVING count(DISTINCT (u.label, u.is_primary, u.is_legal)) > 1 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'location % is listed twice for person % with different label or flags', bad.lid, bad.pid
      USING ERRCODE = '22023';
  END IF;
  SELECT array_agg(d.person_pk), array_agg(d.location_pk), array_agg(d.label), array_agg(d.is_primary),
         array_agg(d.is_legal)
    INTO w_person, w_location, w_label, w_primary, w_legal
    FROM (SELECT DISTINCT u.* FROM unnest(e_person, e_location, e_label, e_primary, e_legal)
                                   u (person_pk, location_pk, label, is_primary, is_legal)) d;

  -- Validation is over: lock the page's people, then write.
  PERFORM 1 FROM core_api.people p WHERE p.pk = ANY (page) ORDER BY p.pk FOR NO KEY UPDATE;
  UPDATE core_api.person_locations t SET deleted_at = now()
   WHERE t.person_pk = ANY (page) AND t.deleted_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM unnest(w_person, w_location) w (person_pk, location_pk)
                      WHERE w.person_pk = t.person_pk AND w.location_pk = t.location_pk);
  UPDATE core_api.person_locations t SET label = w.label, is_primary = w.is_primary, is_legal = w.is_legal
    FROM unnest(w_person, w_location, w_label, w_primary, w_legal) w (person_pk, location_pk, label, is_primary, is_legal)
   WHERE t.person_pk = ANY (page) AND t.person_pk = w.person_pk AND t.location_pk = w.location_pk
     AND t.deleted_at IS NULL
     AND (t.label, t.is_primary, t.is_legal) IS DISTINCT FROM (w.label, w.is_primary, w.is_legal)
     AND (t.is_primary OR NOT w.is_primary);
  UPDATE core_api.person_locations t SET label = w.label, is_primary = w.is_primary, is_legal = w.is_legal
    FROM unnest(w_person, w_location, w_label, w_primary, w_legal) w (person_pk, location_pk, label, is_primary, is_legal)
   WHERE t.person_pk = ANY (page) AND t.person_pk = w.person_pk AND t.location_pk = w.location_pk
     AND t.deleted_at IS NULL AND w.is_primary AND NOT t.is_primary;
  -- ON CONFLICT: a plain INSERT (no person lock) may link a pair meanwhile
  INSERT INTO core_api.person_locations AS t (person_pk, location_pk, label, is_primary, is_legal)
  SELECT w.person_pk, w.location_pk, w.label, w.is_primary, w.is_legal
    FROM unnest(w_person, w_location, w_label, w_primary, w_legal) w (person_pk, location_pk, label, is_primary, is_legal)
   WHERE w.person_pk IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM core_api.person_locations c
                      WHERE c.person_pk = w.person_pk AND c.location_pk = w.location_pk AND c.deleted_at IS NULL)
  ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO UPDATE
    SET label = EXCLUDED.label, is_primary = EXCLUDED.is_primary, is_legal = EXCLUDED.is_legal;
  RETURN QUERY SELECT t.* FROM core_api.person_locations t
                WHERE t.person_pk = ANY (page) AND t.deleted_at IS NULL
                ORDER BY t.person_pk, t.is_primary DESC, t.created_at, t.pk;
END $$;
RESET client_min_messages;
