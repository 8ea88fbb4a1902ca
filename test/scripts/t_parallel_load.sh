#!/usr/bin/env bash
# Parallel load on the primary-location rule: pgbench, 8 clients for 10 s,
# each transaction promotes a random location of a random person (20 people
# x 5 locations) through set_primary_location or
# link_person_location(is_primary => true), acting as the application role.
# Then two storms on one person, the same number of clients each: plain SQL
# promoting one of that person's 4 locations (UPDATE, INSERT ... ON CONFLICT
# DO UPDATE, MERGE) or editing the current primary's label; then the API
# functions (set_primary_location, link_person_location) against the same
# label edits. Rows keep moving to new heap slots under the trigger's probes.
# API promotions and plain promotions of the same rows are not mixed: that
# is the lock-order cycle docs/concurrency.md documents (40P01).
# Passes when no transaction failed, the server logged no error or deadlock
# while pgbench ran, and every person ends with exactly one active primary.
#
# Needs a running cluster (PGHOST/PGPORT, as make test provides); the server
# log is $PP_SERVER_LOG, or server.log in the socket directory (cluster.sh).
# Optional: PP_LOAD_SECONDS (default 10), PP_STORM_SECONDS (default 5, per
# storm), PP_LOAD_CLIENTS (default 8);
# PP_LOAD_MIX=plain adds label edits of the current primary by plain SQL to
# the load.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/scripts/cluster.sh
cluster_ensure

seconds=${PP_LOAD_SECONDS:-10}
storm_seconds=${PP_STORM_SECONDS:-5}
clients=${PP_LOAD_CLIENTS:-8}
mix=${PP_LOAD_MIX:-functions}
scratch_database parallel_load

[ -f "$log" ] || fail "server log not found at '$log' (set PP_SERVER_LOG)"

createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f test/fixtures/host_schema.sql >/dev/null
# 20 people and 5 locations of workspace 1, every pair linked, location 1
# primary; people 44444444-...-0000000000NN, locations 55555555-...-00000000000N.
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
INSERT INTO core_api.people (person_id, workspace_pk)
  SELECT ('44444444-0000-0000-0000-' || lpad(p::text, 12, '0'))::uuid, 1 FROM generate_series(1, 20) p;
INSERT INTO core_api.locations (location_id, workspace_pk)
  SELECT ('55555555-0000-0000-0000-' || lpad(l::text, 12, '0'))::uuid, 1 FROM generate_series(1, 5) l;
SET ROLE pp_app;
SELECT count(*) FROM generate_series(1, 20) p, generate_series(1, 5) l,
  person_pivots.link_person_location(('44444444-0000-0000-0000-' || lpad(p::text, 12, '0'))::uuid,
                                     ('55555555-0000-0000-0000-' || lpad(l::text, 12, '0'))::uuid,
                                     'Place ' || l, is_primary => l = 1);
SQL

person="('44444444-0000-0000-0000-' || lpad(:p::text, 12, '0'))::uuid"
location="('55555555-0000-0000-0000-' || lpad(:l::text, 12, '0'))::uuid"
ways=1
[ "$mix" = plain ] && ways=2
cat >"$work/promote.sql" <<SQL
\\set p random(1, 20)
\\set l random(1, 5)
\\set how random(0, $ways)
\\if :how = 0
SELECT count(*) FROM person_pivots.set_primary_location($person, $location);
\\elif :how = 1
SELECT count(*) FROM person_pivots.link_person_location($person, $location, 'Place ' || :l, is_primary => true);
\\else
UPDATE core_api.person_locations SET label = 'Edited ' || :l
  WHERE person_pk = (SELECT pk FROM core_api.people WHERE person_id = $person) AND is_primary AND deleted_at IS NULL;
\\endif
SQL

# run_pgbench <name> <script> <seconds>: runs as the application role;
# fails on any failed transaction and on any error or deadlock the server
# logged meanwhile.
run_pgbench() {
	local name=$1 script=$2 secs=$3 status=0
	local log_offset
	log_offset=$(stat -c %s "$log")
	PGOPTIONS="-c role=pp_app" pgbench -n -c "$clients" -j 2 -T "$secs" -f "$script" "$db" \
		>"$work/$name.out" 2>&1 || status=$?
	sed "s/^/$name: /" "$work/$name.out"
	tail -c +"$((log_offset + 1))" "$log" >"$work/$name.log"
	[ "$status" -eq 0 ] || fail "$name: pgbench exited with status $status"
	processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/$name.out")
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/$name.out")
	[ -n "$processed" ] && [ "$processed" -gt 0 ] || fail "$name: pgbench processed no transaction"
	[ "$failed" = "0" ] || fail "$name: number of failed transactions: ${failed:-unknown}"
	if grep -q "deadlock detected" "$work/$name.log"; then
		grep -B2 -A12 "deadlock detected" "$work/$name.log" | head -60
		fail "$name: the server log shows a deadlock"
	fi
	if grep -q "ERROR:" "$work/$name.log"; then
		grep -A3 "ERROR:" "$work/$name.log" | head -40
		fail "$name: the server logged errors during the load"
	fi
}

run_pgbench load "$work/promote.sql" "$seconds"
load_processed=$processed

# The storms: person 1 (4444...01) and locations 1-4; every statement makes
# one of them primary, or edits whichever is primary now.
storm_person="(SELECT pk FROM core_api.people WHERE person_id = '44444444-0000-0000-0000-000000000001')"
edit_primary="UPDATE core_api.person_locations SET label = 'Edited ' || :l
  WHERE person_pk = $storm_person AND is_primary AND deleted_at IS NULL;"
cat >"$work/storm_plain.sql" <<SQL
\\set l random(1, 4)
\\set how random(0, 3)
\\if :how = 0
UPDATE core_api.person_locations SET is_primary = true
  WHERE person_pk = $storm_person
    AND location_pk = (SELECT pk FROM core_api.locations WHERE location_id = $location) AND deleted_at IS NULL;
\\elif :how = 1
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT p.pk, l.pk, 'Place ' || :l, true FROM core_api.people p, core_api.locations l
   WHERE p.person_id = '44444444-0000-0000-0000-000000000001' AND l.location_id = $location
  ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO UPDATE SET is_primary = true;
\\elif :how = 2
MERGE INTO core_api.person_locations t
  USING (SELECT p.pk AS person_pk, l.pk AS location_pk FROM core_api.people p, core_api.locations l
          WHERE p.person_id = '44444444-0000-0000-0000-000000000001' AND l.location_id = $location) s
  ON t.person_pk = s.person_pk AND t.location_pk = s.location_pk AND t.deleted_at IS NULL
  WHEN MATCHED THEN UPDATE SET is_primary = true
  WHEN NOT MATCHED THEN INSERT (person_pk, location_pk, label, is_primary) VALUES (s.person_pk, s.location_pk, 'Place ' || :l, true);
\\else
$edit_primary
\\endif
SQL
cat >"$work/storm_api.sql" <<SQL
\\set l random(1, 4)
\\set how random(0, 2)
\\if :how = 0
SELECT count(*) FROM person_pivots.set_primary_location('44444444-0000-0000-0000-000000000001', $location);
\\elif :how = 1
SELECT count(*) FROM person_pivots.link_person_location('44444444-0000-0000-0000-000000000001', $location,
  'Place ' || :l, is_primary => true);
\\else
$edit_primary
\\endif
SQL
run_pgbench storm_plain "$work/storm_plain.sql" "$storm_seconds"
storm_processed=$processed
run_pgbench storm_api "$work/storm_api.sql" "$storm_seconds"
storm_processed=$((storm_processed + processed))

# The invariant: nobody has two active primaries; and since every
# transaction promoted, every person has exactly one, and no pair was
# linked twice.
read -r doubles people_with_one active <<<"$(psql -X -At -F ' ' -d "$db" -c "
  SELECT (SELECT count(*) FROM (SELECT person_pk FROM core_api.person_locations
            WHERE is_primary AND deleted_at IS NULL GROUP BY person_pk HAVING count(*) > 1) d),
         (SELECT count(*) FROM (SELECT person_pk FROM core_api.person_locations
            WHERE is_primary AND deleted_at IS NULL GROUP BY person_pk HAVING count(*) = 1) o),
         (SELECT count(*) FROM core_api.person_locations WHERE deleted_at IS NULL)")"
echo "people with more than one active primary: $doubles"
echo "people with exactly one active primary: $people_with_one (of 20)"
echo "active links: $active (of 100)"
[ "$doubles" = "0" ] || fail "$doubles people have more than one active primary"
[ "$people_with_one" = "20" ] || fail "only $people_with_one of 20 people have an active primary"
[ "$active" = "100" ] || fail "$active active links instead of 100"

amcheck_pivots "$db" || fail "amcheck found problems after the load"
echo "ok ($mix): $load_processed transactions, then storms of $storm_processed statements on one person;" \
	"0 failed, no error or deadlock, one primary per person"
