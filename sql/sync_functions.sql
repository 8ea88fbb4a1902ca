-- person_pivots sync functions: sync_person_media, sync_person_locations and
-- their batch forms. After a call the active set equals the input: rows that
-- stay get no write (same xmin), gone rows are soft-deleted, new pairs are
-- inserted, location labels/flags change in place, the primary moves without
-- a conflict. A batch equals one single call per person. Bad input fails
-- with a class 22/23 SQLSTATE before any write.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never
\set p1 '''11111111-0000-0000-0000-000000000001'''
\set p2 '''11111111-0000-0000-0000-000000000002'''
\set p3 '''11111111-0000-0000-0000-000000000003'''
\set p4 '''11111111-0000-0000-0000-000000000004'''
\set px '''11111111-0000-0000-0000-00000000000f'''
\set m1 '''22222222-0000-0000-0000-000000000001'''
\set m2 '''22222222-0000-0000-0000-000000000002'''
\set m3 '''22222222-0000-0000-0000-000000000003'''
\set m4 '''22222222-0000-0000-0000-000000000004'''
\set mx '''22222222-0000-0000-0000-00000000000f'''
\set ws1 '''{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000001"}'''
SET ROLE pp_app;

-- Helpers. mark() remembers every pivot row's version; media() and
-- locations() list the rows with what happened since: untouched (same
-- xmin), written (created_at kept or not), or new.
CREATE TEMP TABLE snap_media AS
  SELECT pk, xmin::text AS x, created_at FROM core_api.person_media WITH NO DATA;
CREATE TEMP TABLE snap_locations AS
  SELECT pk, xmin::text AS x, created_at FROM core_api.person_locations WITH NO DATA;
CREATE FUNCTION pg_temp.mark() RETURNS void LANGUAGE sql AS $$
  DELETE FROM pg_temp.snap_media;
  INSERT INTO pg_temp.snap_media SELECT pk, xmin::text, created_at FROM core_api.person_media;
  DELETE FROM pg_temp.snap_locations;
  INSERT INTO pg_temp.snap_locations SELECT pk, xmin::text, created_at FROM core_api.person_locations;
$$;
CREATE FUNCTION pg_temp.change(seen boolean, same_version boolean, same_created boolean) RETURNS text
  LANGUAGE sql AS $$
  SELECT CASE WHEN NOT seen THEN 'new' WHEN same_version THEN 'untouched'
              WHEN same_created THEN 'written' ELSE 'written, created_at changed' END
$$;
CREATE FUNCTION pg_temp.media() RETURNS TABLE (pk int, person_pk int, media_pk int, active boolean, change text)
  LANGUAGE sql AS $$
  SELECT m.pk, m.person_pk, m.media_pk, m.deleted_at IS NULL,
         pg_temp.change(s.pk IS NOT NULL, s.x = m.xmin::text, s.created_at = m.created_at)
  FROM core_api.person_media m LEFT JOIN pg_temp.snap_media s ON s.pk = m.pk ORDER BY m.pk
$$;
CREATE FUNCTION pg_temp.locations()
  RETURNS TABLE (pk int, person_pk int, location_pk int, label varchar, is_primary boolean, is_legal boolean,
                 active boolean, change text)
  LANGUAGE sql AS $$
  SELECT l.pk, l.person_pk, l.location_pk, l.label, l.is_primary, l.is_legal, l.deleted_at IS NULL,
         pg_temp.change(s.pk IS NOT NULL, s.x = l.xmin::text, s.created_at = l.created_at)
  FROM core_api.person_locations l LEFT JOIN pg_temp.snap_locations s ON s.pk = l.pk ORDER BY l.pk
$$;
-- Everything about the pivots that a write would change: every row
-- version, and the pk sequences (which an attempted insert advances even
-- when it is rolled back).
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
  SELECT md5(concat(
    (SELECT string_agg(concat_ws(',', pk, xmin, person_pk, media_pk, created_at, updated_at, deleted_at), ';'
                       ORDER BY pk) FROM core_api.person_media),
    (SELECT string_agg(concat_ws(',', pk, xmin, person_pk, location_pk, label, is_primary, is_legal, created_at,
                                 deleted_at), ';' ORDER BY pk) FROM core_api.person_locations),
    pg_catalog.pg_sequence_last_value('core_api.person_media_pk_seq'),
    pg_catalog.pg_sequence_last_value('core_api.person_locations_pk_seq')))
$$;
-- Rows inserted, updated or deleted in the pivots by this transaction so
-- far, counting attempts that were rolled back.
CREATE FUNCTION pg_temp.writes() RETURNS bigint LANGUAGE sql AS $$
  SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_xact_user_tables
  WHERE relid IN ('core_api.person_media'::regclass, 'core_api.person_locations'::regclass)
$$;
-- Runs one bad call: its error, whether the pivots are exactly as before,
-- and how many row writes it attempted (0: validation came first).
CREATE FUNCTION pg_temp.bad(call text) RETURNS TABLE (error text, unchanged boolean, writes bigint)
  LANGUAGE plpgsql AS $$
DECLARE
  before text := pg_temp.state();
  writes_before bigint := pg_temp.writes();
BEGIN
  BEGIN
    EXECUTE call;
    error := 'no error';
  EXCEPTION WHEN OTHERS THEN
    error := SQLSTATE || ': ' || SQLERRM;
  END;
  unchanged := pg_temp.state() = before;
  writes := pg_temp.writes() - writes_before;
  RETURN NEXT;
END
$$;

--------------------------------------------------------------------------------
-- sync_person_media
--------------------------------------------------------------------------------
-- all new; a repeated id counts once
SELECT pg_temp.mark();
SELECT pk, person_pk, media_pk FROM person_pivots.sync_person_media(:p1, ARRAY[:m1, :m2, :m1]::uuid[]);
SELECT * FROM pg_temp.media();
-- the same set in another order (and with a session): no write at all
SELECT pg_temp.mark();
SELECT pk, person_pk, media_pk FROM person_pivots.sync_person_media(:p1, ARRAY[:m2, :m1]::uuid[], :ws1);
SELECT * FROM pg_temp.media();
-- churn: m1 is gone (soft-deleted), m2 stays untouched, m3 is new
SELECT pg_temp.mark();
SELECT pk, person_pk, media_pk FROM person_pivots.sync_person_media(:p1, ARRAY[:m3, :m2]::uuid[]);
SELECT * FROM pg_temp.media();
SELECT count(*) AS deleted_now FROM core_api.person_media
  WHERE pk = 1 AND deleted_at IS NOT NULL AND updated_at = deleted_at;
-- all gone: nothing is returned, both rows are soft-deleted
SELECT pg_temp.mark();
SELECT count(*) AS returned FROM person_pivots.sync_person_media(:p1, '{}');
SELECT * FROM pg_temp.media();
-- linking a pair again makes a new row; history stays; any uuid spelling works
SELECT pg_temp.mark();
SELECT pk, person_pk, media_pk
  FROM person_pivots.sync_person_media(:p1, ARRAY[upper(:m1), '{22222222000000000000000000000002}']::uuid[]);
SELECT * FROM pg_temp.media();

--------------------------------------------------------------------------------
-- sync_person_media_batch
--------------------------------------------------------------------------------
-- one page: p1 changes, p2 is new, p3 repeats an id; keys in any spelling
SELECT pg_temp.mark();
SELECT pk, person_pk, media_pk FROM person_pivots.sync_person_media_batch(jsonb_build_object(
  :p1, jsonb_build_array(:m2, :m3),
  upper(:p2), jsonb_build_array(:m1),
  :p3, jsonb_build_array(:m3, :m3, :m1, :m3)));
SELECT * FROM pg_temp.media();
-- the same page again: no write at all
SELECT pg_temp.mark();
SELECT count(*) AS returned FROM person_pivots.sync_person_media_batch(jsonb_build_object(
  :p1, jsonb_build_array(:m3, :m2), :p2, jsonb_build_array(:m1), :p3, jsonb_build_array(:m1, :m3)), :ws1);
SELECT count(*) FILTER (WHERE change <> 'untouched') AS changed FROM pg_temp.media();
-- an empty page does nothing
SELECT count(*) AS returned FROM person_pivots.sync_person_media_batch('{}');
-- a batch equals one single call per person: same active pairs, same history
BEGIN;
SELECT count(*) FROM person_pivots.sync_person_media(:p1, ARRAY[:m1]::uuid[]);
SELECT count(*) FROM person_pivots.sync_person_media(:p2, '{}');
SELECT count(*) FROM person_pivots.sync_person_media(:p3, ARRAY[:m2, :m3, :m2]::uuid[]);
SELECT string_agg(concat(person_pk, ':', media_pk, CASE WHEN deleted_at IS NULL THEN '' ELSE ' (deleted)' END), ', '
                  ORDER BY person_pk, media_pk, deleted_at) AS via_single
  FROM core_api.person_media \gset
ROLLBACK;
SELECT count(*) AS returned FROM person_pivots.sync_person_media_batch(jsonb_build_object(
  :p1, jsonb_build_array(:m1), :p2, jsonb_build_array(), :p3, jsonb_build_array(:m2, :m3, :m2)));
SELECT string_agg(concat(person_pk, ':', media_pk, CASE WHEN deleted_at IS NULL THEN '' ELSE ' (deleted)' END), ', '
                  ORDER BY person_pk, media_pk, deleted_at) = :'via_single' AS same_as_single,
       :'via_single' AS rows
  FROM core_api.person_media;
-- what the batch returns is the page's active rows
SELECT pk, person_pk, media_pk FROM person_pivots.sync_person_media_batch(jsonb_build_object(
  :p1, jsonb_build_array(:m1), :p3, jsonb_build_array(:m3, :m2)));

--------------------------------------------------------------------------------
-- sync_person_locations
--------------------------------------------------------------------------------
-- all new: label is required, absent or null flags are false
SELECT pg_temp.mark();
SELECT pk, person_pk, location_pk, label, is_primary, is_legal FROM person_pivots.sync_person_locations(:p1, '[
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_primary": true},
  {"location_id": "33333333-0000-0000-0000-000000000002", "label": "Work", "is_legal": true},
  {"location_id": "33333333-0000-0000-0000-000000000003", "label": "Cabin", "is_primary": null, "is_legal": null}]');
SELECT * FROM pg_temp.locations();
-- the same input in another order, with an identical repeat: no write at all
SELECT pg_temp.mark();
SELECT count(*) AS returned FROM person_pivots.sync_person_locations(:p1, '[
  {"location_id": "33333333-0000-0000-0000-000000000003", "label": "Cabin", "is_legal": false},
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_primary": true, "is_legal": false},
  {"location_id": "33333333-0000-0000-0000-000000000002", "label": "Work", "is_legal": true},
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_primary": true}]', :ws1);
SELECT * FROM pg_temp.locations();
-- label and flags change in place (created_at kept); Cabin is gone
SELECT pg_temp.mark();
SELECT pk, location_pk, label, is_primary, is_legal FROM person_pivots.sync_person_locations(:p1, '[
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_primary": true},
  {"location_id": "33333333-0000-0000-0000-000000000002", "label": "Head office", "is_legal": false}]');
SELECT * FROM pg_temp.locations();
-- the primary moves to an existing row: demoted and promoted in place
SELECT pg_temp.mark();
SELECT pk, location_pk, label, is_primary FROM person_pivots.sync_person_locations(:p1, '[
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home"},
  {"location_id": "33333333-0000-0000-0000-000000000002", "label": "Head office", "is_primary": true}]');
SELECT * FROM pg_temp.locations();
-- in strict mode too: the old primary goes before the new one comes, so
-- there is never a second primary to refuse; here it moves to a new row
-- while the old primary's row is soft-deleted
SET person_pivots.primary_conflict = 'error';
SELECT pg_temp.mark();
SELECT pk, location_pk, label, is_primary FROM person_pivots.sync_person_locations(:p1, '[
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home"},
  {"location_id": "33333333-0000-0000-0000-000000000004", "label": "Studio", "is_primary": true}]');
SELECT * FROM pg_temp.locations();
-- and from one existing row to another
SELECT location_pk, is_primary FROM person_pivots.sync_person_locations(:p1, '[
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_primary": true},
  {"location_id": "33333333-0000-0000-0000-000000000004", "label": "Studio"}]');
RESET person_pivots.primary_conflict;
-- an input without a primary leaves the person without one
SELECT location_pk, is_primary FROM person_pivots.sync_person_locations(:p1, '[
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home"},
  {"location_id": "33333333-0000-0000-0000-000000000004", "label": "Studio"}]');
-- a label of 255 characters (510 bytes) is fine
SELECT location_pk, length(label) AS chars, octet_length(label) AS bytes
  FROM person_pivots.sync_person_locations(:p2, jsonb_build_array(jsonb_build_object(
    'location_id', '33333333-0000-0000-0000-000000000001', 'label', repeat('é', 255))));
-- all gone
SELECT pg_temp.mark();
SELECT count(*) AS returned FROM person_pivots.sync_person_locations(:p2, '[]');
SELECT pk, person_pk, location_pk, active, change FROM pg_temp.locations() WHERE change <> 'untouched';

--------------------------------------------------------------------------------
-- sync_person_locations_batch
--------------------------------------------------------------------------------
-- one page: p1 gets a primary, p2 starts over, p3 is new
SELECT pg_temp.mark();
SELECT pk, person_pk, location_pk, label, is_primary, is_legal FROM person_pivots.sync_person_locations_batch('{
  "11111111-0000-0000-0000-000000000001": [
    {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home"},
    {"location_id": "33333333-0000-0000-0000-000000000004", "label": "Studio", "is_primary": true}],
  "11111111-0000-0000-0000-000000000002": [
    {"location_id": "33333333-0000-0000-0000-000000000002", "label": "Work", "is_primary": true, "is_legal": true}],
  "11111111-0000-0000-0000-000000000003": [
    {"location_id": "33333333-0000-0000-0000-000000000003", "label": "Cabin"},
    {"location_id": "33333333-0000-0000-0000-000000000003", "label": "Cabin"}]}');
SELECT * FROM pg_temp.locations() WHERE change <> 'untouched';
-- a batch equals one single call per person, strict mode included
SET person_pivots.primary_conflict = 'error';
BEGIN;
SELECT count(*) FROM person_pivots.sync_person_locations(:p1, '[
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_primary": true},
  {"location_id": "33333333-0000-0000-0000-000000000002", "label": "Work"}]');
SELECT count(*) FROM person_pivots.sync_person_locations(:p2, '[]');
SELECT count(*) FROM person_pivots.sync_person_locations(:p3, '[
  {"location_id": "33333333-0000-0000-0000-000000000003", "label": "Cabin", "is_primary": true},
  {"location_id": "33333333-0000-0000-0000-000000000004", "label": "Studio", "is_legal": true}]');
SELECT string_agg(concat_ws(':', person_pk, location_pk, label, is_primary, is_legal,
                            CASE WHEN deleted_at IS NULL THEN 'active' ELSE 'deleted' END), ', '
                  ORDER BY person_pk, location_pk, deleted_at, label) AS via_single
  FROM core_api.person_locations \gset
ROLLBACK;
SELECT count(*) AS returned FROM person_pivots.sync_person_locations_batch('{
  "11111111-0000-0000-0000-000000000001": [
    {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_primary": true},
    {"location_id": "33333333-0000-0000-0000-000000000002", "label": "Work"}],
  "11111111-0000-0000-0000-000000000002": [],
  "11111111-0000-0000-0000-000000000003": [
    {"location_id": "33333333-0000-0000-0000-000000000003", "label": "Cabin", "is_primary": true},
    {"location_id": "33333333-0000-0000-0000-000000000004", "label": "Studio", "is_legal": true}]}');
SELECT string_agg(concat_ws(':', person_pk, location_pk, label, is_primary, is_legal,
                            CASE WHEN deleted_at IS NULL THEN 'active' ELSE 'deleted' END), ', '
                  ORDER BY person_pk, location_pk, deleted_at, label) = :'via_single' AS same_as_single
  FROM core_api.person_locations;
RESET person_pivots.primary_conflict;
-- one active primary per person, always
SELECT person_pk, count(*) AS primaries FROM core_api.person_locations
  WHERE is_primary AND deleted_at IS NULL GROUP BY person_pk ORDER BY person_pk;

--------------------------------------------------------------------------------
-- Bad input, one per line: the error (SQLSTATE: message), whether the pivots
-- are exactly as before, and how many row writes were attempted.
--------------------------------------------------------------------------------
-- the checker itself: a call that writes and then fails shows its writes
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_media(%L, '{}'); SELECT 1/0$$, :p1));
-- sync_person_media
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media(NULL, ARRAY[%L]::uuid[])', :m1));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media(%L, NULL)', :p1));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media(%L, ARRAY[%L, NULL]::uuid[])', :p1, :m2));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media(%L, ARRAY[%L]::uuid[])', :px, :m1));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media(%L, ARRAY[%L, %L, %L]::uuid[])', :p1, :m2, :mx, :m3));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media(%L, ARRAY[%L]::uuid[])', :p1, :m4));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media(%L, ARRAY[%L]::uuid[], %L)', :p1, :m4, :ws1));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media(%L, %L, %L)', :p4, '{}', :ws1));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media(%L, ARRAY[%L]::uuid[])', :p1, 'not-a-uuid'));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media(%L, %L, %L)', :p1, '{}',
  '{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-00000000000f"}'));
-- sync_person_media_batch: shapes
SELECT * FROM pg_temp.bad('SELECT person_pivots.sync_person_media_batch(NULL)');
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('[]')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('null')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('"11111111-0000-0000-0000-000000000001"')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('{"11111111-0000-0000-0000-000000000001": ["22222222-0000-0000-0000-000000000001"')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('{"person 1": []}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('{"11111111-0000-0000-0000-000000000001": "22222222-0000-0000-0000-000000000001"}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('{"11111111-0000-0000-0000-000000000001": {}}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('{"11111111-0000-0000-0000-000000000001": null}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('{"11111111-0000-0000-0000-000000000001": ["22222222-0000-0000-0000-000000000001", null]}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('{"11111111-0000-0000-0000-000000000001": [42]}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('{"11111111-0000-0000-0000-000000000001": [["22222222-0000-0000-0000-000000000001"]]}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('{"11111111-0000-0000-0000-000000000001": ["22222222-0000-0000-0000-00000000001"]}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_media_batch('{"11111111-0000-0000-0000-000000000001": [], "{11111111-0000-0000-0000-000000000001}": []}')$$);
-- sync_person_media_batch: existence and scope; valid people before the
-- offender would have changed, and still nothing is written
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media_batch(%L)', jsonb_build_object(
  :p1, jsonb_build_array(:m2, :m3), :px, jsonb_build_array(:m1))));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media_batch(%L)', jsonb_build_object(
  :p1, jsonb_build_array(:m2, :m3), :p2, jsonb_build_array(:m1, :mx), :p3, jsonb_build_array(:mx))));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media_batch(%L)', jsonb_build_object(
  :p1, jsonb_build_array(:m2), :p2, jsonb_build_array(:m4))));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media_batch(%L, %L)', jsonb_build_object(
  :p1, jsonb_build_array(:m2), :p2, jsonb_build_array(:m4)), :ws1));
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_media_batch(%L, %L)', jsonb_build_object(
  :p1, jsonb_build_array(:m2), :p4, jsonb_build_array()), :ws1));
-- sync_person_locations
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_locations(NULL, '[]')$$);
SELECT * FROM pg_temp.bad(format('SELECT person_pivots.sync_person_locations(%L, NULL)', :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '{}')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, 'null')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[null]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '["33333333-0000-0000-0000-000000000001"]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[{"label": "Home"}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[{"location_id": null, "label": "Home"}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[{"location_id": 1, "label": "Home"}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[{"location_id": "33333333", "label": "Home"}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[{"location_id": "33333333-0000-0000-0000-000000000001"}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[{"location_id": "33333333-0000-0000-0000-000000000001", "label": null}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[{"location_id": "33333333-0000-0000-0000-000000000001", "label": 7}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, %L)$$, :p1, jsonb_build_array(jsonb_build_object(
  'location_id', '33333333-0000-0000-0000-000000000001', 'label', repeat('x', 256)))));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[{"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_primary": "yes"}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[{"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_legal": 1}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[{"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "primary": true}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_primary": true},
  {"location_id": "33333333-0000-0000-0000-000000000002", "label": "Work", "is_primary": true}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home"},
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Office"}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[
  {"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home", "is_primary": true},
  {"location_id": "33333333-0000-0000-0000-00000000000f", "label": "Nowhere"}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[
  {"location_id": "33333333-0000-0000-0000-000000000005", "label": "Abroad"}]')$$, :p1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[
  {"location_id": "33333333-0000-0000-0000-000000000005", "label": "Abroad"}]', %L)$$, :p1, :ws1));
SELECT * FROM pg_temp.bad(format($$SELECT person_pivots.sync_person_locations(%L, '[]', %L)$$, :p4, :ws1));
-- sync_person_locations_batch
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_locations_batch(NULL)$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_locations_batch('[]')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_locations_batch('{"11111111-0000-0000-0000-000000000001": {}}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_locations_batch('{"11111111-0000-0000-0000-000000000001": [], "11111111-0000-0000-0000-00000000000g": []}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_locations_batch('{
  "11111111-0000-0000-0000-000000000001": [{"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home"}],
  "11111111-0000-0000-0000-000000000002": [{"location_id": "33333333-0000-0000-0000-000000000001", "label": "A", "is_primary": true},
                                           {"location_id": "33333333-0000-0000-0000-000000000002", "label": "B", "is_primary": true}]}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_locations_batch('{
  "11111111-0000-0000-0000-000000000001": [],
  "11111111-0000-0000-0000-00000000000f": [{"location_id": "33333333-0000-0000-0000-000000000001", "label": "Home"}]}')$$);
SELECT * FROM pg_temp.bad($$SELECT person_pivots.sync_person_locations_batch('{
  "11111111-0000-0000-0000-000000000001": [],
  "11111111-0000-0000-0000-000000000002": [{"location_id": "33333333-0000-0000-0000-000000000005", "label": "Abroad"}]}',
  '{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000001"}')$$);
RESET ROLE;

--------------------------------------------------------------------------------
-- Memory: repeated large pages leave nothing behind in the backend (the page
-- and per-person contexts go with each call; a leak of one page's data
-- would be megabytes). 500 people x 20 media, 100% churn per call.
--------------------------------------------------------------------------------
INSERT INTO core_api.people (person_id, workspace_pk)
  SELECT ('44444444-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 1 FROM generate_series(1, 500) i;
INSERT INTO core_api.media (media_id, workspace_pk)
  SELECT ('55555555-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 1 FROM generate_series(1, 40) i;
CREATE TEMP TABLE pages AS
  SELECT k, jsonb_object_agg(p.person_id, (
           SELECT jsonb_agg(m.media_id ORDER BY m.pk) FROM core_api.media m
           WHERE m.media_id::text LIKE '55555555%' AND (m.pk + p.pk + k) % 2 = 0)) AS people
  FROM core_api.people p, generate_series(0, 1) k
  WHERE p.person_id::text LIKE '44444444%' GROUP BY k;
SELECT count(*) AS rows FROM pages, person_pivots.sync_person_media_batch(people) WHERE k = 0;
SELECT count(*) AS rows FROM pages, person_pivots.sync_person_media_batch(people) WHERE k = 1;
-- the same query before and after, so its own memory cancels out; the
-- process's anonymous memory too, which also sees what the diff core's
-- Boost containers allocate outside PostgreSQL's memory contexts
SELECT sum(total_bytes) AS bytes, pp_test.process_memory_kb() AS kb FROM pg_backend_memory_contexts \gset before_
SELECT count(*) AS rows FROM pages, person_pivots.sync_person_media_batch(people) WHERE k = 0;
SELECT count(*) AS rows FROM pages, person_pivots.sync_person_media_batch(people) WHERE k = 1;
SELECT count(*) AS rows FROM pages, person_pivots.sync_person_media_batch(people) WHERE k = 0;
SELECT sum(total_bytes) AS bytes, pp_test.process_memory_kb() AS kb FROM pg_backend_memory_contexts \gset after_
SELECT :after_bytes - :before_bytes < 64 * 1024 AS no_growth, :after_kb - :before_kb < 1024 AS no_process_growth;
SELECT count(*) FILTER (WHERE deleted_at IS NULL) AS active, count(*) AS all_rows FROM core_api.person_media
  WHERE person_pk > 4;
