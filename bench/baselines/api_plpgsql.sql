-- Baseline: the extension's API (DESIGN.md §4) written in PL/pgSQL, as a
-- careful application developer would write it: schema bench_plpgsql, the
-- same function names, arguments and result types as person_pivots, the
-- same semantics and error SQLSTATEs (src/api_common.cpp,
-- src/location_functions.cpp, src/media_functions.cpp,
-- src/sync_functions.cpp), and the same lock order (DESIGN §3): every
-- write resolves its ids, then locks the person row (FOR NO KEY UPDATE;
-- a page's people in ascending pk order), then demotes and upserts. It
-- runs on the tables with the PL/pgSQL triggers of
-- bench/baselines/plpgsql_triggers.sql (bench/run.sh section txmix);
-- bench/baselines/check_api_equivalence.sql compares it with the
-- extension before the measurement.
--
-- Differences, none of which the benchmark exercises: the session
-- argument is not published as hasura.user for the call (PL/pgSQL cannot
-- scope a setting to a call without a SET clause naming it, which would
-- also fix its value); sync_person_media_batch is the one of
-- bench/baselines/sync_media_plpgsql.sql (the sync section's baseline),
-- which scopes by the workspace id alone (no fail-closed checks).
\set ECHO none
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench_plpgsql;
GRANT USAGE ON SCHEMA bench_plpgsql TO PUBLIC;
\ir sync_media_plpgsql.sql
\set ECHO none
SET client_min_messages = warning;

-- The workspace pk a session (json) scopes to, NULL for Hasura's admin role
-- without a workspace; fails closed (22023) like the C++ session_scope.
CREATE OR REPLACE FUNCTION bench_plpgsql.session_scope(session json, source text) RETURNS integer
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  id_type text := json_typeof(session -> 'x-hasura-workspace-id');
  id text;
  ws integer;
BEGIN
  IF json_typeof(session) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION '% must be a JSON object, not %', source, coalesce(json_typeof(session), 'null')
      USING ERRCODE = '22023';
  END IF;
  IF id_type IS NOT NULL AND id_type <> 'null' THEN
    id := session ->> 'x-hasura-workspace-id';
    IF id_type <> 'string' OR id !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN
      RAISE EXCEPTION 'x-hasura-workspace-id of % is not a uuid: "%"', source, coalesce(id, '') USING ERRCODE = '22023';
    END IF;
    SELECT w.pk INTO ws FROM core_api.workspaces w WHERE w.workspace_id = id::uuid;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'workspace % does not exist', id USING ERRCODE = '22023';
    END IF;
    RETURN ws;
  END IF;
  IF session ->> 'x-hasura-role' = 'admin' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION '% of role "%" names no x-hasura-workspace-id', source, coalesce(session ->> 'x-hasura-role', '')
    USING ERRCODE = '22023';
END $$;

-- The scope of a call: the session argument, judged alone when given; else
-- hasura.user; neither: unscoped (NULL).
CREATE OR REPLACE FUNCTION bench_plpgsql.api_scope(hasura_session json) RETURNS integer
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  setting text;
  session json;
BEGIN
  IF hasura_session IS NOT NULL THEN
    RETURN bench_plpgsql.session_scope(hasura_session, 'hasura_session');
  END IF;
  setting := current_setting('hasura.user', true);
  IF setting IS NULL OR setting = '' THEN
    RETURN NULL;
  END IF;
  BEGIN
    session := setting::json;
  EXCEPTION WHEN invalid_text_representation THEN
    RAISE EXCEPTION 'hasura.user must be a JSON object, not "%"', setting USING ERRCODE = '22023';
  END;
  RETURN bench_plpgsql.session_scope(session, 'hasura.user');
END $$;

CREATE OR REPLACE FUNCTION bench_plpgsql.resolve_person(id uuid, ws integer) RETURNS integer
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  found_pk integer;
BEGIN
  IF id IS NULL THEN
    RAISE EXCEPTION 'person_id must not be null' USING ERRCODE = '22004';
  END IF;
  SELECT p.pk INTO found_pk FROM core_api.people p
   WHERE p.person_id = id AND p.deleted_at IS NULL AND (ws IS NULL OR p.workspace_pk = ws);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'person % does not exist', id USING ERRCODE = '23503';
  END IF;
  RETURN found_pk;
END $$;

CREATE OR REPLACE FUNCTION bench_plpgsql.resolve_location(id uuid, ws integer) RETURNS integer
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  found_pk integer;
BEGIN
  IF id IS NULL THEN
    RAISE EXCEPTION 'location_id must not be null' USING ERRCODE = '22004';
  END IF;
  SELECT l.pk INTO found_pk FROM core_api.locations l
   WHERE l.location_id = id AND l.deleted_at IS NULL AND (ws IS NULL OR l.workspace_pk = ws);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'location % does not exist', id USING ERRCODE = '23503';
  END IF;
  RETURN found_pk;
END $$;

CREATE OR REPLACE FUNCTION bench_plpgsql.resolve_media(id uuid, ws integer) RETURNS integer
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  found_pk integer;
BEGIN
  IF id IS NULL THEN
    RAISE EXCEPTION 'media_id must not be null' USING ERRCODE = '22004';
  END IF;
  SELECT m.pk INTO found_pk FROM core_api.media m
   WHERE m.media_id = id AND m.deleted_at IS NULL AND (ws IS NULL OR m.workspace_pk = ws);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'media % does not exist', id USING ERRCODE = '23503';
  END IF;
  RETURN found_pk;
END $$;

-- The person lock: the people row, as every API write takes it first.
CREATE OR REPLACE FUNCTION bench_plpgsql.lock_person(person integer) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
  SELECT 1 FROM core_api.people WHERE pk = person FOR NO KEY UPDATE;
END;

-- -- media ------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION bench_plpgsql.link_person_media(person_id uuid, media_id uuid, hasura_session json DEFAULT NULL)
RETURNS SETOF core_api.person_media
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ws integer := bench_plpgsql.api_scope(hasura_session);
  person integer := bench_plpgsql.resolve_person(link_person_media.person_id, ws);
  media integer := bench_plpgsql.resolve_media(link_person_media.media_id, ws);
BEGIN
  PERFORM bench_plpgsql.lock_person(person);
  RETURN QUERY INSERT INTO core_api.person_media AS t (person_pk, media_pk) VALUES (person, media)
    ON CONFLICT (person_pk, media_pk) WHERE deleted_at IS NULL DO NOTHING RETURNING t.*;
  IF NOT FOUND THEN
    RETURN QUERY SELECT t.* FROM core_api.person_media t
                  WHERE t.person_pk = person AND t.media_pk = media AND t.deleted_at IS NULL;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION bench_plpgsql.unlink_person_media(person_id uuid, media_id uuid, hasura_session json DEFAULT NULL)
RETURNS SETOF core_api.person_media
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ws integer := bench_plpgsql.api_scope(hasura_session);
  person integer := bench_plpgsql.resolve_person(unlink_person_media.person_id, ws);
  media integer := bench_plpgsql.resolve_media(unlink_person_media.media_id, ws);
BEGIN
  PERFORM bench_plpgsql.lock_person(person);
  RETURN QUERY UPDATE core_api.person_media t SET deleted_at = now()
                WHERE t.person_pk = person AND t.media_pk = media AND t.deleted_at IS NULL RETURNING t.*;
END $$;

CREATE OR REPLACE FUNCTION bench_plpgsql.sync_person_media(person_id uuid, media_ids uuid[], hasura_session json DEFAULT NULL)
RETURNS SETOF core_api.person_media
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF person_id IS NULL OR media_ids IS NULL THEN
    RAISE EXCEPTION '% must not be null', CASE WHEN person_id IS NULL THEN 'person_id' ELSE 'media_ids' END
      USING ERRCODE = '22004';
  END IF;
  RETURN QUERY SELECT * FROM bench_plpgsql.sync_person_media_batch(
    jsonb_build_object(person_id::text, to_jsonb(media_ids)), hasura_session);
END $$;

CREATE OR REPLACE FUNCTION bench_plpgsql.person_active_media(person_id uuid, hasura_session json DEFAULT NULL)
RETURNS SETOF core_api.person_media
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ws integer := bench_plpgsql.api_scope(hasura_session);
BEGIN
  RETURN QUERY SELECT t.* FROM core_api.people p JOIN core_api.person_media t ON t.person_pk = p.pk
                WHERE p.person_id = person_active_media.person_id AND p.deleted_at IS NULL
                  AND (ws IS NULL OR p.workspace_pk = ws) AND t.deleted_at IS NULL
                ORDER BY t.created_at, t.pk;
END $$;

-- -- locations ------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION bench_plpgsql.link_person_location(person_id uuid, location_id uuid, label text,
    is_primary boolean DEFAULT false, is_legal boolean DEFAULT false, hasura_session json DEFAULT NULL)
RETURNS SETOF core_api.person_locations
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  new_label text := link_person_location.label;
  primary_flag boolean := link_person_location.is_primary;
  legal_flag boolean := link_person_location.is_legal;
  ws integer;
  person integer;
  location integer;
BEGIN
  IF new_label IS NULL OR primary_flag IS NULL OR legal_flag IS NULL THEN
    RAISE EXCEPTION '% must not be null',
      CASE WHEN new_label IS NULL THEN 'label' WHEN primary_flag IS NULL THEN 'is_primary' ELSE 'is_legal' END
      USING ERRCODE = '22004';
  END IF;
  ws := bench_plpgsql.api_scope(hasura_session);
  person := bench_plpgsql.resolve_person(link_person_location.person_id, ws);
  location := bench_plpgsql.resolve_location(link_person_location.location_id, ws);
  IF char_length(new_label) > 255 THEN
    RAISE EXCEPTION 'label of location % for person % is longer than 255 characters',
      link_person_location.location_id, link_person_location.person_id USING ERRCODE = '22001';
  END IF;
  PERFORM bench_plpgsql.lock_person(person);
  IF primary_flag THEN
    UPDATE core_api.person_locations t SET is_primary = false
     WHERE t.person_pk = person AND t.is_primary AND t.deleted_at IS NULL AND t.location_pk <> location;
  END IF;
  RETURN QUERY UPDATE core_api.person_locations t SET label = new_label, is_primary = primary_flag, is_legal = legal_flag
                WHERE t.person_pk = person AND t.location_pk = location AND t.deleted_at IS NULL
                  AND (t.label, t.is_primary, t.is_legal) IS DISTINCT FROM (new_label, primary_flag, legal_flag)
                RETURNING t.*;
  IF FOUND THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT t.* FROM core_api.person_locations t
                WHERE t.person_pk = person AND t.location_pk = location AND t.deleted_at IS NULL;
  IF FOUND THEN
    RETURN;
  END IF;
  -- ON CONFLICT: a plain INSERT (no person lock) may link the pair meanwhile
  RETURN QUERY INSERT INTO core_api.person_locations AS t (person_pk, location_pk, label, is_primary, is_legal)
                VALUES (person, location, new_label, primary_flag, legal_flag)
                ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO UPDATE
                SET label = EXCLUDED.label, is_primary = EXCLUDED.is_primary, is_legal = EXCLUDED.is_legal
                RETURNING t.*;
END $$;

CREATE OR REPLACE FUNCTION bench_plpgsql.unlink_person_location(person_id uuid, location_id uuid,
    hasura_session json DEFAULT NULL)
RETURNS SETOF core_api.person_locations
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ws integer := bench_plpgsql.api_scope(hasura_session);
  person integer := bench_plpgsql.resolve_person(unlink_person_location.person_id, ws);
  location integer := bench_plpgsql.resolve_location(unlink_person_location.location_id, ws);
BEGIN
  PERFORM bench_plpgsql.lock_person(person);
  RETURN QUERY UPDATE core_api.person_locations t SET deleted_at = now()
                WHERE t.person_pk = person AND t.location_pk = location AND t.deleted_at IS NULL RETURNING t.*;
END $$;

CREATE OR REPLACE FUNCTION bench_plpgsql.set_primary_location(person_id uuid, location_id uuid,
    hasura_session json DEFAULT NULL)
RETURNS SETOF core_api.person_locations
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ws integer := bench_plpgsql.api_scope(hasura_session);
  person integer := bench_plpgsql.resolve_person(set_primary_location.person_id, ws);
  location integer := bench_plpgsql.resolve_location(set_primary_location.location_id, ws);
BEGIN
  PERFORM bench_plpgsql.lock_person(person);
  IF NOT EXISTS (SELECT 1 FROM core_api.person_locations t
                  WHERE t.person_pk = person AND t.location_pk = location AND t.deleted_at IS NULL) THEN
    RAISE EXCEPTION 'person % has no active link to location %', set_primary_location.person_id,
      set_primary_location.location_id USING ERRCODE = '23503',
      HINT = 'Link it first with person_pivots.link_person_location().';
  END IF;
  UPDATE core_api.person_locations t SET is_primary = false
   WHERE t.person_pk = person AND t.is_primary AND t.deleted_at IS NULL AND t.location_pk <> location;
  RETURN QUERY UPDATE core_api.person_locations t SET is_primary = true
                WHERE t.person_pk = person AND t.location_pk = location AND t.deleted_at IS NULL AND NOT t.is_primary
                RETURNING t.*;
  IF NOT FOUND THEN
    RETURN QUERY SELECT t.* FROM core_api.person_locations t
                  WHERE t.person_pk = person AND t.location_pk = location AND t.deleted_at IS NULL;
  END IF;
END $$;

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

CREATE OR REPLACE FUNCTION bench_plpgsql.sync_person_locations(person_id uuid, locations jsonb,
    hasura_session json DEFAULT NULL)
RETURNS SETOF core_api.person_locations
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF person_id IS NULL OR locations IS NULL THEN
    RAISE EXCEPTION '% must not be null', CASE WHEN person_id IS NULL THEN 'person_id' ELSE 'locations' END
      USING ERRCODE = '22004';
  END IF;
  IF jsonb_typeof(locations) <> 'array' THEN
    RAISE EXCEPTION 'locations must be a json array, not %', jsonb_typeof(locations) USING ERRCODE = '22023';
  END IF;
  RETURN QUERY SELECT * FROM bench_plpgsql.sync_person_locations_batch(
    jsonb_build_object(person_id::text, locations), hasura_session);
END $$;

CREATE OR REPLACE FUNCTION bench_plpgsql.person_active_locations(person_id uuid, hasura_session json DEFAULT NULL)
RETURNS SETOF core_api.person_locations
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ws integer := bench_plpgsql.api_scope(hasura_session);
BEGIN
  RETURN QUERY SELECT t.* FROM core_api.people p JOIN core_api.person_locations t ON t.person_pk = p.pk
                WHERE p.person_id = person_active_locations.person_id AND p.deleted_at IS NULL
                  AND (ws IS NULL OR p.workspace_pk = ws) AND t.deleted_at IS NULL
                ORDER BY t.is_primary DESC, t.created_at, t.pk;
END $$;
RESET client_min_messages;
