-- The triggers' own statements (the demotion of the previous primary, the
-- soft delete behind DELETE) name one row by ctid and run as TID scans,
-- even when the statistics say the table is empty (ANALYZE of an empty
-- table): a sequential scan per row would make a bulk load quadratic.
-- pg_stat_xact_user_tables counts this transaction's scans of the table.
\i test/fixtures/host_schema.sql
INSERT INTO core_api.people (person_id, workspace_pk)
  SELECT ('77777777-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 1 FROM generate_series(1, 400) g;
INSERT INTO core_api.locations (location_id, workspace_pk)
  SELECT ('88888888-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 1 FROM generate_series(1, 5) g;
ANALYZE core_api.person_locations;
SELECT relpages, reltuples FROM pg_class WHERE oid = 'core_api.person_locations'::regclass;
SET ROLE pp_app;
BEGIN;
-- 200 people x 5 locations, every row primary in statement order: 800 demotions
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT p.pk, l.pk, 'Place', true
    FROM core_api.people p, core_api.locations l
   WHERE p.person_id::text LIKE '77777777-%' AND l.location_id::text LIKE '88888888-%'
   ORDER BY p.pk, l.pk;
SELECT seq_scan AS scans_after_insert
  FROM pg_stat_xact_user_tables WHERE relid = 'core_api.person_locations'::regclass;
-- 800 soft deletes through DELETE (the DELETE's own plan may scan once)
DELETE FROM core_api.person_locations
 WHERE person_pk IN (SELECT pk FROM core_api.people WHERE person_id::text LIKE '77777777-%') AND NOT is_primary;
SELECT seq_scan AS scans_after_delete
  FROM pg_stat_xact_user_tables WHERE relid = 'core_api.person_locations'::regclass;
SELECT count(*) FILTER (WHERE p.is_primary AND p.deleted_at IS NULL) AS primaries,
       count(*) FILTER (WHERE p.deleted_at IS NOT NULL) AS soft_deleted, count(*) AS rows
  FROM core_api.person_locations p JOIN core_api.people pe ON pe.pk = p.person_pk
 WHERE pe.person_id::text LIKE '77777777-%';
ROLLBACK;
RESET ROLE;
