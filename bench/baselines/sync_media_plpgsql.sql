-- Baseline: sync_person_media_batch written in PL/pgSQL, same signature
-- and semantics as the C++ function (src/sync_functions.cpp): scope from
-- the session argument or hasura.user, every uuid resolved before any write
-- (a missing one is an error), the page's people locked in ascending pk
-- order, one soft-delete UPDATE and one INSERT for the page, the page's
-- active rows returned in the same order. Set-based inside: the same
-- statements as bench/baselines/sync_media_sql.sql, split into steps.
\set ECHO none
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench_plpgsql;
GRANT USAGE ON SCHEMA bench_plpgsql TO PUBLIC;

CREATE OR REPLACE FUNCTION bench_plpgsql.sync_person_media_batch(people jsonb, hasura_session json DEFAULT NULL)
RETURNS SETOF core_api.person_media
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  session_workspace uuid;
  ws integer;
  page integer[];
  pair_person integer[];
  pair_media integer[];
  missing text;
BEGIN
  IF people IS NULL THEN
    RAISE EXCEPTION 'people must not be null' USING ERRCODE = '22004';
  END IF;
  IF jsonb_typeof(people) <> 'object' THEN
    RAISE EXCEPTION 'invalid people: %', left(people::text, 64) USING ERRCODE = '22023',
      HINT = 'Pass an object {"<person_id>": ["<media_id>", ...], ...}.';
  END IF;
  session_workspace := nullif(json_extract_path_text(hasura_session, 'x-hasura-workspace-id'), '')::uuid;
  IF session_workspace IS NULL THEN
    session_workspace := nullif(json_extract_path_text(nullif(current_setting('hasura.user', true), '')::json,
                                                       'x-hasura-workspace-id'), '')::uuid;
  END IF;
  IF session_workspace IS NOT NULL THEN
    -- (a block variable, not a parameter: the function's name cannot qualify it)
    SELECT w.pk INTO ws FROM core_api.workspaces w WHERE w.workspace_id = session_workspace;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'workspace % does not exist', session_workspace USING ERRCODE = '22023';
    END IF;
  END IF;

  -- Resolve the people, then the pairs; nothing is written before both pass.
  SELECT array_agg(p.pk ORDER BY p.pk), min(k.id) FILTER (WHERE p.pk IS NULL)
    INTO page, missing
    FROM jsonb_object_keys(people) k (id)
    LEFT JOIN core_api.people p ON p.person_id = k.id::uuid AND p.deleted_at IS NULL
                               AND (ws IS NULL OR p.workspace_pk = ws);
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'person % does not exist', missing USING ERRCODE = '23503';
  END IF;
  SELECT array_agg(p.pk), array_agg(m.pk), min(e.id) FILTER (WHERE m.pk IS NULL)
    INTO pair_person, pair_media, missing
    FROM jsonb_each(people) j (person_id, media)
    CROSS JOIN LATERAL jsonb_array_elements_text(j.media) e (id)
    JOIN core_api.people p ON p.person_id = j.person_id::uuid
    -- one index probe per media id (a join lets the planner hash all media)
    LEFT JOIN LATERAL (SELECT m.pk FROM core_api.media m
                        WHERE m.media_id = e.id::uuid AND m.deleted_at IS NULL
                          AND (ws IS NULL OR m.workspace_pk = ws) LIMIT 1) m ON true;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'media % does not exist', missing USING ERRCODE = '23503';
  END IF;
  IF page IS NULL THEN
    RETURN;
  END IF;

  PERFORM 1 FROM core_api.people p WHERE p.pk = ANY (page) ORDER BY p.pk FOR NO KEY UPDATE;
  UPDATE core_api.person_media pm SET deleted_at = now()
   WHERE pm.person_pk = ANY (page) AND pm.deleted_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM unnest(pair_person, pair_media) w (person_pk, media_pk)
                      WHERE w.person_pk = pm.person_pk AND w.media_pk = pm.media_pk);
  INSERT INTO core_api.person_media (person_pk, media_pk)
  SELECT w.person_pk, w.media_pk FROM unnest(pair_person, pair_media) w (person_pk, media_pk)
   WHERE NOT EXISTS (SELECT 1 FROM core_api.person_media pm
                      WHERE pm.person_pk = w.person_pk AND pm.media_pk = w.media_pk AND pm.deleted_at IS NULL)
  ON CONFLICT (person_pk, media_pk) WHERE deleted_at IS NULL DO NOTHING;
  RETURN QUERY SELECT * FROM core_api.person_media pm
                WHERE pm.person_pk = ANY (page) AND pm.deleted_at IS NULL
                ORDER BY pm.person_pk, pm.created_at, pm.pk;
END $$;
RESET client_min_messages;
