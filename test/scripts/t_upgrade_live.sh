#!/usr/bin/env bash
# Upgrade under live traffic (docs/operations.md, "Upgrading"): for each
# previous version (1.0, 1.1), installed from its scripts, the transaction
# mix of t_tx_mix.sh runs on its database with connections opened before
# the upgrade ("before", the whole run). A third of the way in, the new
# library is installed (make install: the files are replaced, as a package
# upgrade does, under the running backends) and ALTER EXTENSION
# person_pivots UPDATE runs; then a second mix opens new connections
# ("after") and runs while the first goes on. Passes when both report 0
# failed transactions and no aborted client, the server logged no ERROR
# and no deadlock while they ran (the ALTER included), every "before"
# backend ran statements after the update, the invariants (at most one
# active primary per person, at most one active row per pair) held in every
# sample taken during the load and at the end, and amcheck finds nothing.
#
# What this cannot show: the library of 1.0 or 1.1 is not available as a
# binary, so the old versions run with this checkout's library (the state
# between a package upgrade and ALTER EXTENSION UPDATE, which is the one a
# database stays in), and "installing the new library" replaces the file
# with the same code.
#
# Needs a running cluster (PGHOST/PGPORT, as make test provides), or starts
# one. Installs the checkout's build (make install): run it under the
# harness's lock on a shared machine. Optional: PP_LIVE_SECONDS (default 12),
# PP_MIX_CLIENTS (default 8, for each of the two mixes).
set -euo pipefail
cd "$(dirname "$0")/../.."
# The mix: setup_data, write_scripts, run_mix [name], check_invariants; also
# cluster.sh (amcheck_pivots, fail), $work, $log, $clients.
source test/scripts/t_tx_mix.sh

live_seconds=${PP_LIVE_SECONDS:-12}
latest=$(sed -n "s/^default_version = '\(.*\)'/\1/p" person_pivots.control)
dbs=()
# On failure a mix may still run: its connections go with dropdb --force.
trap 'for d in "${dbs[@]}"; do dropdb --if-exists --force "$d" >/dev/null 2>&1 || true; done; rm -rf "$work"; cluster_stop' EXIT

# processed_of <run>: the transactions pgbench processed in that run
processed_of() { sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/$1.out"; }
# wait_run <run> <pid>: the run's mix passed, or the test fails
wait_run() {
	if ! wait "$2"; then
		cat "$work/$1.txt"
		fail "$1: the transaction mix failed"
	fi
}

# Built now, so that installing it in the middle of the load is quick.
make --no-print-directory -s all >/dev/null || fail "make failed"
write_scripts
total=0
for from in 1.0 1.1; do
	db=pp_live_${from//./_}_$$
	dbs+=("$db")
	PP_MIX_VERSION=$from setup_data
	[ "$(psql -X -At -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'person_pivots'")" = "$from" ] ||
		fail "the database is not at version $from"
	before=before_${from//./_}
	after=after_${from//./_}

	rm -f "$work/stop"
	(seconds=$live_seconds run_mix "$before") >"$work/$before.txt" 2>&1 &
	before_pid=$!
	# The invariants, sampled while the load runs.
	(while [ -d "$work" ] && [ ! -e "$work/stop" ]; do
		(check_invariants) >>"$work/invariants.txt" 2>&1 || touch "$work/violated"
		sleep 0.5
	done) &
	sampler_pid=$!

	sleep $((live_seconds / 3))
	# The backends of the first mix, all connected before the upgrade.
	old_backends=$(psql -X -At -d "$db" -c "SELECT string_agg(pid::text, ',') FROM pg_stat_activity
	                                        WHERE datname = current_database() AND application_name = 'pgbench'")
	[ -n "$old_backends" ] || fail "no backend of the first mix is connected"
	make --no-print-directory -s install >/dev/null || fail "make install (the new library) failed"
	start=$(date +%s%N)
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "ALTER EXTENSION person_pivots UPDATE" ||
		fail "ALTER EXTENSION person_pivots UPDATE from $from failed under load"
	updated_at=$(psql -X -At -d "$db" -c "SELECT now()")
	echo "$from -> $latest: ALTER EXTENSION person_pivots UPDATE under load took $((($(date +%s%N) - start) / 1000000)) ms"
	[ "$(psql -X -At -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'person_pivots'")" = "$latest" ] ||
		fail "the database is not at version $latest after the update"

	(seconds=$((live_seconds / 2)) run_mix "$after") >"$work/$after.txt" 2>&1 &
	after_pid=$!
	# Every backend connected before the update runs statements after it.
	for _ in $(seq 1 10); do
		moved=$(psql -X -At -d "$db" -c "SELECT count(*) FROM pg_stat_activity
		                                 WHERE pid IN ($old_backends) AND state_change > '$updated_at'")
		[ "$moved" -lt "$(tr ',' '\n' <<<"$old_backends" | wc -l)" ] || break
		sleep 0.5
	done
	echo "$from -> $latest: $moved of $(tr ',' '\n' <<<"$old_backends" | wc -l) backends connected before the update ran statements after it"

	wait_run "$after" "$after_pid"
	wait_run "$before" "$before_pid"
	touch "$work/stop"
	wait "$sampler_pid"
	[ "$moved" -eq "$(tr ',' '\n' <<<"$old_backends" | wc -l)" ] ||
		fail "only $moved backends connected before the update ran statements after it"
	samples=$(grep -c "^people with more than one active primary" "$work/invariants.txt" || true)
	[ ! -e "$work/violated" ] || { cat "$work/invariants.txt"; fail "an invariant was violated during the load"; }
	rm -f "$work/invariants.txt"
	check_invariants
	amcheck_pivots "$db" || fail "amcheck found problems after the upgrade under load"
	echo "$from -> $latest under load: connected before $(processed_of "$before") transactions, 0 failed;" \
		"connected after $(processed_of "$after") transactions, 0 failed; invariants held in $samples samples and at the end"
	total=$((total + $(processed_of "$before") + $(processed_of "$after")))
done
echo "ok: upgrades from 1.0 and 1.1 to $latest under the transaction mix: $total transactions, 0 failed, no ERROR in the server log"
