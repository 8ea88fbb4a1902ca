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
-- which scopes by the workspace id alone (no fail-closed checks);
-- sync_person_locations_batch lives in
-- bench/baselines/sync_locations_plpgsql.sql (the locsync section's).
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

-- sync_person_locations_batch: bench/baselines/sync_locations_plpgsql.sql
-- (also the location sync section's PL/pgSQL contender).
\ir sync_locations_plpgsql.sql
\set ECHO none
SET client_min_messages = warning;

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
