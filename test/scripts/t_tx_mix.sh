#!/usr/bin/env bash
# Transaction mix as Hasura sends it (docs/design.md, Lock order; the
# protocol is docs/concurrency.md): every root field of a mutation runs in
# ONE READ COMMITTED transaction, in order, after SET LOCAL hasura.user,
# with the same session passed as hasura_session; Hasura never retries a
# deadlock. pgbench,
# PP_MIX_CLIENTS clients for PP_MIX_SECONDS, as the application role, on 10
# people of one workspace (8 locations, locations 1-5 linked with 1 primary;
# 6 media, 1-3 linked), three weighted scripts:
#   save  (weight 6): a profile save: 2-6 API calls on one random person in
#         one transaction, in several shapes (promote and link, link then
#         set_primary then unlink, unlink then relink as primary, sync then
#         link, re-link the current primary unchanged then set_primary,
#         media unlink/link then a primary);
#   batch (weight 2): one sync_person_locations_batch or
#         sync_person_media_batch call over 2-4 random people, their whole
#         desired state;
#   plain (weight 2): plain-SQL edits of NON-primary rows, autocommit:
#         label edit, INSERT ... ON CONFLICT DO NOTHING, soft delete by
#         UPDATE and by DELETE (the triggers turn it into a soft delete).
# Passes when pgbench reports 0 failed transactions and no aborted client,
# the server logged no deadlock and no ERROR while pgbench ran, and the
# invariants hold afterwards (at most one active primary per person, at
# most one active row per pair). No timing is asserted.
#
# Needs a running cluster (PGHOST/PGPORT, as make test provides), or starts
# one; the server log is $PP_SERVER_LOG (cluster.sh).
# Optional: PP_MIX_SECONDS (default 10), PP_MIX_CLIENTS (default 8);
# PP_MIX_SCRIPTS, the scripts to run (default "save batch plain"; a subset
# tells which writers a failure needs); PP_MIX_VERSION, the extension
# version to install (default: default_version).
# Sourced (t_upgrade_live.sh), it defines the functions and runs nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/scripts/cluster.sh
cluster_ensure

seconds=${PP_MIX_SECONDS:-10}
clients=${PP_MIX_CLIENTS:-8}
scripts=${PP_MIX_SCRIPTS:-save batch plain}
people=10
scratch_database tx_mix

q() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

[ -f "$log" ] || fail "server log not found at '$log' (set PP_SERVER_LOG)"

# -- data -----------------------------------------------------------------------
# people 44444444-...-0000000000NN (1-10), locations 55555555-...-N (1-8),
# media 66666666-...-N (1-6), all of workspace 1 of the fixture. Schema
# pp_mix holds the id helpers and the desired states of the sync calls:
# deterministic in (seed, person), so a script only draws numbers.
setup_data() {
	createdb "$db"
	q -f test/fixtures/host_schema.sql >/dev/null
	# An older version, installed from its scripts (t_upgrade_live.sh), with
	# the fixture's grants on the tables it creates.
	[ -z "${PP_MIX_VERSION:-}" ] || old_version_sql "$PP_MIX_VERSION" | q >/dev/null
	q -v people="$people" >/dev/null <<'SQL'
CREATE SCHEMA pp_mix;
GRANT USAGE ON SCHEMA pp_mix TO pp_app;
CREATE FUNCTION pp_mix.person(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
  RETURN ('44444444-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid;
CREATE FUNCTION pp_mix.location(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
  RETURN ('55555555-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid;
CREATE FUNCTION pp_mix.media(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
  RETURN ('66666666-0000-0000-0000-' || lpad(n::text, 12, '0'))::uuid;
-- The whole desired location state of person p: the location 1 + (seed + p)
-- % 8 always (primary in 4 of 5 seeds) and about half of the others; labels
-- and is_legal vary with the seed, so a sync also updates rows it keeps.
CREATE FUNCTION pp_mix.wanted_locations(seed int, p int) RETURNS jsonb LANGUAGE sql IMMUTABLE
  RETURN (SELECT jsonb_agg(jsonb_build_object(
                   'location_id', pp_mix.location(l),
                   'label', CASE WHEN (seed + l) % 3 = 0 THEN 'Synced ' ELSE 'Place ' END || l,
                   'is_primary', (seed + p) % 5 <> 0 AND l = 1 + (seed + p) % 8,
                   'is_legal', (seed + l) % 4 = 0) ORDER BY l)
            FROM generate_series(1, 8) l
           WHERE l = 1 + (seed + p) % 8 OR (seed * 7 + p * 13 + l * 29) % 11 < 5);
CREATE FUNCTION pp_mix.location_page(people int[], seed int) RETURNS jsonb LANGUAGE sql IMMUTABLE
  RETURN (SELECT jsonb_object_agg(pp_mix.person(p), pp_mix.wanted_locations(seed, p)) FROM unnest(people) p);
CREATE FUNCTION pp_mix.media_page(people int[], seed int) RETURNS jsonb LANGUAGE sql IMMUTABLE
  RETURN (SELECT jsonb_object_agg(pp_mix.person(p),
                   (SELECT coalesce(jsonb_agg(pp_mix.media(m) ORDER BY m), '[]')
                      FROM generate_series(1, 6) m WHERE (seed * 5 + p * 11 + m * 17) % 7 < 4))
            FROM unnest(people) p);

INSERT INTO core_api.people (person_id, workspace_pk) SELECT pp_mix.person(p), 1 FROM generate_series(1, :people) p;
INSERT INTO core_api.locations (location_id, workspace_pk) SELECT pp_mix.location(l), 1 FROM generate_series(1, 8) l;
INSERT INTO core_api.media (media_id, workspace_pk) SELECT pp_mix.media(m), 1 FROM generate_series(1, 6) m;
SET ROLE pp_app;
SELECT count(*) FROM generate_series(1, :people) p, generate_series(1, 5) l,
  person_pivots.link_person_location(pp_mix.person(p), pp_mix.location(l), 'Place ' || l, is_primary => l = 1);
SELECT count(*) FROM generate_series(1, :people) p, generate_series(1, 3) m,
  person_pivots.link_person_media(pp_mix.person(p), pp_mix.media(m));
RESET ROLE;
ANALYZE;
SQL
}

# -- the scripts ----------------------------------------------------------------
session='{"x-hasura-role":"user","x-hasura-workspace-id":"aaaaaaaa-0000-0000-0000-000000000001"}'

# "user" is a keyword: the setting's name is quoted (Hasura itself calls
# set_config('hasura.user', ..., true), the same transaction-local setting).
write_scripts() {
	local begin="BEGIN;
SET LOCAL \"hasura.user\" = '$session';"
	local hs="hasura_session => '$session'"
	local person="pp_mix.person(:p)"

	# A profile save: one person, 2-6 calls, one transaction. set_primary is
	# only called for a location this transaction linked first (linking
	# locks the row, so it is still active then).
	cat >"$work/save.sql" <<SQL
\\set p random(1, $people)
\\set a random(1, 8)
\\set b random(1, 8)
\\set m random(1, 6)
\\set n random(1, 6)
\\set seed random(0, 100000)
\\set shape random(0, 5)
$begin
\\if :shape = 0
SELECT count(*) FROM person_pivots.link_person_location($person, pp_mix.location(:a), 'Place ' || :a, is_primary => true, $hs);
SELECT count(*) FROM person_pivots.link_person_location($person, pp_mix.location(:b), 'Other ' || :b, $hs);
SELECT count(*) FROM person_pivots.link_person_media($person, pp_mix.media(:m), $hs);
\\elif :shape = 1
SELECT count(*) FROM person_pivots.link_person_location($person, pp_mix.location(:a), 'Place ' || :a, $hs);
SELECT count(*) FROM person_pivots.set_primary_location($person, pp_mix.location(:a), $hs);
SELECT count(*) FROM person_pivots.unlink_person_location($person, pp_mix.location(:b), $hs);
SELECT count(*) FROM person_pivots.unlink_person_media($person, pp_mix.media(:m), $hs);
\\elif :shape = 2
SELECT count(*) FROM person_pivots.unlink_person_location($person, pp_mix.location(:a), $hs);
SELECT count(*) FROM person_pivots.link_person_location($person, pp_mix.location(:a), 'Place ' || :a, is_primary => true, $hs);
SELECT count(*) FROM person_pivots.link_person_media($person, pp_mix.media(:m), $hs);
\\elif :shape = 3
SELECT count(*) FROM person_pivots.sync_person_locations($person, pp_mix.wanted_locations(:seed, :p), $hs);
SELECT count(*) FROM person_pivots.link_person_location($person, pp_mix.location(:b), 'Other ' || :b, is_primary => :b % 2 = 0, $hs);
\\elif :shape = 4
SELECT coalesce(max(right(l.location_id::text, 12)::int), :a) AS cur,
       coalesce(max(pl.label), 'Place ' || :a) AS cur_label, coalesce(bool_or(pl.is_legal), false) AS cur_legal
  FROM person_pivots.person_active_locations($person, $hs) pl JOIN core_api.locations l ON l.pk = pl.location_pk
 WHERE pl.is_primary \\gset
SELECT count(*) FROM person_pivots.link_person_location($person, pp_mix.location(:cur), :cur_label, true, :cur_legal, $hs);
SELECT count(*) FROM person_pivots.set_primary_location($person, pp_mix.location(:cur), $hs);
SELECT count(*) FROM person_pivots.link_person_location($person, pp_mix.location(:b), 'Other ' || :b, $hs);
SELECT count(*) FROM person_pivots.set_primary_location($person, pp_mix.location(:b), $hs);
SELECT count(*) FROM person_pivots.unlink_person_media($person, pp_mix.media(:m), $hs);
SELECT count(*) FROM person_pivots.link_person_media($person, pp_mix.media(:n), $hs);
\\else
SELECT count(*) FROM person_pivots.unlink_person_media($person, pp_mix.media(:m), $hs);
SELECT count(*) FROM person_pivots.link_person_media($person, pp_mix.media(:n), $hs);
SELECT count(*) FROM person_pivots.link_person_location($person, pp_mix.location(:b), 'Other ' || :b, $hs);
SELECT count(*) FROM person_pivots.link_person_location($person, pp_mix.location(:a), 'Place ' || :a, is_primary => true, $hs);
SELECT count(*) FROM person_pivots.unlink_person_location($person, pp_mix.location(:b), $hs);
\\endif
COMMIT;
SQL

	# A connector page: 2-4 distinct people (a permutation of the seed), one
	# call, their whole desired state.
	cat >"$work/batch.sql" <<SQL
\\set seed random(0, 100000)
\\set k random(2, 4)
\\set p1 1 + permute(0, $people, :seed)
\\set p2 1 + permute(1, $people, :seed)
\\set p3 1 + permute(2, $people, :seed)
\\set p4 1 + permute(3, $people, :seed)
\\set media random(0, 2)
$begin
\\if :media = 0
SELECT count(*) FROM person_pivots.sync_person_media_batch(
  pp_mix.media_page((ARRAY[:p1, :p2, :p3, :p4]::int[])[1 : :k], :seed), $hs);
\\else
SELECT count(*) FROM person_pivots.sync_person_locations_batch(
  pp_mix.location_page((ARRAY[:p1, :p2, :p3, :p4]::int[])[1 : :k], :seed), $hs);
\\endif
COMMIT;
SQL

	# Plain SQL (an ORM, psql) on NON-primary rows, one autocommit
	# statement each; the WHERE re-checks NOT is_primary after a wait.
	local pk="(SELECT pk FROM core_api.people WHERE person_id = $person)"
	local lk="(SELECT pk FROM core_api.locations WHERE location_id = pp_mix.location(:l))"
	cat >"$work/plain.sql" <<SQL
\\set p random(1, $people)
\\set l random(1, 8)
\\set how random(0, 3)
\\if :how = 0
UPDATE core_api.person_locations SET label = 'Edited ' || :l
 WHERE person_pk = $pk AND location_pk = $lk AND NOT is_primary AND deleted_at IS NULL;
\\elif :how = 1
INSERT INTO core_api.person_locations (person_pk, location_pk, label)
  VALUES ($pk, $lk, 'Plain ' || :l)
  ON CONFLICT (person_pk, location_pk) WHERE deleted_at IS NULL DO NOTHING;
\\elif :how = 2
UPDATE core_api.person_locations SET deleted_at = now()
 WHERE person_pk = $pk AND location_pk = $lk AND NOT is_primary AND deleted_at IS NULL;
\\else
DELETE FROM core_api.person_locations
 WHERE person_pk = $pk AND location_pk = $lk AND NOT is_primary AND deleted_at IS NULL;
\\endif
SQL
}

# -- the run --------------------------------------------------------------------
# run_mix [name]: runs the mix as the application role for $seconds with
# $clients clients; reads only what the server log gained meanwhile. Sets
# processed and tps; leaves $work/<name>.out (default name: pgbench).
run_mix() {
	local name=${1:-pgbench} status=0 log_offset failed script
	local -A weight=([save]=6 [batch]=2 [plain]=2)
	local args=()
	for script in $scripts; do
		[ -n "${weight[$script]:-}" ] || fail "unknown script '$script' in PP_MIX_SCRIPTS"
		args+=(-f "$work/$script.sql@${weight[$script]}")
	done
	log_offset=$(stat -c %s "$log")
	PGOPTIONS="-c role=pp_app" pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" "${args[@]}" "$db" \
		>"$work/$name.out" 2>&1 || status=$?
	tail -c +"$((log_offset + 1))" "$log" >"$work/$name.log"
	cat "$work/$name.out"
	processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/$name.out")
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/$name.out")
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$work/$name.out")
	# A deadlock and any other error: the server log says what and where.
	# (sed -n, not head: head would end grep with SIGPIPE, fatal under pipefail)
	if grep -q "deadlock detected" "$work/$name.log"; then
		echo "-- server log, deadlocks (first 3):"
		grep -A12 "ERROR:  deadlock detected" "$work/$name.log" | sed -n '1,60p'
		echo "-- deadlocks in the server log: $(grep -c "ERROR:  deadlock detected" "$work/$name.log")"
	fi
	if grep -q "ERROR:" "$work/$name.log"; then
		echo "-- server log, errors by message:"
		grep "ERROR:" "$work/$name.log" | sed 's/^.*ERROR: *//; s/[0-9][0-9]*/N/g' | sort | uniq -c | sort -rn |
			sed -n '1,20p'
	fi
	grep -q "aborted" "$work/$name.out" &&
		fail "pgbench aborted a client: $(grep -m1 "aborted" "$work/$name.out")"
	[ "$status" -eq 0 ] || fail "pgbench exited with status $status"
	[ -n "$processed" ] && [ "$processed" -gt 0 ] || fail "pgbench processed no transaction"
	[ "$failed" = "0" ] || fail "number of failed transactions: ${failed:-unknown} (of $processed processed)"
	grep -q "deadlock detected" "$work/$name.log" && fail "the server log shows a deadlock"
	grep -q "ERROR:" "$work/$name.log" && fail "the server logged errors during the load"
	return 0
}

# At most one active primary per person; at most one active row per pair.
check_invariants() {
	local primaries locations media
	read -r primaries locations media <<<"$(psql -X -At -F ' ' -d "$db" -c "
	  SELECT (SELECT count(*) FROM (SELECT person_pk FROM core_api.person_locations
	            WHERE is_primary AND deleted_at IS NULL GROUP BY 1 HAVING count(*) > 1) x),
	         (SELECT count(*) FROM (SELECT 1 FROM core_api.person_locations
	            WHERE deleted_at IS NULL GROUP BY person_pk, location_pk HAVING count(*) > 1) x),
	         (SELECT count(*) FROM (SELECT 1 FROM core_api.person_media
	            WHERE deleted_at IS NULL GROUP BY person_pk, media_pk HAVING count(*) > 1) x)")"
	echo "people with more than one active primary: $primaries"
	echo "pairs with more than one active row: locations $locations, media $media"
	[ "$primaries" = "0" ] || fail "$primaries people have more than one active primary"
	[ "$locations" = "0" ] || fail "$locations (person, location) pairs have more than one active row"
	[ "$media" = "0" ] || fail "$media (person, media) pairs have more than one active row"
}

[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
setup_data
write_scripts
run_mix
check_invariants
amcheck_pivots "$db" || fail "amcheck found problems after the load"
echo "tx mix: $processed transactions, $tps tps, 0 failed"
