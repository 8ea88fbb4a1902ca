#!/usr/bin/env bash
# bench/ab_library.sh: the library of the working tree against the library
# of an earlier commit, on the same machine, in one run, loads alternating.
# make bench compares the extension with its competitors; this compares the
# extension with itself, for a change that must not slow it down (the
# ratios of two make bench runs differ by more than the change: the bare
# table itself varies by 10-25% between runs on a shared VM).
#
# Each library goes into a private copy of the PostgreSQL server tree
# (PostgreSQL finds its share and lib directories relative to its binary),
# never into the system's extension directory, and runs on a throwaway
# cluster of its own (Unix socket in its directory only). Loads, as the
# application role pp_app, on the bench schema (bench/schema.sql):
#   loc50   INSERT ... SELECT of AB_ROWS rows, 2 per person, 1 primary
#   demote  INSERT ... SELECT of AB_ROWS rows, 10 per person, 5 primary in
#           order (4 demotions per person)
#   setpri  pgbench, 8 clients, AB_SECONDS: set_primary_location of a
#           random location of a random person (10000 people x 5)
# The backend's CPU time (ms, bench.cpu_seconds()) per load (TPS for setpri), AB_REPS repetitions, base and
# head alternating; prints best and median of each and head/base ratios,
# and writes them to bench/results/ab-<base>-<head>.md. Not a test.
#   AB_BASE=<commit> (default 186a081) AB_ROWS (300000) AB_REPS (4)
#   AB_SECONDS (10)
set -euo pipefail
cd "$(dirname "$0")/.."
base=${AB_BASE:-186a081}
rows=${AB_ROWS:-300000}
reps=${AB_REPS:-4}
seconds=${AB_SECONDS:-10}
base_short=$(git rev-parse --short "$base")
head_short=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src sql || echo "+")
work=$(mktemp -d /tmp/pp_ab.XXXXXX)
chmod 755 "$work"
server_tree=$(dirname "$(pg_config --bindir)")   # /usr/lib/postgresql/15
share_tree=$(pg_config --sharedir)                            # /usr/share/postgresql/15

stop_all() {
	for side in base head; do
		[ -d "$work/$side/data" ] &&
			runuser -u postgres -- "$work/$side/usr/lib/postgresql/15/bin/pg_ctl" -D "$work/$side/data" -m immediate stop \
				>/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap stop_all EXIT

# private_server <side> <source dir>: a relocated copy of the server with
# the library of <source dir> installed in it
private_server() {
	local side=$1 src=$2 prefix="$work/$1"
	mkdir -p "$prefix/usr/lib/postgresql" "$prefix/usr/share/postgresql" "$prefix/usr/include"
	cp -a "$server_tree" "$prefix/usr/lib/postgresql/"
	cp -a "$share_tree" "$prefix/usr/share/postgresql/"
	rm -f "$prefix/usr/share/postgresql/15/extension/person_pivots"* "$prefix/usr/lib/postgresql/15/lib/person_pivots.so"
	ln -s /usr/include/postgresql "$prefix/usr/include/postgresql"
	PATH="$prefix/usr/lib/postgresql/15/bin:$PATH" make -s -C "$src" -j2 install >"$work/$side.build.log" 2>&1 ||
		{ tail -20 "$work/$side.build.log"; exit 1; }
}

mkdir "$work/base-src"
git archive "$base" | tar -x -C "$work/base-src"
private_server base "$work/base-src"
private_server head "$PWD"

port_of() { [ "$1" = base ] && echo 5431 || echo 5432; }
sql() { # sql <side> <psql args...>
	local side=$1
	shift
	psql -X -q -v ON_ERROR_STOP=1 -h "$work/$side" -p "$(port_of "$side")" -U postgres -d ab "$@"
}
for side in base head; do
	bin="$work/$side/usr/lib/postgresql/15/bin"
	chown -R postgres: "$work/$side"
	runuser -u postgres -- "$bin/initdb" -D "$work/$side/data" -A trust -U postgres --no-sync >/dev/null
	opts="-c listen_addresses='' -c unix_socket_directories='$work/$side' -p $(port_of "$side") -c fsync=off"
	opts="$opts -c shared_buffers=1GB -c max_wal_size=4GB -c synchronous_commit=off -c autovacuum=off"
	runuser -u postgres -- "$bin/pg_ctl" -D "$work/$side/data" -l "$work/$side/server.log" -w start -o "$opts" >/dev/null
	psql -X -q -h "$work/$side" -p "$(port_of "$side")" -U postgres -d postgres -c "CREATE DATABASE ab"
	sql "$side" -v people=$((rows / 2 > 10000 ? rows / 2 : 10000)) -v media=10 -v locations=1000 \
		-f bench/schema.sql >/dev/null
done

loc50="INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT g / 2 + 1, 1 + (g::bigint * 7919) % 1000, 'home', g % 2 = 0 FROM generate_series(0, $rows - 1) g"
demote="INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT g / 10 + 1, 1 + (g::bigint * 7919) % 1000, 'home', g % 10 < 5 FROM generate_series(0, $rows - 1) g ORDER BY g"
# 10000 people x 5 locations, location 0 primary: the state set_primary works on
setpri_state="INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT p, 1 + ((p * 5 + l) * 7919) % 1000, 'home', l = 0 FROM generate_series(1, 10000) p, generate_series(0, 4) l"

fresh_table() { sql "$1" -c "TRUNCATE core_api.person_locations RESTART IDENTITY" -c "CHECKPOINT" >/dev/null; }
timed_load() { # timed_load <side> <sql>: the backend's CPU milliseconds (bench.cpu_seconds())
	fresh_table "$1"
	{
		echo "SELECT bench.cpu_seconds() AS cpu0 \\gset"
		echo "SET ROLE pp_app;"
		echo "$2;"
		echo "RESET ROLE;"
		echo "SELECT round(((bench.cpu_seconds() - :cpu0) * 1000)::numeric);"
	} | sql "$1" -At
}
setpri_tps() { # setpri_tps <side>
	fresh_table "$1"
	sql "$1" -c "SET ROLE pp_app" -c "$setpri_state" -c "RESET ROLE" -c "VACUUM ANALYZE core_api.person_locations" >/dev/null
	PGOPTIONS="-c role=pp_app" pgbench -n -c 8 -j 2 -T "$seconds" -D people=10000 -D locations=1000 \
		-f bench/pgbench_set_primary.sql -h "$work/$1" -p "$(port_of "$1")" -U postgres ab 2>&1 |
		sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}

results="$work/results.tsv"
for ((rep = 1; rep <= reps; rep++)); do
	order="base head"
	[ $((rep % 2)) -eq 0 ] && order="head base"
	for side in $order; do
		printf 'loc50\t%s\t%s\n' "$side" "$(timed_load "$side" "$loc50")" >>"$results"
		printf 'demote\t%s\t%s\n' "$side" "$(timed_load "$side" "$demote")" >>"$results"
		printf 'setpri\t%s\t%s\n' "$side" "$(setpri_tps "$side")" >>"$results"
	done
	echo "rep $rep done" >&2
done

out=bench/results/ab-$base_short-${head_short%+}.md
python3 - "$results" "$base_short" "$head_short" "$rows" "$reps" "$seconds" >"$out" <<'PY'
import statistics, sys
path, base, head, rows, reps, seconds = sys.argv[1:]
data = {}
for line in open(path):
    load, side, value = line.split("\t")
    data.setdefault(load, {}).setdefault(side, []).append(float(value))
print(f"# Library A/B: {head} against {base}\n")
print(f"Same machine, one run, {reps} repetitions alternating base and head (bench/ab_library.sh).")
print(f"loc50 and demote: backend CPU ms of a {rows}-row INSERT ... SELECT as pp_app (lower is better); "
      f"setpri: pgbench TPS of set_primary_location, 8 clients, {seconds} s (higher is better).\n")
print("| load | base best | head best | base median | head median | head / base (best) | head / base (median) | every value, base; head |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
for load in ("loc50", "demote", "setpri"):
    b, h = data[load]["base"], data[load]["head"]
    best = max if load == "setpri" else min
    bb, hb, bm, hm = best(b), best(h), statistics.median(b), statistics.median(h)
    print(f"| {load} | {bb:.0f} | {hb:.0f} | {bm:.0f} | {hm:.0f} | {hb / bb:.3f} | {hm / bm:.3f} | "
          f"{', '.join(f'{v:.0f}' for v in b)}; {', '.join(f'{v:.0f}' for v in h)} |")
PY
cat "$out"
