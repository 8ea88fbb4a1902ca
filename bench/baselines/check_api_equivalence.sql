-- The PL/pgSQL API (bench/baselines/api_plpgsql.sql) must do what the
-- extension's does, or the txmix comparison means nothing: bench/run.sh
-- runs this script with :api = person_pivots (the extension's triggers
-- enabled) and :api = bench_plpgsql (the PL/pgSQL triggers enabled) and
-- stops if the outputs differ. Calls as the application role, each step's
-- returned rows and the tables' state afterwards; errors as SQLSTATE.
-- Row pks and timestamps are left out (sequence values may differ).
\set ECHO none
\set ON_ERROR_STOP 0
\set VERBOSITY sqlstate
SET client_min_messages = warning;
TRUNCATE core_api.person_media, core_api.person_locations RESTART IDENTITY;
SET ROLE pp_app;
\set s1 '{"x-hasura-role":"user","x-hasura-workspace-id":"aaaaaaaa-0000-0000-0000-000000000001"}'
\set s2 '{"x-hasura-role":"user","x-hasura-workspace-id":"aaaaaaaa-0000-0000-0000-000000000002"}'
\set cols 'person_pk, location_pk, label, is_primary, is_legal, deleted_at IS NULL AS active'
\set locations 'SELECT ''locations'', person_pk, location_pk, label, is_primary, is_legal, deleted_at IS NULL AS active FROM core_api.person_locations ORDER BY person_pk, location_pk, deleted_at NULLS FIRST, label;'
\set media 'SELECT ''media'', person_pk, media_pk, deleted_at IS NULL AS active FROM core_api.person_media ORDER BY person_pk, media_pk, deleted_at NULLS FIRST;'

-- link, relink, set_primary, unlink
SELECT 'link 11 primary', :cols FROM :api.link_person_location(bench.person_uuid(1), bench.location_uuid(11), 'Home', true, hasura_session => :'s1');
SELECT 'link 12', :cols FROM :api.link_person_location(bench.person_uuid(1), bench.location_uuid(12), 'Office', hasura_session => :'s1');
SELECT 'set_primary 12', :cols FROM :api.set_primary_location(bench.person_uuid(1), bench.location_uuid(12), hasura_session => :'s1');
SELECT 'set_primary 12 again', :cols FROM :api.set_primary_location(bench.person_uuid(1), bench.location_uuid(12), hasura_session => :'s1');
SELECT 'link 11 primary again', :cols FROM :api.link_person_location(bench.person_uuid(1), bench.location_uuid(11), 'Home', true, hasura_session => :'s1');
SELECT 'link 11 unchanged', :cols FROM :api.link_person_location(bench.person_uuid(1), bench.location_uuid(11), 'Home', true, hasura_session => :'s1');
SELECT 'link 11 not primary', :cols FROM :api.link_person_location(bench.person_uuid(1), bench.location_uuid(11), 'Home', false, true, hasura_session => :'s1');
SELECT 'unlink 12', :cols FROM :api.unlink_person_location(bench.person_uuid(1), bench.location_uuid(12), hasura_session => :'s1');
SELECT 'unlink 12 again', :cols FROM :api.unlink_person_location(bench.person_uuid(1), bench.location_uuid(12), hasura_session => :'s1');
SELECT 'set_primary unlinked', :cols FROM :api.set_primary_location(bench.person_uuid(1), bench.location_uuid(12), hasura_session => :'s1');
SELECT 'relink 12 primary', :cols FROM :api.link_person_location(bench.person_uuid(1), bench.location_uuid(12), 'Office', true, true, hasura_session => :'s1');
:locations

-- one transaction of several calls (a Hasura mutation), scope from hasura.user
BEGIN;
SET LOCAL "hasura.user" = :'s1';
SELECT 'tx unlink 11', :cols FROM :api.unlink_person_location(bench.person_uuid(1), bench.location_uuid(11));
SELECT 'tx link 11 primary', :cols FROM :api.link_person_location(bench.person_uuid(1), bench.location_uuid(11), 'Home again', true);
SELECT 'tx link 13', :cols FROM :api.link_person_location(bench.person_uuid(1), bench.location_uuid(13), 'Depot');
SELECT 'tx set_primary 13', :cols FROM :api.set_primary_location(bench.person_uuid(1), bench.location_uuid(13));
COMMIT;
:locations

-- sync, one person and a page
SELECT 'sync 1', :cols FROM :api.sync_person_locations(bench.person_uuid(1), jsonb_build_array(
  jsonb_build_object('location_id', bench.location_uuid(14), 'label', 'New', 'is_primary', true),
  jsonb_build_object('location_id', bench.location_uuid(11), 'label', 'Home again'),
  jsonb_build_object('location_id', bench.location_uuid(12), 'label', 'Office', 'is_legal', true),
  jsonb_build_object('location_id', bench.location_uuid(12), 'label', 'Office', 'is_legal', true)), hasura_session => :'s1');
SELECT 'sync page', :cols FROM :api.sync_person_locations_batch(jsonb_build_object(
  bench.person_uuid(2), jsonb_build_array(
    jsonb_build_object('location_id', bench.location_uuid(11), 'label', 'H2', 'is_primary', true),
    jsonb_build_object('location_id', bench.location_uuid(15), 'label', 'W2', 'is_primary', null)),
  bench.person_uuid(1), jsonb_build_array(
    jsonb_build_object('location_id', bench.location_uuid(11), 'label', 'Home again', 'is_primary', true),
    jsonb_build_object('location_id', bench.location_uuid(14), 'label', 'New')),
  bench.person_uuid(3), '[]'::jsonb), hasura_session => :'s1');
SELECT 'sync page empty person', :cols FROM :api.sync_person_locations_batch(jsonb_build_object(
  bench.person_uuid(2), '[]'::jsonb), hasura_session => :'s1');
:locations
SELECT 'active 1', :cols FROM :api.person_active_locations(bench.person_uuid(1), hasura_session => :'s1');

-- errors: each leaves nothing behind
SELECT 'two primaries' FROM :api.sync_person_locations(bench.person_uuid(1), jsonb_build_array(
  jsonb_build_object('location_id', bench.location_uuid(11), 'label', 'a', 'is_primary', true),
  jsonb_build_object('location_id', bench.location_uuid(12), 'label', 'b', 'is_primary', true)), hasura_session => :'s1');
SELECT 'conflicting repeat' FROM :api.sync_person_locations(bench.person_uuid(1), jsonb_build_array(
  jsonb_build_object('location_id', bench.location_uuid(11), 'label', 'a'),
  jsonb_build_object('location_id', bench.location_uuid(11), 'label', 'b')), hasura_session => :'s1');
SELECT 'label missing' FROM :api.sync_person_locations(bench.person_uuid(1), jsonb_build_array(
  jsonb_build_object('location_id', bench.location_uuid(11))), hasura_session => :'s1');
SELECT 'unknown key' FROM :api.sync_person_locations(bench.person_uuid(1), jsonb_build_array(
  jsonb_build_object('location_id', bench.location_uuid(11), 'label', 'a', 'primary', true)), hasura_session => :'s1');
SELECT 'flag not boolean' FROM :api.sync_person_locations(bench.person_uuid(1), jsonb_build_array(
  jsonb_build_object('location_id', bench.location_uuid(11), 'label', 'a', 'is_primary', 'yes')), hasura_session => :'s1');
SELECT 'location missing' FROM :api.sync_person_locations(bench.person_uuid(1), jsonb_build_array(
  jsonb_build_object('location_id', 'dddddddd-0000-4000-8000-000000000000', 'label', 'a')), hasura_session => :'s1');
SELECT 'bad uuid' FROM :api.sync_person_locations(bench.person_uuid(1), jsonb_build_array(
  jsonb_build_object('location_id', 'nope', 'label', 'a')), hasura_session => :'s1');
SELECT 'page not object' FROM :api.sync_person_locations_batch('[]', hasura_session => :'s1');
SELECT 'page person missing' FROM :api.sync_person_locations_batch(jsonb_build_object(
  'b0000000-0000-4000-8000-ffffffffffff', '[]'::jsonb), hasura_session => :'s1');
SELECT 'person missing' FROM :api.link_person_location('b0000000-0000-4000-8000-ffffffffffff', bench.location_uuid(11), 'x', hasura_session => :'s1');
SELECT 'location missing' FROM :api.link_person_location(bench.person_uuid(1), 'dddddddd-0000-4000-8000-000000000000', 'x', hasura_session => :'s1');
SELECT 'other workspace' FROM :api.link_person_location(bench.person_uuid(1), bench.location_uuid(11), 'x', hasura_session => :'s2');
SELECT 'label too long' FROM :api.link_person_location(bench.person_uuid(1), bench.location_uuid(11), repeat('x', 256), hasura_session => :'s1');
SELECT 'label null' FROM :api.link_person_location(bench.person_uuid(1), bench.location_uuid(11), NULL, hasura_session => :'s1');
SELECT 'session not object' FROM :api.unlink_person_location(bench.person_uuid(1), bench.location_uuid(11), hasura_session => '[]');
SELECT 'workspace not uuid' FROM :api.unlink_person_location(bench.person_uuid(1), bench.location_uuid(11), hasura_session => '{"x-hasura-workspace-id": "x"}');
SELECT 'workspace unknown' FROM :api.unlink_person_location(bench.person_uuid(1), bench.location_uuid(11), hasura_session => '{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-00000000000f"}');
SELECT 'user without workspace' FROM :api.unlink_person_location(bench.person_uuid(1), bench.location_uuid(11), hasura_session => '{"x-hasura-role": "user"}');
SELECT 'admin', :cols FROM :api.person_active_locations(bench.person_uuid(3), hasura_session => '{"x-hasura-role": "admin"}');
BEGIN;
SET LOCAL "hasura.user" = 'not json';
SELECT 'hasura.user not json' FROM :api.unlink_person_location(bench.person_uuid(1), bench.location_uuid(11));
ROLLBACK;
BEGIN;
SET LOCAL "hasura.user" = :'s2';
SELECT 'hasura.user other workspace' FROM :api.unlink_person_location(bench.person_uuid(1), bench.location_uuid(11));
ROLLBACK;
:locations

-- media
SELECT 'link media 11', person_pk, media_pk FROM :api.link_person_media(bench.person_uuid(1), bench.media_uuid(11), hasura_session => :'s1');
SELECT 'link media 12', person_pk, media_pk FROM :api.link_person_media(bench.person_uuid(1), bench.media_uuid(12), hasura_session => :'s1');
SELECT 'link media 11 again', person_pk, media_pk FROM :api.link_person_media(bench.person_uuid(1), bench.media_uuid(11), hasura_session => :'s1');
SELECT 'unlink media 12', person_pk, media_pk, deleted_at IS NULL FROM :api.unlink_person_media(bench.person_uuid(1), bench.media_uuid(12), hasura_session => :'s1');
SELECT 'unlink media 12 again', person_pk, media_pk FROM :api.unlink_person_media(bench.person_uuid(1), bench.media_uuid(12), hasura_session => :'s1');
SELECT 'media missing' FROM :api.link_person_media(bench.person_uuid(1), 'cccccccc-0000-4000-8000-000000000000', hasura_session => :'s1');
SELECT 'sync media 1', person_pk, media_pk FROM :api.sync_person_media(bench.person_uuid(1),
  ARRAY[bench.media_uuid(13), bench.media_uuid(11)], hasura_session => :'s1');
SELECT 'sync media page', person_pk, media_pk FROM :api.sync_person_media_batch(jsonb_build_object(
  bench.person_uuid(1), jsonb_build_array(bench.media_uuid(11), bench.media_uuid(14)),
  bench.person_uuid(2), jsonb_build_array(bench.media_uuid(12))), hasura_session => :'s1');
SELECT 'active media 1', person_pk, media_pk FROM :api.person_active_media(bench.person_uuid(1), hasura_session => :'s1');
:media

RESET ROLE;
TRUNCATE core_api.person_media, core_api.person_locations RESTART IDENTITY;
\set ON_ERROR_STOP 1
