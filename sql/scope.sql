-- Tenant scope: where the workspace comes from (hasura_session, else the
-- hasura.user setting, else none), cross-workspace probes for reads and
-- writes with either source, equal errors for absent and out-of-scope ids,
-- rule 6 for every writer, and the row-level security option on and off.
\i test/fixtures/host_schema.sql
SET client_min_messages = warning;
ALTER EXTENSION person_pivots UPDATE;
RESET client_min_messages;
\set SHOW_CONTEXT never
-- a failed statement inside BEGIN ... ROLLBACK leaves the block usable
\set ON_ERROR_ROLLBACK on
\set p1 '''11111111-0000-0000-0000-000000000001'''
\set p2 '''11111111-0000-0000-0000-000000000002'''
\set p4 '''11111111-0000-0000-0000-000000000004'''
\set m1 '''22222222-0000-0000-0000-000000000001'''
\set m4 '''22222222-0000-0000-0000-000000000004'''
\set l1 '''33333333-0000-0000-0000-000000000001'''
\set l2 '''33333333-0000-0000-0000-000000000002'''
\set l5 '''33333333-0000-0000-0000-000000000005'''
\set ws1 '''{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000001", "x-hasura-role": "user"}'''
\set ws2 '''{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000002", "x-hasura-role": "user"}'''
\set hu1 '{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000001", "x-hasura-role": "user"}'
\set hu2 '{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000002", "x-hasura-role": "user"}'

-- The error a statement raises, with every uuid replaced by <id>: the shape
-- two errors must share to be indistinguishable.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  state text;
  message text;
  hint text;
BEGIN
  EXECUTE statement;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
  RETURN state || ' ' || regexp_replace(message, '[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}', '<id>', 'g')
         || ' / ' || hint;
END $$;

SET ROLE pp_app;

-- 1. Sources. hasura.user never set in this session: unscoped, a trusted
-- caller reaches every workspace (rule 6 still holds: same-workspace pair)
SELECT current_setting('hasura.user', true) IS NULL AS hasura_user_missing;
SELECT person_pk, media_pk FROM person_pivots.link_person_media(:p4, :m4);
-- the session argument scopes
SELECT person_pk, media_pk FROM person_pivots.link_person_media(:p1, :m1, :ws1);
SELECT * FROM person_pivots.link_person_media(:p4, :m4, :ws1);
\echo :LAST_ERROR_SQLSTATE
-- hasura.user scopes, as Hasura sets it in a mutation transaction
BEGIN;
SET LOCAL "hasura.user" = :'hu1';
SELECT person_pk, media_pk FROM person_pivots.link_person_media(:p1, :m1);
SELECT * FROM person_pivots.link_person_media(:p4, :m4);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- the session argument wins over hasura.user
BEGIN;
SET LOCAL "hasura.user" = :'hu2';
SELECT person_pk, media_pk FROM person_pivots.link_person_media(:p1, :m1, :ws1);
SELECT * FROM person_pivots.link_person_media(:p4, :m4, :ws1);
ROLLBACK;
-- a session that names no workspace falls back to hasura.user
BEGIN;
SET LOCAL "hasura.user" = :'hu1';
SELECT * FROM person_pivots.link_person_media(:p4, :m4, '{"x-hasura-role": "user"}');
SELECT * FROM person_pivots.link_person_media(:p4, :m4, '{"x-hasura-role": "user", "x-hasura-workspace-id": null}');
SELECT * FROM person_pivots.link_person_media(:p4, :m4, '{"x-hasura-role": "user", "x-hasura-workspace-id": ""}');
ROLLBACK;
-- read defensively: empty, or no workspace key, is absent (unscoped)
BEGIN;
SET LOCAL "hasura.user" = '';
SELECT person_pk, media_pk FROM person_pivots.link_person_media(:p4, :m4);
SET LOCAL "hasura.user" = '{"x-hasura-role": "admin"}';
SELECT person_pk, media_pk FROM person_pivots.link_person_media(:p4, :m4);
-- ... but a broken setting is an error, never "unscoped"
SET LOCAL "hasura.user" = '{"x-hasura-workspace-id": ';
SELECT * FROM person_pivots.link_person_media(:p4, :m4);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- a workspace that does not exist is an error, from either source
SELECT * FROM person_pivots.person_active_media(:p1, '{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-00000000000f"}');
\echo :LAST_ERROR_SQLSTATE
BEGIN;
SET LOCAL "hasura.user" = '{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-00000000000f"}';
SELECT * FROM person_pivots.person_active_media(:p1);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET LOCAL "hasura.user" = '{"x-hasura-workspace-id": "workspace-1"}';
SELECT * FROM person_pivots.person_active_media(:p1);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- a function makes its session argument hasura.user for its own duration
-- only (the row-level security policies read it); the caller's value is back
BEGIN;
SET LOCAL "hasura.user" = :'hu2';
SELECT count(*) FROM person_pivots.person_active_media(:p1, :ws1);
SELECT current_setting('hasura.user') = :'hu2' AS caller_value_restored;
ROLLBACK;
SELECT count(*) FROM person_pivots.person_active_media(:p1, :ws1);
SELECT coalesce(current_setting('hasura.user', true), '') = '' AS still_unset;

-- 2. Cross-workspace probes, reads: another workspace's person has no links
-- (like an absent one), whichever source scopes
SELECT count(*) AS p4_unscoped FROM person_pivots.person_active_media(:p4);
SELECT count(*) AS p4_in_ws1 FROM person_pivots.person_active_media(:p4, :ws1);
SELECT count(*) AS absent_in_ws1 FROM person_pivots.person_active_media('11111111-0000-0000-0000-00000000000f', :ws1);
SELECT count(*) AS p4_in_ws2 FROM person_pivots.person_active_media(:p4, :ws2);
SELECT count(*) AS p1_in_ws2 FROM person_pivots.person_active_locations(:p1, :ws2);
BEGIN;
SET LOCAL "hasura.user" = :'hu1';
SELECT count(*) AS p4_hasura_user_ws1 FROM person_pivots.person_active_media(:p4);
SELECT count(*) AS p4_hasura_user_ws1 FROM person_pivots.person_active_locations(:p4);
ROLLBACK;

-- 3. Cross-workspace probes, writes: an id of another workspace fails
-- exactly like an id that does not exist (SQLSTATE, message shape, hint),
-- for every writer, with the session argument and with hasura.user
RESET ROLE;
INSERT INTO core_api.person_locations (person_pk, location_pk, label) VALUES (4, 5, 'ws2 home');
SET ROLE pp_app;
CREATE TEMP TABLE probes AS
SELECT * FROM (VALUES
  ('link_person_media person', 'link_person_media(%s, %L, %s)', :m1, 'person'),
  ('link_person_media media', 'link_person_media(%2$L, %1$s, %3$s)', :p1, 'media'),
  ('unlink_person_media person', 'unlink_person_media(%s, %L, %s)', :m1, 'person'),
  ('unlink_person_media media', 'unlink_person_media(%2$L, %1$s, %3$s)', :p1, 'media'),
  ('link_person_location person', 'link_person_location(%s, %L, ''Home'', false, false, %s)', :l1, 'person'),
  ('link_person_location location', 'link_person_location(%2$L, %1$s, ''Home'', false, false, %3$s)', :p1, 'location'),
  ('unlink_person_location person', 'unlink_person_location(%s, %L, %s)', :l1, 'person'),
  ('unlink_person_location location', 'unlink_person_location(%2$L, %1$s, %3$s)', :p1, 'location'),
  ('set_primary_location person', 'set_primary_location(%s, %L, %s)', :l1, 'person'),
  ('set_primary_location location', 'set_primary_location(%2$L, %1$s, %3$s)', :p1, 'location'),
  ('sync_person_media person', 'sync_person_media(%s, ARRAY[%L]::uuid[], %s)', :m1, 'person'),
  ('sync_person_media media', 'sync_person_media(%2$L, ARRAY[%1$s]::uuid[], %3$s)', :p1, 'media'),
  ('sync_person_media_batch person', 'sync_person_media_batch(jsonb_build_object(%s::text, jsonb_build_array(%L::text)), %s)', :m1, 'person'),
  ('sync_person_media_batch media', 'sync_person_media_batch(jsonb_build_object(%2$L::text, jsonb_build_array(%1$s::text)), %3$s)', :p1, 'media'),
  ('sync_person_locations person', 'sync_person_locations(%s, jsonb_build_array(jsonb_build_object(''location_id'', %L::text, ''label'', ''Home'')), %s)', :l1, 'person'),
  ('sync_person_locations location', 'sync_person_locations(%2$L, jsonb_build_array(jsonb_build_object(''location_id'', %1$s::text, ''label'', ''Home'')), %3$s)', :p1, 'location'),
  ('sync_person_locations_batch person', 'sync_person_locations_batch(jsonb_build_object(%s::text, jsonb_build_array(jsonb_build_object(''location_id'', %L::text, ''label'', ''Home''))), %s)', :l1, 'person'),
  ('sync_person_locations_batch location', 'sync_person_locations_batch(jsonb_build_object(%2$L::text, jsonb_build_array(jsonb_build_object(''location_id'', %1$s::text, ''label'', ''Home''))), %3$s)', :p1, 'location')
) AS t(probe, call, other_id, kind);
CREATE TEMP VIEW probe_errors AS
SELECT probe, source,
  pg_temp.error_of(format('SELECT * FROM person_pivots.' || call, quote_literal(absent_id), other_id, session)) AS absent,
  pg_temp.error_of(format('SELECT * FROM person_pivots.' || call, quote_literal(foreign_id), other_id, session)) AS out_of_scope
FROM probes
CROSS JOIN (VALUES ('session', quote_literal(:ws1)), ('hasura.user', 'NULL')) AS s(source, session)
CROSS JOIN LATERAL (SELECT
  CASE kind WHEN 'person' THEN '11111111-0000-0000-0000-00000000000f'
            WHEN 'media' THEN '22222222-0000-0000-0000-00000000000f'
            ELSE '33333333-0000-0000-0000-00000000000f' END AS absent_id,
  CASE kind WHEN 'person' THEN '11111111-0000-0000-0000-000000000004'
            WHEN 'media' THEN '22222222-0000-0000-0000-000000000004'
            ELSE '33333333-0000-0000-0000-000000000005' END AS foreign_id) ids;
SELECT count(*) AS rows_before FROM core_api.person_locations \gset
BEGIN;
SET LOCAL "hasura.user" = :'hu1';
SELECT probe, source, absent = out_of_scope AS same_error, out_of_scope AS error FROM probe_errors ORDER BY 1, 2;
ROLLBACK;
SELECT count(*) = :rows_before AS nothing_written FROM core_api.person_locations;
-- the probe can tell errors apart: unscoped, the foreign person exists
SELECT probe, absent = out_of_scope AS same_error, out_of_scope AS error
FROM (SELECT probe,
  pg_temp.error_of(format('SELECT * FROM person_pivots.' || call, quote_literal('11111111-0000-0000-0000-00000000000f'), other_id, 'NULL')) AS absent,
  pg_temp.error_of(format('SELECT * FROM person_pivots.' || call, quote_literal('11111111-0000-0000-0000-000000000004'), other_id, 'NULL')) AS out_of_scope
  FROM probes WHERE probe IN ('link_person_media person', 'set_primary_location person', 'sync_person_media person')) d ORDER BY 1;

-- 4. Rule 6 in the triggers, for every writer with or without a session:
-- the workspace of the person and of the target must match
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 4);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO core_api.person_locations (person_pk, location_pk, label) VALUES (4, 1, 'Office');
BEGIN;
SET LOCAL "hasura.user" = :'hu1';
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 4);
ROLLBACK;
BEGIN;
SET LOCAL "hasura.user" = :'hu2';
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (4, 1);
ROLLBACK;
-- a trusted (unscoped) function call crossing workspaces stops there too
SELECT * FROM person_pivots.link_person_location(:p4, :l1, 'Office');
\echo :LAST_ERROR_SQLSTATE
-- and so does a maintenance role
RESET ROLE;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (4, 1);
\echo :LAST_ERROR_SQLSTATE
MERGE INTO core_api.person_locations t USING (VALUES (1, 5)) s(person_pk, location_pk)
  ON t.person_pk = s.person_pk AND t.location_pk = s.location_pk
  WHEN NOT MATCHED THEN INSERT (person_pk, location_pk, label) VALUES (s.person_pk, s.location_pk, 'x');
COPY core_api.person_media (person_pk, media_pk) FROM stdin;
4	2
\.
\echo :LAST_ERROR_SQLSTATE

-- 5. Row-level security option. Off (the default): an unscoped
-- application role reads every workspace's rows
SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
  WHERE oid IN ('core_api.person_media'::regclass, 'core_api.person_locations'::regclass) ORDER BY 1;
SET ROLE pp_app;
SELECT person_pk, media_pk FROM core_api.person_media WHERE deleted_at IS NULL ORDER BY 1, 2;
RESET ROLE;
-- on: one call, idempotent
SELECT person_pivots_internal.enable_row_security();
SELECT person_pivots_internal.enable_row_security();
SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
  WHERE oid IN ('core_api.person_media'::regclass, 'core_api.person_locations'::regclass) ORDER BY 1;
SELECT tablename, policyname, cmd, roles FROM pg_policies WHERE schemaname = 'core_api' ORDER BY 1;
SET ROLE pp_app;
-- no scope, no rows; nothing can be written either
SELECT count(*) AS unscoped_sees FROM core_api.person_media;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (2, 1);
\echo :LAST_ERROR_SQLSTATE
-- scoped by hasura.user: only the workspace's rows, reads and writes
BEGIN;
SET LOCAL "hasura.user" = :'hu1';
SELECT person_pk, media_pk FROM core_api.person_media WHERE deleted_at IS NULL ORDER BY 1, 2;
SELECT person_pk, location_pk FROM core_api.person_locations ORDER BY 1, 2;
UPDATE core_api.person_locations SET label = 'renamed' WHERE person_pk = 4 RETURNING pk;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (2, 1) RETURNING person_pk, media_pk;
-- a write the policy does not admit: the ws2 pair
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (4, 4);
ROLLBACK;
BEGIN;
SET LOCAL "hasura.user" = :'hu2';
SELECT person_pk, media_pk FROM core_api.person_media WHERE deleted_at IS NULL ORDER BY 1, 2;
SELECT person_pk, location_pk, label FROM core_api.person_locations ORDER BY 1, 2;
ROLLBACK;
-- the triggers' own statements work for a scoped application role:
-- DELETE becomes the soft-delete UPDATE, a new primary demotes the old one
BEGIN;
SET LOCAL "hasura.user" = :'hu1';
DELETE FROM core_api.person_media WHERE person_pk = 1 AND media_pk = 1;
SELECT person_pk, media_pk, deleted_at IS NOT NULL AS soft_deleted FROM core_api.person_media ORDER BY pk;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 1, 'Home', true);
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 2, 'Work', true);
SELECT location_pk, is_primary FROM core_api.person_locations WHERE person_pk = 1 ORDER BY 1;
COMMIT;
-- the functions scope the policies with their session argument (no
-- hasura.user needed), and the session argument still wins
SELECT person_pk, media_pk FROM person_pivots.link_person_media(:p2, :m1, :ws1);
SELECT location_pk, is_primary FROM person_pivots.set_primary_location(:p1, :l1, :ws1);
SELECT location_pk, is_primary FROM person_pivots.person_active_locations(:p1, :ws1) ORDER BY 1;
SELECT location_pk FROM person_pivots.person_active_locations(:p4, :ws2);
SELECT person_pk, media_pk FROM person_pivots.sync_person_media(:p1, ARRAY[:m1]::uuid[], :ws1);
SELECT person_pk, location_pk, label FROM person_pivots.sync_person_locations_batch(
  jsonb_build_object(:p4::text, jsonb_build_array(jsonb_build_object('location_id', :l5::text, 'label', 'ws2 home'))), :ws2);
BEGIN;
SET LOCAL "hasura.user" = :'hu2';
SELECT person_pk, media_pk FROM person_pivots.unlink_person_media(:p2, :m1, :ws1);
ROLLBACK;
-- unscoped, even the functions see no rows: with the option on, an
-- application role must name its workspace
SELECT count(*) AS unscoped_function_sees FROM person_pivots.person_active_locations(:p1);
-- the computed field has no session argument: the caller's scope applies
SELECT count(*) AS unscoped_primary FROM person_pivots.primary_location((SELECT p FROM core_api.people p WHERE pk = 1));
BEGIN;
SET LOCAL "hasura.user" = :'hu1';
SELECT location_pk FROM person_pivots.primary_location((SELECT p FROM core_api.people p WHERE pk = 1));
ROLLBACK;
-- maintenance roles (owner, superuser) are not subject to the policies
RESET ROLE;
SELECT count(*) AS owner_sees FROM core_api.person_media;
-- off again: one call, idempotent
SELECT person_pivots_internal.disable_row_security();
SELECT person_pivots_internal.disable_row_security();
SELECT count(*) AS policies FROM pg_policies WHERE schemaname = 'core_api';
SET ROLE pp_app;
SELECT count(*) AS unscoped_sees FROM core_api.person_media;
-- the administration functions are not for application roles
SELECT person_pivots_internal.enable_row_security();
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- 8. Scope fails closed, for every function that takes a session: a session
-- that is not a JSON object, a workspace id that is not a uuid, or a role
-- other than admin that names no workspace is 22023, from the argument and
-- from hasura.user alike, and nothing is written. Each function is called
-- with valid ids of workspace 1, built from its argument names in pg_proc.
SELECT count(*) AS rows_before FROM core_api.person_media \gset
SELECT count(*) AS location_rows_before FROM core_api.person_locations \gset
CREATE TEMP TABLE api_call AS
SELECT p.proname::text AS fn,
       format('SELECT count(*) FROM person_pivots.%I(%s)', p.proname, string_agg(CASE a.name
         WHEN 'person_id' THEN format('person_id => %L', :p1)
         WHEN 'media_id' THEN format('media_id => %L', :m1)
         WHEN 'location_id' THEN format('location_id => %L', :l1)
         WHEN 'label' THEN 'label => ''Home'''
         WHEN 'is_primary' THEN 'is_primary => true'
         WHEN 'is_legal' THEN 'is_legal => false'
         WHEN 'media_ids' THEN format('media_ids => ARRAY[%L]::uuid[]', :m1)
         WHEN 'locations' THEN format('locations => %L', jsonb_build_array(jsonb_build_object('location_id', :l1::text, 'label', 'Home')))
         WHEN 'people' THEN format('people => %L', CASE WHEN p.proname LIKE '%media%'
                                    THEN jsonb_build_object(:p1::text, jsonb_build_array(:m1::text))
                                    ELSE jsonb_build_object(:p1::text, jsonb_build_array(jsonb_build_object('location_id', :l1::text, 'label', 'Home'))) END)
         WHEN 'hasura_session' THEN 'hasura_session => %s'
         ELSE 'unknown argument ' || a.name END, ', ' ORDER BY a.ord)) AS call
FROM pg_proc p, unnest(p.proargnames) WITH ORDINALITY AS a (name, ord)
WHERE p.pronamespace = 'person_pivots'::regnamespace AND 'hasura_session' = ANY (p.proargnames)
GROUP BY p.proname;
SELECT count(*) AS functions_with_a_session, bool_and(call NOT LIKE '%unknown argument%') AS every_argument_known
FROM api_call;
CREATE TEMP TABLE bad_session (session text);
INSERT INTO bad_session VALUES ('"x"'), ('[1]'), ('null'), ('42'), ('{}'), ('{"x-hasura-role": "user"}'),
  ('{"x-hasura-role": "user", "x-hasura-workspace-id": null}'),
  ('{"x-hasura-role": "user", "x-hasura-workspace-id": ""}'),
  ('{"x-hasura-role": "user", "x-hasura-workspace-id": "workspace-1"}'),
  ('{"x-hasura-role": "user", "x-hasura-workspace-id": 1}'),
  ('{"x-hasura-role": "admin", "x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-00000000001"}');
-- as the argument: one line per bad session, with how many functions said what
SELECT b.session, pg_temp.error_of(format(c.call, quote_literal(b.session) || '::json')) AS error, count(*) AS functions
FROM bad_session b, api_call c GROUP BY 1, 2 ORDER BY 1, 2;
-- as hasura.user, with no argument (malformed JSON too)
INSERT INTO bad_session VALUES ('{"x-hasura-workspace-id": '), ('not json');
BEGIN;
CREATE FUNCTION pg_temp.error_with_setting(call text, session text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('hasura.user', session, true);
  RETURN pg_temp.error_of(format(call, 'NULL'));
END $$;
SELECT b.session, pg_temp.error_with_setting(c.call, b.session) AS error, count(*) AS functions
FROM bad_session b, api_call c GROUP BY 1, 2 ORDER BY 1, 2;
ROLLBACK;
SELECT count(*) = :rows_before AS media_rows_unchanged FROM core_api.person_media;
SELECT count(*) = :location_rows_before AS location_rows_unchanged FROM core_api.person_locations;
-- unscoped: no session and no hasura.user, or Hasura's admin role naming no
-- workspace; every function then runs
SELECT c.fn, pg_temp.error_of(format(c.call, 'NULL')) AS no_session,
       pg_temp.error_of(format(c.call, quote_literal('{"x-hasura-role": "admin"}') || '::json')) AS admin
FROM api_call c ORDER BY 1;
