#!/usr/bin/env bash
# The amcheck helper every load test ends with (amcheck_pivots, cluster.sh)
# can fail: on a small database it passes; then an index of
# core_api.person_media whose operator class changes its order after the
# index was built (a comparison function replaced by one that sorts the
# other way: what a changed collation does to a text index) makes
# bt_index_parent_check raise, and the helper must report it and fail.
#
# Needs a running cluster (PGHOST/PGPORT, as make test provides), or starts one.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/scripts/cluster.sh
cluster_ensure
scratch_database amcheck

q() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

createdb "$db"
q -f test/fixtures/host_schema.sql >/dev/null
q >/dev/null <<'SQL'
SET ROLE pp_app;
SELECT count(*) FROM generate_series(1, 3) p, generate_series(1, 3) m,
  person_pivots.link_person_media(('11111111-0000-0000-0000-' || lpad(p::text, 12, '0'))::uuid,
                                  ('22222222-0000-0000-0000-' || lpad(m::text, 12, '0'))::uuid);
SQL

amcheck_pivots "$db" || fail "amcheck found problems in an intact database"

q >/dev/null <<'SQL'
CREATE SCHEMA pp_broken;
CREATE FUNCTION pp_broken.cmp(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE
  RETURN pg_catalog.btint4cmp($1, $2);
CREATE OPERATOR CLASS pp_broken.int4_ops FOR TYPE integer USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
  FUNCTION 1 pp_broken.cmp(integer, integer);
CREATE INDEX person_media_broken ON core_api.person_media (pk pp_broken.int4_ops);
CREATE OR REPLACE FUNCTION pp_broken.cmp(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE
  RETURN pg_catalog.btint4cmp($2, $1);
SQL
if out=$(amcheck_pivots "$db"); then
	echo "$out"
	fail "amcheck_pivots passed on an index whose order is broken"
fi
echo "$out"
grep -q "person_media_broken" <<<"$out" || fail "the helper's report does not name the broken index"
echo "ok: amcheck_pivots passes on an intact database and fails on a broken index"
