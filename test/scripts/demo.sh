#!/usr/bin/env bash
# make demo: a throwaway cluster, a small host schema, the extension, and a
# short story told by psql. The cluster is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/scripts/cluster.sh
make --no-print-directory -s install >/dev/null
cluster_start
echo "person_pivots demo: throwaway cluster in $PGHOST (port $PGPORT)"
createdb demo
psql -X -q -d demo -f test/fixtures/host_schema.sql >/dev/null 2>&1
psql -X -d demo -v ON_ERROR_STOP=0 <<'SQL'
\pset footer off
\set SHOW_CONTEXT never
\echo
\echo '== 1. The application role links person 1 to media 1 through the API'
SET ROLE pp_app;
SELECT pk, person_pk, media_pk, created_at, deleted_at
  FROM person_pivots.link_person_media('11111111-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000001');
\echo
\echo '== 2. An ORM inserts with its own clock (a forged created_at): the database clock replaces it'
INSERT INTO core_api.person_media (person_pk, media_pk, created_at)
  VALUES (1, 2, '1999-12-31 23:59:59+00') RETURNING pk, created_at, created_at = now() AS stamped_by_database;
\echo
\echo '== 3. A plain DELETE becomes a soft delete: the row stays, deleted_at is set'
DELETE FROM core_api.person_media WHERE person_pk = 1 AND media_pk = 2;
SELECT pk, media_pk, deleted_at IS NOT NULL AS soft_deleted FROM core_api.person_media ORDER BY pk;
\echo
\echo '== 4. Clearing deleted_at ("undelete") is refused'
UPDATE core_api.person_media SET deleted_at = NULL WHERE person_pk = 1 AND media_pk = 2;
\echo
\echo '== 5. Re-linking the pair creates a new row; the history stays'
SELECT pk, media_pk FROM person_pivots.link_person_media('11111111-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000002');
SELECT pk, media_pk, deleted_at IS NOT NULL AS soft_deleted FROM core_api.person_media ORDER BY pk;
\echo
\echo '== 6. Primary location: a second primary demotes the first, in the same statement'
SELECT location_pk, label, is_primary FROM person_pivots.link_person_location('11111111-0000-0000-0000-000000000001', '33333333-0000-0000-0000-000000000001', 'Home', true);
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 2, 'Work', true);
SELECT location_pk, label, is_primary FROM person_pivots.person_active_locations('11111111-0000-0000-0000-000000000001');
\echo
\echo '== 7. TRUNCATE by the application role is refused'
TRUNCATE core_api.person_media;
SQL
cluster_stop
echo
echo "Demo finished; its cluster is stopped and removed. Run 'make test' for the full suite."
