-- person_pivots location functions: link (create or update), unlink,
-- set_primary_location, the reads, and bad input with SQLSTATEs.
\i test/fixtures/host_schema.sql
\set SHOW_CONTEXT never
\set p1 '''11111111-0000-0000-0000-000000000001'''
\set p4 '''11111111-0000-0000-0000-000000000004'''
\set l1 '''33333333-0000-0000-0000-000000000001'''
\set l2 '''33333333-0000-0000-0000-000000000002'''
\set l3 '''33333333-0000-0000-0000-000000000003'''
\set l5 '''33333333-0000-0000-0000-000000000005'''
\set ws1 '''{"x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000001"}'''
SET ROLE pp_app;

-- link creates; linking again updates label and flags in place
SELECT pk, location_pk, label, is_primary, is_legal FROM person_pivots.link_person_location(:p1, :l1, 'Home', true);
SELECT pk, location_pk, label, is_primary, is_legal
  FROM person_pivots.link_person_location(:p1, :l1, 'Home (legal)', is_primary => true, is_legal => true);
-- an identical call writes nothing (same row version)
SELECT xmin AS xmin_before FROM core_api.person_locations WHERE pk = 1 \gset
SELECT pk FROM person_pivots.link_person_location(:p1, :l1, 'Home (legal)', true, true, :ws1);
SELECT xmin = :'xmin_before'::xid AS untouched FROM core_api.person_locations WHERE pk = 1;
-- a new primary demotes the old one
SELECT pk, location_pk, is_primary FROM person_pivots.link_person_location(:p1, :l2, 'Work', is_primary => true);
SELECT location_pk, label, is_primary FROM person_pivots.person_active_locations(:p1);
-- set_primary_location moves the primary back
SELECT location_pk, is_primary FROM person_pivots.set_primary_location(:p1, :l1);
SELECT location_pk, is_primary FROM person_pivots.set_primary_location(:p1, :l1);
SELECT location_pk, is_primary FROM person_pivots.person_active_locations(:p1, :ws1);
-- the computed field
SELECT p.pk, l.location_pk FROM core_api.people p, person_pivots.primary_location(p) l ORDER BY 1;
-- unlink returns the soft-deleted row, then nothing; the person has no primary left
SELECT location_pk, deleted_at IS NOT NULL AS deleted FROM person_pivots.unlink_person_location(:p1, :l1);
SELECT location_pk FROM person_pivots.unlink_person_location(:p1, :l1);
SELECT count(*) AS primaries FROM core_api.people p, person_pivots.primary_location(p) l;

-- bad input, one per line; nothing changes
SELECT count(*) AS rows_before, string_agg(label || is_primary || is_legal, ',' ORDER BY pk) AS state_before
  FROM core_api.person_locations \gset
SELECT * FROM person_pivots.link_person_location(:p1, :l3, repeat('x', 256));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.link_person_location(:p1, :l3, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.link_person_location(:p1, :l3, 'Home', NULL);
SELECT * FROM person_pivots.link_person_location(NULL, :l3, 'Home');
SELECT * FROM person_pivots.link_person_location(:p1, '33333333-0000-0000-0000-00000000000f', 'Home');
\echo :LAST_ERROR_SQLSTATE
-- another workspace's location looks exactly like an unknown one
SELECT * FROM person_pivots.link_person_location(:p1, :l5, 'Home', hasura_session => :ws1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.link_person_location(:p4, :l5, 'Home', hasura_session => :ws1);
SELECT * FROM person_pivots.link_person_location(:p1, :l5, 'Home');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.set_primary_location(:p1, :l3);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM person_pivots.set_primary_location(:p4, :l5, :ws1);
SELECT * FROM person_pivots.unlink_person_location(:p1, '33333333-0000-0000-0000-00000000000f');
SELECT count(*) = :rows_before AS same_rows,
       string_agg(label || is_primary || is_legal, ',' ORDER BY pk) = :'state_before' AS same_values
  FROM core_api.person_locations;
-- reads of unknown or out-of-scope people are empty
SELECT count(*) FROM person_pivots.person_active_locations('11111111-0000-0000-0000-00000000000f');
SELECT count(*) FROM person_pivots.person_active_locations(:p4, :ws1);
-- strict mode reaches the functions too
SELECT location_pk FROM person_pivots.link_person_location(:p1, :l3, 'Cabin', true);
SET person_pivots.primary_conflict = 'error';
SELECT * FROM person_pivots.set_primary_location(:p1, :l2);
\echo :LAST_ERROR_SQLSTATE
RESET person_pivots.primary_conflict;
RESET ROLE;
-- the computed field with a NULL row (outer join, LATERAL): no rows, no crash
SELECT count(*) FROM person_pivots.primary_location(NULL);
SELECT p.pk, l.location_pk FROM (VALUES (1)) v (x)
  LEFT JOIN core_api.people p ON false LEFT JOIN LATERAL person_pivots.primary_location(p) l ON true;
