#!/usr/bin/env bash
# Bounded locking in bulk: with the default max_locks_per_transaction, one
# INSERT ... SELECT of 1M rows into core_api.person_locations (1M people,
# every second row primary: 500k promotions) succeeds, and a second
# statement that gives each of 50k people two primaries (so every row
# demotes the one before) keeps the last one. Both print how many
# heavyweight locks their transaction holds. The naive alternative, one
# pg_advisory_xact_lock per person over the same 1M people, runs out of
# shared memory: that is the measurement the rule is about.
#
# Needs a running cluster (PGHOST/PGPORT, as make test provides).
# Optional: PP_BULK_PEOPLE (default 1000000), PP_BULK_TWICE (default 50000).
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/scripts/cluster.sh
cluster_ensure

people=${PP_BULK_PEOPLE:-1000000}
twice=${PP_BULK_TWICE:-50000}
db=pp_bulk_locks_$$
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true; cluster_stop' EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
q() { psql -X -At -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

locks_setting=$(psql -X -At -c "SHOW max_locks_per_transaction")
echo "max_locks_per_transaction = $locks_setting"
[ "$locks_setting" = "64" ] || fail "the cluster does not run with the default max_locks_per_transaction (64)"

createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f test/fixtures/host_schema.sql >/dev/null
# $people people (pk 10000000 + i) and 4 locations (pk 100 + n) of
# workspace 1; the host's own foreign-key triggers are skipped while loading
# this test data.
start=$(date +%s%N)
q <<SQL
SET session_replication_role = replica;
INSERT INTO core_api.people (pk, person_id, workspace_pk)
  SELECT 10000000 + i, ('66666666-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 1
  FROM generate_series(1, $people) i;
INSERT INTO core_api.locations (pk, location_id, workspace_pk)
  SELECT 100 + n, ('77777777-0000-0000-0000-00000000000' || n)::uuid, 1 FROM generate_series(1, 4) n;
RESET session_replication_role;
ANALYZE;
SQL
echo "host data: $people people, 4 locations ($(ms_since "$start") ms)"

# Statement 1: one row per person, locations 1 and 2 alternating, every
# second row primary (at most one primary per person in the input).
start=$(date +%s%N)
out=$(q <<SQL
SET ROLE pp_app;
BEGIN;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT 10000000 + i, 100 + 1 + i % 2, 'Bulk', i % 2 = 0 FROM generate_series(1, $people) i;
SELECT count(*) FROM pg_catalog.pg_locks WHERE pid = pg_catalog.pg_backend_pid();
COMMIT;
SQL
) || fail "the 1M-row INSERT ... SELECT failed: $out"
locks1=$(echo "$out" | tail -1)
echo "statement 1: $people rows, $((people / 2)) primaries: ok in $(ms_since "$start") ms," \
	"$locks1 heavyweight locks held at commit"

# Statement 2: people 1..$twice get locations 3 then 4, both primary, in one
# statement: location 4 must win, demoting location 3 and statement 1's.
start=$(date +%s%N)
out=$(q <<SQL
SET ROLE pp_app;
BEGIN;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT 10000000 + i, 100 + n, 'Twice', true FROM generate_series(1, $twice) i, generate_series(3, 4) n
  ORDER BY i, n;
SELECT count(*) FROM pg_catalog.pg_locks WHERE pid = pg_catalog.pg_backend_pid();
COMMIT;
SQL
) || fail "the two-primaries-per-person INSERT ... SELECT failed: $out"
locks2=$(echo "$out" | tail -1)
echo "statement 2: $((twice * 2)) rows, two primaries for each of $twice people: ok in $(ms_since "$start") ms," \
	"$locks2 heavyweight locks held at commit"

# Bounded: a handful of relation/transaction locks, not one per person.
[ "$locks1" -lt 100 ] || fail "statement 1 held $locks1 heavyweight locks"
[ "$locks2" -lt 100 ] || fail "statement 2 held $locks2 heavyweight locks"

# The outcome: nobody has two active primaries; statement 1's primaries
# stand where statement 2 did not touch the person; statement 2's last
# primary (location 4) won everywhere it ran.
read -r rows doubles primaries last_won <<<"$(q -F ' ' <<SQL
SELECT (SELECT count(*) FROM core_api.person_locations WHERE deleted_at IS NULL),
       (SELECT count(*) FROM (SELECT person_pk FROM core_api.person_locations
          WHERE is_primary AND deleted_at IS NULL GROUP BY person_pk HAVING count(*) > 1) d),
       (SELECT count(*) FROM core_api.person_locations WHERE is_primary AND deleted_at IS NULL),
       (SELECT count(*) FROM core_api.person_locations
          WHERE person_pk BETWEEN 10000001 AND 10000000 + $twice AND location_pk = 104
            AND is_primary AND deleted_at IS NULL);
SQL
)"
expected_primaries=$((people / 2 + (twice + 1) / 2))
echo "active rows: $rows; people with more than one active primary: $doubles;" \
	"active primaries: $primaries (expected $expected_primaries); location 4 primary for $last_won of $twice"
[ "$rows" = "$((people + 2 * twice))" ] || fail "$rows active rows instead of $((people + 2 * twice))"
[ "$doubles" = "0" ] || fail "$doubles people have more than one active primary"
[ "$primaries" = "$expected_primaries" ] || fail "$primaries active primaries instead of $expected_primaries"
[ "$last_won" = "$twice" ] || fail "the last primary of statement 2 won for $last_won of $twice people"

amcheck_pivots "$db" || fail "amcheck found problems after the load"

# The naive alternative: one transaction-level advisory lock per person.
start=$(date +%s%N)
naive="$(q 2>&1 <<'SQL'
DO $$
DECLARE
  person integer;
  taken bigint := 0;
  total bigint;
  msg text;
  hint text;
BEGIN
  SELECT count(*) INTO total FROM core_api.people;
  BEGIN
    FOR person IN SELECT pk FROM core_api.people ORDER BY pk LOOP
      PERFORM pg_catalog.pg_advisory_xact_lock(person);
      taken := taken + 1;
    END LOOP;
  EXCEPTION WHEN out_of_memory THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RAISE NOTICE 'naive: pg_advisory_xact_lock per person failed after % of % people: % (%)',
      taken, total, msg, hint;
    RETURN;
  END;
  RAISE NOTICE 'naive: pg_advisory_xact_lock per person took all % locks', taken;
END $$;
SQL
)" || true
echo "$naive ($(ms_since "$start") ms)" | sed 's/^[^:]*NOTICE:  //'
echo "$naive" | grep -q "failed after .* out of shared memory" \
	|| fail "one advisory lock per person did not exhaust the lock table"

echo "ok: $people-row bulk insert with $((people / 2)) promotions held $locks1 locks (default max_locks_per_transaction);" \
	"one advisory lock per person runs out of shared memory"
