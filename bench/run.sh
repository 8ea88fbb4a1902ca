#!/usr/bin/env bash
# make bench: measures the extension against a bare table, PL/pgSQL
# triggers implementing the same rules, and set-based SQL, on one
# throwaway cluster, in one run. Prints a markdown table and writes it to
# bench/results/latest.md, the raw numbers to bench/results/latest.tsv and
# a chart to bench/results/bench.png. Not a test: nothing here asserts a
# timing. Environment:
#   BENCH_QUICK=1     small sizes, one repetition, 5 s pgbench (smoke run)
#   BENCH_REPS=n      repetitions of each timed measurement (default 3)
#   BENCH_SECTIONS=.. the parts to run (default "insert demote copy sync locsync
#                     memory pgbench txmix")
#   BENCH_PLPGSQL_ROWS=n  rows of the PL/pgSQL triggers' loads in sections demote
#                     and copy (default a tenth of the extension's: 100k, 10k quick)
#   BENCH_TXMIX_PEOPLE=n  people the transaction mix (txmix) works on (default 100)
#   BENCH_NO_INSTALL=1 measure the library installed now (no make install first)
#   BENCH_PERF=1      then profile the extension's bulk inserts with perf
#                     (bench/results/profile.txt: where the backend's time goes)
#   BENCH_OUT=dir     where to write the results (default bench/results)
set -euo pipefail
cd "$(dirname "$0")/.."
source test/scripts/cluster.sh

# -- sizes and settings ---------------------------------------------------------
if [ -n "${BENCH_QUICK:-}" ]; then
	INSERT_ROWS=100000 SYNC_PEOPLE=2000 MEM_PEOPLE=5000 PGBENCH_SECONDS=6 REPS=${BENCH_REPS:-1} SYNC_REPS=1
else
	INSERT_ROWS=1000000 SYNC_PEOPLE=10000 MEM_PEOPLE=50000 PGBENCH_SECONDS=30 REPS=${BENCH_REPS:-3}
	SYNC_REPS=$((REPS + 2))  # sync runs are short: two more
fi
PAGE_SIZE=500             # people per sync page
# demote, copy: the extension and the floor load INSERT_ROWS rows; the
# PL/pgSQL triggers (and, for the same-size ratios, the floor and the
# extension again) load CAP_ROWS, and each of their loads is cancelled after
# CAP_TIMEOUT seconds: they have been seen to go quadratic (section demote).
CAP_ROWS=${BENCH_PLPGSQL_ROWS:-$((INSERT_ROWS / 10))}
CAP_TIMEOUT=60
SYNC_VERSION=5            # the sync run goes from media window 4 to 5
PEOPLE=$((INSERT_ROWS / 2 > MEM_PEOPLE ? INSERT_ROWS / 2 : MEM_PEOPLE))
# person_media: every inserted link names a different media (the worst case
# for the extension's per-statement entity cache; people repeat, 20 links
# each). person_locations: 100k locations, each in about 10 links.
MEDIA=$((INSERT_ROWS > 100000 ? INSERT_ROWS : 100000))
LOCATIONS=100000
PG_PEOPLE=10000           # pgbench: people with 5 locations each
PG_CLIENTS=8
PG_ROUNDS=3                # pgbench rounds per contender, alternating
TXMIX_PEOPLE=${BENCH_TXMIX_PEOPLE:-100}  # txmix: people of one workspace, 8 locations and 6 media each
# The same server settings for every contender.
SETTINGS=(shared_buffers=1GB max_wal_size=4GB synchronous_commit=off checkpoint_timeout=1h
	autovacuum=off work_mem=64MB maintenance_work_mem=256MB max_connections=50)
OUT=${BENCH_OUT:-bench/results}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/pp_bench.XXXXXX)
chmod 755 "$WORK"
RAW="$WORK/raw.tsv"
: >"$RAW"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

SECTIONS=" ${BENCH_SECTIONS:-insert demote copy sync locsync memory pgbench txmix} "
want() { [[ "$SECTIONS" == *" $1 "* ]]; }

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# BENCH_NO_INSTALL: measure whatever library is installed (another
# session builds and installs it).
[ -n "${BENCH_NO_INSTALL:-}" ] || make --no-print-directory -s install >/dev/null
LIBRARY="$(pg_config --pkglibdir)/person_pivots.so"
LIBRARY_SUM=$(md5sum <"$LIBRARY")

cluster_start "${SETTINGS[@]}"
trap 'cluster_stop; rm -rf "$WORK"' EXIT
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -d postgres -c "CREATE DATABASE bench"
export PGDATABASE=bench
APP_OPTIONS="-c role=pp_app"   # the application role: the rules' normal path

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RAW"; }  # section contender rep value

# Enables exactly one implementation of the rules on a pivot table:
# bare (none), plpgsql (bench/baselines/plpgsql_triggers.sql) or ext.
use_rules() { # use_rules <table> <bare|plpgsql|ext>
	local ext=DISABLE plp=DISABLE
	[ "$2" = ext ] && ext=ENABLE
	[ "$2" = plpgsql ] && plp=ENABLE
	psql -c "ALTER TABLE core_api.$1 $ext TRIGGER person_pivots_guard, $ext TRIGGER person_pivots_truncate_guard,
	         $plp TRIGGER bench_plpgsql_guard, $plp TRIGGER bench_plpgsql_truncate_guard"
}

now_ns() { date +%s%N; }
seconds_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# Contenders in a different order on each repetition: rep r starts at the
# r-th, so each one runs first, in the middle and last once in three reps.
rotate() { # rotate <rep> <items...>
	local rep=$1
	shift
	local items=("$@") n=$# i
	for ((i = 0; i < n; i++)); do printf '%s\n' "${items[$(((i + rep - 1) % n))]}"; done
}

# -- data ---------------------------------------------------------------------------
log "loading host data: $PEOPLE people, $MEDIA media, $LOCATIONS locations"
psql -v people="$PEOPLE" -v media="$MEDIA" -v locations="$LOCATIONS" -f bench/schema.sql >/dev/null
psql -f bench/baselines/plpgsql_triggers.sql >/dev/null
psql -f bench/baselines/api_plpgsql.sql >/dev/null  # with the PL/pgSQL sync batch functions

# The PL/pgSQL triggers must do what the extension does, or the
# comparison means nothing: same script, both implementations, same output.
for impl in ext plpgsql; do
	use_rules person_media "$impl"
	use_rules person_locations "$impl"
	psql -f bench/baselines/check_equivalence.sql >"$WORK/equivalence_$impl.out" 2>&1 || true
done
if ! diff -u "$WORK/equivalence_ext.out" "$WORK/equivalence_plpgsql.out" >"$WORK/equivalence.diff"; then
	cat "$WORK/equivalence.diff" >&2
	echo "bench: the PL/pgSQL triggers do not behave like the extension (diff above)" >&2
	exit 1
fi
log "PL/pgSQL triggers: same results as the extension on bench/baselines/check_equivalence.sql"

# -- 1. bulk INSERT ... SELECT ----------------------------------------------------------
# One statement of INSERT_ROWS rows, as the application role. Same table,
# same FKs and indexes for every contender; only the row triggers differ.
declare -A INSERT_SQL
INSERT_SQL[ins_media]="INSERT INTO core_api.person_media (person_pk, media_pk)
  SELECT g / 20 + 1, 1 + (g::bigint * 7919) % $MEDIA FROM generate_series(0, $INSERT_ROWS - 1) g"
INSERT_SQL[ins_loc10]="INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT g / 10 + 1, 1 + (g::bigint * 7919) % $LOCATIONS, 'home', g % 10 = 0
    FROM generate_series(0, $INSERT_ROWS - 1) g"
INSERT_SQL[ins_loc50]="INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT g / 2 + 1, 1 + (g::bigint * 7919) % $LOCATIONS, 'home', g % 2 = 0
    FROM generate_series(0, $INSERT_ROWS - 1) g"

# Runs a script as the application role in one session and records the
# backend's CPU time (/proc/self/schedstat, read by bench.cpu_seconds())
# and the wall time from its first statement to its last, as
# <section> and <section>_wall. CPU time is what the ratios use: the
# machine may be shared, and CPU time barely moves with the neighbours' load.
# With a timeout (seconds), a statement that runs longer is cancelled:
# then <section>_timeout records the timeout and timed returns 1.
timed() { # timed <section> <contender> <rep> <script file> [timeout]
	rm -f "$WORK/timing"
	local rc=0
	{
		echo "SELECT bench.cpu_seconds() AS pp_cpu0, clock_timestamp() AS pp_t0 \\gset"
		[ -z "${5:-}" ] || echo "SET statement_timeout = '${5}s';"
		echo "SET ROLE pp_app;"
		cat "$4"
		echo "RESET ROLE;"
		echo "SELECT bench.cpu_seconds() - :pp_cpu0, extract(epoch FROM clock_timestamp() - :'pp_t0') \\g $WORK/timing"
	} | psql -At -F' ' -o /dev/null 2>"$WORK/timed.err" || rc=$?
	cat "$WORK/timed.err" >&2
	if [ "$rc" -ne 0 ]; then
		if [ -n "${5:-}" ] && grep -q "statement timeout" "$WORK/timed.err"; then
			record "$1_timeout" "$2" "$3" "$5"
			log "$1 $2 rep $3: cancelled after $5 s"
			return 1
		fi
		echo "bench: $1 $2 failed" >&2
		exit 1
	fi
	local cpu wall
	read -r cpu wall <"$WORK/timing"
	cpu=$(awk -v v="$cpu" 'BEGIN { printf "%.3f", v }')
	wall=$(awk -v v="$wall" 'BEGIN { printf "%.3f", v }')
	record "$1" "$2" "$3" "$cpu"
	record "$1_wall" "$2" "$3" "$wall"
	log "$1 $2 rep $3: $cpu s CPU, $wall s wall"
}

insert_run() { # insert_run <section> <contender> <rep>
	local section=$1 contender=$2 rep=$3 table=person_media
	[ "$section" = ins_media ] || table=person_locations
	use_rules "$table" "$contender"
	psql -c "TRUNCATE core_api.$table RESTART IDENTITY" -c "VACUUM core_api.people" -c "CHECKPOINT"
	echo "${INSERT_SQL[$section]};" >"$WORK/insert.sql"
	timed "$section" "$contender" "$rep" "$WORK/insert.sql"
	# every row arrived; one active primary per person (no demotion was due)
	local got want="$INSERT_ROWS 0"
	[ "$section" = ins_loc10 ] && want="$INSERT_ROWS $((INSERT_ROWS / 10))"
	[ "$section" = ins_loc50 ] && want="$INSERT_ROWS $((INSERT_ROWS / 2))"
	if [ "$table" = person_media ]; then
		got=$(psql -At -F' ' -c "SELECT count(*), 0 FROM core_api.person_media")
	else
		got=$(psql -At -F' ' -c "SELECT count(*), count(*) FILTER (WHERE is_primary AND deleted_at IS NULL)
		                         FROM core_api.person_locations")
	fi
	[ "$got" = "$want" ] || { echo "bench: $section/$contender left rows/primaries $got, not $want" >&2; exit 1; }
}

if want insert; then
for section in ins_media ins_loc10 ins_loc50; do
	for ((rep = 1; rep <= REPS; rep++)); do
		for contender in $(rotate "$rep" bare plpgsql ext); do
			insert_run "$section" "$contender" "$rep"
		done
	done
done
psql -c "TRUNCATE core_api.person_locations RESTART IDENTITY"
use_rules person_media ext
use_rules person_locations ext
fi

# -- 1b, 1c. primary demotions in a bulk load: INSERT ... SELECT (demote), COPY (copy) ----
# INSERT_ROWS rows into person_locations as the application role, 10 per
# person, in statement order: slots k = 0..9, location 1 + (g * 7919) mod
# LOCATIONS for row g; slots 0-4 primary, so each person's primaries arrive
# one after the other and each demotes the one before (4 demotions per
# person). Contenders:
#   ext      the extension's triggers, the heavy load;
#   bare     the floor: no triggers, the same rows in their final state (only
#            slot 4, the last primary, is primary);
#   plpgsql_cap  the PL/pgSQL triggers, the heavy load, CAP_ROWS rows only; and,
#            at that size for the same-size ratios, bare_cap and ext_cap.
# Every contender must leave the same state: all rows active, one primary
# per person, slot 4's.
# Why PL/pgSQL is capped: once the pivot table has been analyzed while
# empty, the planner costs a scan of it as nearly free, and a generic plan
# that a trigger's statement (PL/pgSQL's demotion UPDATE) caches early in
# the load seq-scans the table for every demotion: the load turns quadratic
# (50k rows of this load: 100 s for PL/pgSQL; the extension did the same,
# 26 s instead of about 1, until its by-ctid statements were made TID scans
# whatever the statistics, see sql/trigger_plans.sql). Here every load
# starts from TRUNCATE (no statistics) and stays linear; the cap and its
# timeout only bound the damage if it does not.
demote_rows_sql() { # demote_rows_sql <rows> <heavy|final>: the SELECT of the rows
	local primary="g % 10 < 5"
	[ "$2" = final ] && primary="g % 10 = 4"
	echo "SELECT g / 10 + 1, 1 + (g::bigint * 7919) % $LOCATIONS, 'home', $primary
	        FROM generate_series(0, $1 - 1) g ORDER BY g"
}
# contender -> rows, rules, data
declare -A DEMOTE_ROWS=([bare]=$INSERT_ROWS [ext]=$INSERT_ROWS [bare_cap]=$CAP_ROWS [ext_cap]=$CAP_ROWS
	[plpgsql_cap]=$CAP_ROWS)
declare -A DEMOTE_RULES=([bare]=bare [ext]=ext [bare_cap]=bare [ext_cap]=ext [plpgsql_cap]=plpgsql)
DEMOTE_CONTENDERS=(bare ext bare_cap ext_cap plpgsql_cap)
demote_data() { [ "${DEMOTE_RULES[$1]}" = bare ] && echo final || echo heavy; }

# The state every contender must leave: all rows active, one primary per
# person, slot 4's.
check_demote_state() { # check_demote_state <rows> <what>
	local bad
	bad=$(psql -At -v rows="$1" -v locations="$LOCATIONS" <<'SQL'
SELECT abs(count(*) - :rows) + abs(count(*) FILTER (WHERE deleted_at IS NULL) - :rows)
     + abs(count(*) FILTER (WHERE is_primary AND deleted_at IS NULL) - :rows / 10)
     + abs(count(*) FILTER (WHERE is_primary AND deleted_at IS NULL
                              AND location_pk = 1 + (((person_pk - 1) * 10 + 4)::bigint * 7919) % :locations)
           - :rows / 10)
  FROM core_api.person_locations
SQL
	)
	[ "$bad" -eq 0 ] || { echo "bench: $2 left a wrong person_locations state ($bad differences)" >&2; exit 1; }
}

demote_run() { # demote_run <section demote|copy> <contender> <rep>
	local section=$1 contender=$2 rep=$3 rows=${DEMOTE_ROWS[$2]} data timeout=""
	data=$(demote_data "$contender")
	[ "${DEMOTE_RULES[$contender]}" = plpgsql ] && timeout=$CAP_TIMEOUT
	use_rules person_locations "${DEMOTE_RULES[$contender]}"
	psql -c "TRUNCATE core_api.person_locations RESTART IDENTITY" -c "VACUUM core_api.people" -c "CHECKPOINT"
	if [ "$section" = demote ]; then
		echo "INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
		      $(demote_rows_sql "$rows" "$data");" >"$WORK/demote.sql"
	else
		echo "\\copy core_api.person_locations (person_pk, location_pk, label, is_primary) FROM '$WORK/copy_${data}_$rows.tsv'" \
			>"$WORK/demote.sql"
	fi
	timed "$section" "$contender" "$rep" "$WORK/demote.sql" $timeout || return 0
	check_demote_state "$rows" "$section $contender"
}

for section in demote copy; do
	want "$section" || continue
	if [ "$section" = copy ]; then  # the files, written once
		for rows in "$INSERT_ROWS" "$CAP_ROWS"; do
			for data in heavy final; do
				psql -c "\\copy ($(demote_rows_sql "$rows" "$data" | tr '\n\t' '  ')) TO '$WORK/copy_${data}_$rows.tsv'"
			done
		done
		log "COPY files: $(du -ch "$WORK"/copy_*.tsv | tail -1 | cut -f1)"
	fi
	for ((rep = 1; rep <= REPS; rep++)); do
		for contender in $(rotate "$rep" "${DEMOTE_CONTENDERS[@]}"); do
			demote_run "$section" "$contender" "$rep"
		done
	done
	psql -c "TRUNCATE core_api.person_locations RESTART IDENTITY"
	use_rules person_locations ext
done

# -- 2. sync --------------------------------------------------------------------------
# SYNC_PEOPLE people x 20 media, pages of PAGE_SIZE, 10% churn: each run
# starts from the same state and ends in the same state. The table keeps
# the extension's triggers for every contender: the rules hold for every
# writer, and what differs is only how the page is synced.
make_script() { # make_script <kind> <first person> <people> <page size> <file>
	psql -At -v kind="$1" -v version="$SYNC_VERSION" -v first_person="$2" -v sync_people="$3" \
		-v page_size="$4" -v media="$MEDIA" -f bench/sync_pages.sql -o "$5"
	if [ "$1" = sql ]; then
		{ cat bench/baselines/sync_media_sql.sql; cat "$5"; } >"$5.tmp" && mv "$5.tmp" "$5"
	fi
}
load_sync_state() { # load_sync_state <first person> <people>
	psql -v version="$SYNC_VERSION" -v first_person="$1" -v sync_people="$2" -v media="$MEDIA" \
		-f bench/load_sync_state.sql >/dev/null
}
# The state every contender must leave: the target window, nothing else.
check_sync_state() { # check_sync_state <first person> <people> <what>
	local bad
	bad=$(psql -At -v version="$SYNC_VERSION" -v first_person="$1" -v sync_people="$2" -v media="$MEDIA" <<'SQL'
WITH want AS (
  SELECT p AS person_pk, 1 + ((p * 37 + k) % :media) AS media_pk
    FROM generate_series(:first_person, :first_person + :sync_people - 1) p,
         generate_series(2 * :version, 2 * :version + 19) k),
have AS (SELECT person_pk, media_pk FROM core_api.person_media WHERE deleted_at IS NULL)
SELECT (SELECT count(*) FROM (TABLE want EXCEPT ALL TABLE have) a)
     + (SELECT count(*) FROM (TABLE have EXCEPT ALL TABLE want) b)
     -- 2 new links per person; the 18 that stay keep their created_at
     + (SELECT abs(count(*) - 2 * :sync_people) FROM core_api.person_media
         WHERE deleted_at IS NULL AND created_at > now() - interval '29 days')
     -- history: 8 rows per person before, 2 more now
     + (SELECT abs(count(*) - 10 * :sync_people) FROM core_api.person_media WHERE deleted_at IS NOT NULL)
SQL
	)
	[ "$bad" -eq 0 ] || { echo "bench: $3 left a wrong person_media state ($bad differences)" >&2; exit 1; }
}

if want sync; then
SYNC_KINDS=(batch single sql plpgsql)
for kind in "${SYNC_KINDS[@]}"; do
	make_script "$kind" 1 "$SYNC_PEOPLE" "$PAGE_SIZE" "$WORK/sync_$kind.sql"
done
log "sync scripts: $(du -ch "$WORK"/sync_*.sql | tail -1 | cut -f1)"
for ((rep = 1; rep <= SYNC_REPS; rep++)); do
	for kind in $(rotate "$rep" "${SYNC_KINDS[@]}"); do
		load_sync_state 1 "$SYNC_PEOPLE"
		timed sync "$kind" "$rep" "$WORK/sync_$kind.sql"
		check_sync_state 1 "$SYNC_PEOPLE" "sync $kind"
	done
done
fi

# -- 2b. location sync ------------------------------------------------------------------
# SYNC_PEOPLE people x 8 locations, pages of PAGE_SIZE: 10% of the links
# gone, 10% new, 10% of the people moving their primary, 10% of the labels
# edited (bench.location_links, bench/load_location_state.sql). Each run
# starts from the same state and must reach the same end state; the table
# keeps the extension's triggers for every contender.
load_location_state() { # load_location_state <first person> <people>
	psql -v first_person="$1" -v sync_people="$2" -v locations="$LOCATIONS" \
		-f bench/load_location_state.sql >/dev/null
}
# (after load_location_state, which defines bench.location_links)
make_location_script() { # make_location_script <kind> <first person> <people> <page size> <file>
	psql -At -v kind="$1" -v first_person="$2" -v sync_people="$3" -v page_size="$4" -v locations="$LOCATIONS" \
		-f bench/sync_location_pages.sql -o "$5"
	if [ "$1" = sql ]; then
		{ cat bench/baselines/sync_locations_sql.sql; cat "$5"; } >"$5.tmp" && mv "$5.tmp" "$5"
	fi
}
# The state every contender must leave: the target's active rows (person,
# location, label, is_primary, is_legal), the new links as new rows, the
# others with their created_at, the gone links soft-deleted next to the
# history.
check_location_state() { # check_location_state <first person> <people> <what>
	local bad
	bad=$(psql -At -v first_person="$1" -v sync_people="$2" -v locations="$LOCATIONS" <<'SQL'
WITH want AS (SELECT * FROM bench.location_links(:first_person, :sync_people, true, :locations)),
have AS (SELECT person_pk, location_pk, label, is_primary, is_legal FROM core_api.person_locations
          WHERE deleted_at IS NULL),
gone AS (SELECT count(*) AS n FROM generate_series(:first_person, :first_person + :sync_people - 1) p,
                                   generate_series(0, 7) k WHERE (8 * p + k) % 10 = 0)
SELECT (SELECT count(*) FROM (TABLE want EXCEPT ALL TABLE have) a)
     + (SELECT count(*) FROM (TABLE have EXCEPT ALL TABLE want) b)
     + (SELECT abs(count(*) - (SELECT n FROM gone)) FROM core_api.person_locations
         WHERE deleted_at IS NULL AND created_at > now() - interval '29 days')
     + (SELECT abs(count(*) - 2 * :sync_people - (SELECT n FROM gone)) FROM core_api.person_locations
         WHERE deleted_at IS NOT NULL)
SQL
	)
	[ "$bad" -eq 0 ] || { echo "bench: $3 left a wrong person_locations state ($bad differences)" >&2; exit 1; }
}

if want locsync; then
LOCSYNC_KINDS=(batch single sql plpgsql)
load_location_state 1 "$SYNC_PEOPLE"
for kind in "${LOCSYNC_KINDS[@]}"; do
	make_location_script "$kind" 1 "$SYNC_PEOPLE" "$PAGE_SIZE" "$WORK/locsync_$kind.sql"
done
log "location sync scripts: $(du -ch "$WORK"/locsync_*.sql | tail -1 | cut -f1)"
for ((rep = 1; rep <= SYNC_REPS; rep++)); do
	for kind in $(rotate "$rep" "${LOCSYNC_KINDS[@]}"); do
		load_location_state 1 "$SYNC_PEOPLE"
		timed locsync "$kind" "$rep" "$WORK/locsync_$kind.sql"
		check_location_state 1 "$SYNC_PEOPLE" "locsync $kind"
	done
done
psql -c "TRUNCATE core_api.person_locations RESTART IDENTITY"
fi

# -- 3. peak backend memory of one sync page --------------------------------------------
# The backend's private memory (RssAnon, sampled every 5 ms from /proc)
# while it runs one page: of PAGE_SIZE and of MEM_PEOPLE people, person_media
# (20 media each, 10% churn, as section sync) and person_locations (8 each,
# as section locsync); the batch function and the set-based SQL.
watch_memory() { # watch_memory <pid file> <result file>: peak and start RssAnon, kB
	local pidfile=$1 pid="" peak=0 start="" key value unit
	while [ -z "$pid" ]; do
		[ -s "$pidfile" ] && pid=$(tr -dc 0-9 <"$pidfile")
		sleep 0.01
	done
	while [ -r "/proc/$pid/status" ]; do
		while read -r key value unit; do
			if [ "$key" = "RssAnon:" ]; then
				[ -n "$start" ] || start=$value
				[ "$value" -gt "$peak" ] && peak=$value
				break
			fi
		done <"/proc/$pid/status" 2>/dev/null || true
		sleep 0.005
	done
	echo "$peak $start" >"$2"
}
# One page of <people> people of <table> synced by <kind> (batch or sql),
# recorded as contender <name> of mem_seconds and mem_peak_mb.
memory_run() { # memory_run <media|locations> <kind> <people> <name>
	local table=$1 kind=$2 people=$3 name=$4 script="$WORK/mem_$4.sql" watcher s peak start
	if [ "$table" = media ]; then
		load_sync_state 1 "$people"
		make_script "$kind" 1 "$people" "$people" "$script"
	else
		load_location_state 1 "$people"
		make_location_script "$kind" 1 "$people" "$people" "$script"
	fi
	rm -f "$WORK/pid" "$WORK/mem"
	watch_memory "$WORK/pid" "$WORK/mem" &
	watcher=$!
	t0=$(now_ns)
	{
		echo "SELECT pg_backend_pid() \\g $WORK/pid"
		echo "SELECT pg_sleep(0.3);"
		cat "$script"
	} | PGOPTIONS="$APP_OPTIONS" psql -At -o /dev/null
	s=$(seconds_since "$t0")
	wait "$watcher"
	read -r peak start <"$WORK/mem"
	if [ "$table" = media ]; then
		check_sync_state 1 "$people" "memory $name"
	else
		check_location_state 1 "$people" "memory $name"
	fi
	rm -f "$script"
	record mem_seconds "$name" 1 "$s"
	record mem_peak_mb "$name" 1 "$(awk -v p="$peak" -v s="$start" 'BEGIN { printf "%.1f", (p - s) / 1024 }')"
	log "memory $name ($table, $people people, $kind): $s s, peak RssAnon $((peak / 1024)) MB (start $((start / 1024)) MB)"
}
if want memory; then
for kind in batch sql; do
	memory_run media "$kind" "$PAGE_SIZE" "${kind}_page"
	memory_run media "$kind" "$MEM_PEOPLE" "$kind"
	memory_run locations "$kind" "$PAGE_SIZE" "loc_${kind}_page"
	memory_run locations "$kind" "$MEM_PEOPLE" "loc_$kind"
done
psql -c "TRUNCATE core_api.person_media, core_api.person_locations RESTART IDENTITY" \
	-c "VACUUM ANALYZE core_api.person_media"
fi

# -- 4. set_primary_location under pgbench --------------------------------------------
# PG_PEOPLE people with 5 active locations each, one primary; every
# transaction makes a random one of a random person's locations primary.
if want pgbench; then
psql -v people="$PG_PEOPLE" -v locations="$LOCATIONS" <<'SQL' >/dev/null
TRUNCATE core_api.person_locations RESTART IDENTITY;
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  SELECT p, 1 + ((p * 5 + l) * 7919) % :locations, 'home', l = 0
    FROM generate_series(1, :people) p, generate_series(0, 4) l ORDER BY p, l;
SQL
# One pgbench round of PGBENCH_SECONDS / PG_ROUNDS as the application role;
# records <section>_tps and <section>_failed. A client pgbench aborted (an
# error other than a deadlock or serialization failure) counts as failed.
pgbench_measure() { # pgbench_measure <section> <contender> <round> <pgbench options...>
	local section=$1 contender=$2 round=$3
	shift 3
	local out="$WORK/${section}_${contender}_$round.out" rc=0
	PGOPTIONS="$APP_OPTIONS" pgbench -n -M prepared -c "$PG_CLIENTS" -j 2 -T "$((PGBENCH_SECONDS / PG_ROUNDS))" \
		"$@" >"$out" 2>&1 || rc=$?
	local tps failed aborted
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$out")
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
	aborted=$(grep -c "aborted in command" "$out" || true)
	if [ -z "$tps" ]; then
		cat "$out" >&2
		echo "bench: $section pgbench $contender failed (exit $rc)" >&2
		exit 1
	fi
	record "${section}_tps" "$contender" "$round" "$tps"
	record "${section}_failed" "$contender" "$round" "$((${failed:-0} + aborted))"
	log "$section $contender round $round: $tps tps, ${failed:-0} failed, $aborted clients aborted"
	[ "$aborted" -eq 0 ] || grep -m3 "aborted in command" "$out" >&2
}

pgbench_run() { # pgbench_run <contender> <script> <round>
	psql -c "VACUUM ANALYZE core_api.person_locations" -c "VACUUM ANALYZE core_api.people" -c "CHECKPOINT"
	pgbench_measure pgbench "$1" "$3" -D people="$PG_PEOPLE" -D locations="$LOCATIONS" -f "$2"
	# one active primary per person, always
	local primaries
	primaries=$(psql -At -c "SELECT count(*) FROM (SELECT person_pk FROM core_api.person_locations
	  WHERE is_primary AND deleted_at IS NULL GROUP BY 1 HAVING count(*) <> 1) x")
	[ "$primaries" -eq 0 ] || { echo "bench: $1 broke the one-primary rule" >&2; exit 1; }
}
# PGBENCH_SECONDS per contender, in PG_ROUNDS alternating rounds. The
# hand-written transaction runs on the bare table: what an application
# would do without the extension (no triggers to pay for).
for ((round = 1; round <= PG_ROUNDS; round++)); do
	for contender in $(rotate "$round" ext sql); do
		if [ "$contender" = ext ]; then
			use_rules person_locations ext
			pgbench_run ext bench/pgbench_set_primary.sql "$round"
		else
			use_rules person_locations bare
			pgbench_run sql bench/baselines/set_primary_sql.pgbench "$round"
		fi
	done
done
use_rules person_locations ext
fi

# -- 5. the transaction mix (Hasura mutations) under pgbench ------------------------------
# Profile saves (one transaction of 2-6 API calls on one person, as Hasura
# runs a mutation's root fields: READ COMMITTED, SET LOCAL hasura.user,
# the session passed to every call; bench/txmix_save.pgbench) and connector
# pages (one batch sync of 2-4 people; bench/txmix_batch.pgbench), 3 to 1,
# PG_CLIENTS clients, TXMIX_PEOPLE people (bench/txmix.sql). Contenders,
# in rotating rounds, each from the same reset state:
#   ext      person_pivots.* on the extension's triggers;
#   plpgsql  the same API in PL/pgSQL (bench/baselines/api_plpgsql.sql) on
#            the PL/pgSQL triggers (bench/baselines/plpgsql_triggers.sql);
#   sql      the same transactions as hand-written statements
#            (bench/baselines/txmix_*_sql.pgbench) on the extension's triggers.
# Hasura does not retry 40P01/40001: a failed transaction is a failed
# mutation, so failures are reported next to the TPS.

# Loads the helpers and the PL/pgSQL API, then checks that the PL/pgSQL API
# answers like the extension's: otherwise the TPS compare different work.
txmix_setup() {
	psql -v locations="$LOCATIONS" -v media="$MEDIA" -f bench/txmix.sql >/dev/null
	psql -f bench/baselines/api_plpgsql.sql >/dev/null
	local impl api
	for impl in ext plpgsql; do
		use_rules person_media "$impl"
		use_rules person_locations "$impl"
		api=person_pivots
		[ "$impl" = plpgsql ] && api=bench_plpgsql
		psql -v api="$api" -f bench/baselines/check_api_equivalence.sql >"$WORK/api_equivalence_$impl.out" 2>&1 || true
	done
	if ! diff -u "$WORK/api_equivalence_ext.out" "$WORK/api_equivalence_plpgsql.out" >"$WORK/api_equivalence.diff"; then
		cat "$WORK/api_equivalence.diff" >&2
		echo "bench: the PL/pgSQL API does not behave like the extension's (diff above)" >&2
		exit 1
	fi
	log "PL/pgSQL API: same results as the extension on bench/baselines/check_api_equivalence.sql"
}

# The pgbench scripts of each contender: the API ones name their schema.
txmix_scripts() {
	local script
	for script in save batch; do
		sed "s/@API@/person_pivots/g" "bench/txmix_$script.pgbench" >"$WORK/txmix_${script}_ext.pgbench"
		sed "s/@API@/bench_plpgsql/g" "bench/txmix_$script.pgbench" >"$WORK/txmix_${script}_plpgsql.pgbench"
		cp "bench/baselines/txmix_${script}_sql.pgbench" "$WORK/txmix_${script}_sql.pgbench"
	done
}

# One round of one contender from the reset state; records TPS and
# failures, checks the one-primary rule.
txmix_run() { # txmix_run <contender> <round>
	local contender=$1 round=$2 rules=ext
	[ "$contender" = plpgsql ] && rules=plpgsql
	use_rules person_media "$rules"
	use_rules person_locations "$rules"
	psql -c "CALL bench.txmix_reset($TXMIX_PEOPLE)" \
		-c "VACUUM ANALYZE core_api.person_locations, core_api.person_media, core_api.people" -c "CHECKPOINT"
	pgbench_measure txmix "$contender" "$round" -D people="$TXMIX_PEOPLE" \
		-f "$WORK/txmix_save_$contender.pgbench@3" -f "$WORK/txmix_batch_$contender.pgbench@1"
	# at most one active primary per person, whatever happened
	local primaries
	primaries=$(psql -At -c "SELECT count(*) FROM (SELECT person_pk FROM core_api.person_locations
	  WHERE is_primary AND deleted_at IS NULL GROUP BY 1 HAVING count(*) > 1) x")
	[ "$primaries" -eq 0 ] || { echo "bench: txmix $contender broke the one-primary rule" >&2; exit 1; }
}

if want txmix; then
	txmix_setup
	txmix_scripts
	for ((round = 1; round <= PG_ROUNDS; round++)); do
		for contender in $(rotate "$round" ext plpgsql sql); do
			txmix_run "$contender" "$round"
		done
	done
	use_rules person_media ext
	use_rules person_locations ext
	psql -c "TRUNCATE core_api.person_locations, core_api.person_media RESTART IDENTITY"
fi

# -- report ---------------------------------------------------------------------------
ENV_LINE="$(nproc) CPU ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), \
$(awk '/MemTotal/ { printf "%.0f GB RAM", $2 / 1048576 }' /proc/meminfo), \
$(psql -At -c 'SHOW server_version' | cut -d' ' -f1), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src sql || echo '+local changes'), \
load average before/after the run $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$(md5sum <"$LIBRARY")" != "$LIBRARY_SUM" ]; then
	ENV_LINE="$ENV_LINE. WARNING: $LIBRARY changed during the run (another make install): results mix builds"
fi
psql -v raw="$RAW" -v reps="$REPS" -v insert_rows="$INSERT_ROWS" -v sync_people="$SYNC_PEOPLE" \
	-v page_size="$PAGE_SIZE" -v mem_people="$MEM_PEOPLE" -v pg_clients="$PG_CLIENTS" \
	-v pg_seconds="$PGBENCH_SECONDS" -v pg_rounds="$PG_ROUNDS" -v pg_people="$PG_PEOPLE" -v env="$ENV_LINE" \
	-v txmix_people="$TXMIX_PEOPLE" -v cap_rows="$CAP_ROWS" -v cap_timeout="$CAP_TIMEOUT" \
	-v settings="${SETTINGS[*]}" -v out="$WORK" -f bench/report.sql >/dev/null
cp "$WORK/latest.md" "$OUT/latest.md"
cp "$RAW" "$OUT/latest.tsv"
gnuplot -e "dir='$WORK'; out='$OUT/bench.png'" bench/plot.gp 2>"$WORK/gnuplot.log" ||
	{ cat "$WORK/gnuplot.log" >&2; log "no chart (missing sections?)"; }
cat "$OUT/latest.md"
log "written: $OUT/latest.md, $OUT/latest.tsv, $OUT/bench.png"

# -- optional: where the extension's insert time goes (perf) ----------------------------
[ -n "${BENCH_PERF:-}" ] || exit 0
if ! command -v perf >/dev/null || ! perf record -q -e cpu-clock -o "$WORK/probe.data" -- true 2>/dev/null; then
	echo "bench: perf is missing or not permitted here; no profile" >&2
	exit 0
fi
# Children percentages of the frames that matter, over the backend's samples.
FRAMES='standard_ExecutorRun|ExecBRInsertTriggers|pp::rules::guard_row|pp::host::fetch_by_pk|pp::lock_person|'
FRAMES+='SPI_execute_plan_with_paramlist|AfterTriggerEndQuery|ExecInsertIndexTuples|heap_insert|plpgsql_exec_trigger|'
FRAMES+='pp::spi::execute_by_tid|pp::active::primary|pp::active::lock_settled_pair|heap_update'
# the demotion-heavy load (section demote), extension only: PL/pgSQL is capped there
INSERT_SQL[demote]="INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary)
  $(demote_rows_sql "$INSERT_ROWS" heavy)"
{
	echo "# perf profiles of one INSERT ... SELECT of $INSERT_ROWS rows per case (cpu-clock, dwarf call graphs)"
	echo "# machine: $ENV_LINE"
	echo "# 'children' = share of the backend's samples spent in the frame and everything it calls."
	echo "# ExecBRInsertTriggers = the BEFORE ROW triggers; AfterTriggerEndQuery = the foreign key checks;"
	echo "# execute_by_tid = the demotion UPDATE (with its own index inserts and foreign key re-checks);"
	echo "# pp::active::* = the primary and pair probes."
} >"$OUT/profile.txt"
for section in ins_media ins_loc50 demote; do
	contenders="ext plpgsql"
	[ "$section" = demote ] && contenders=ext
	for contender in $contenders; do
		table=person_media
		[ "$section" = ins_media ] || table=person_locations
		use_rules "$table" "$contender"
		psql -c "TRUNCATE core_api.$table RESTART IDENTITY" -c "VACUUM core_api.people" -c "CHECKPOINT"
		rm -f "$WORK/pid"
		(
			while [ ! -s "$WORK/pid" ]; do sleep 0.05; done
			exec perf record -q -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$(tr -dc 0-9 <"$WORK/pid")" \
				-o "$WORK/$section.$contender.perf" >/dev/null 2>&1
		) &
		profiler=$!
		{
			echo "SELECT pg_backend_pid() \\g $WORK/pid"
			echo "SELECT pg_sleep(1);"
			echo "${INSERT_SQL[$section]};"
		} | PGOPTIONS="$APP_OPTIONS" psql -At -o /dev/null
		wait "$profiler" || true
		{
			echo
			echo "## $section, $contender"
			perf report -i "$WORK/$section.$contender.perf" --children --sort symbol -g none --stdio 2>/dev/null |
				grep -E "\] ($FRAMES)( |$)" | sed -E 's/ +- +- *$//; s/\[\.\] //'
		} >>"$OUT/profile.txt"
		log "profiled $section $contender"
	done
done
use_rules person_media ext
use_rules person_locations ext
cat "$OUT/profile.txt"
