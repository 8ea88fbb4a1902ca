# Throwaway PostgreSQL cluster for tests, demo and benchmarks. Source it,
# then call cluster_start; it stops itself on exit, error or Ctrl-C.
# Never touches a server the user runs: private data dir, unix socket in
# that dir only (listen_addresses is empty), so no port can collide.

PG_BINDIR=$(pg_config --bindir)

as_cluster_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cluster_stop() {
	# Only the shell that started the cluster stops it: the shell tests of
	# make test inherit PP_CLUSTER_DIR and must leave it running.
	[ "${PP_CLUSTER_OWNER_PID:-}" = "$$" ] || return 0
	if [ -n "${PP_CLUSTER_DIR:-}" ] && [ -d "$PP_CLUSTER_DIR/data" ]; then
		as_cluster_owner "$PG_BINDIR/pg_ctl" -D "$PP_CLUSTER_DIR/data" -m immediate stop >/dev/null 2>&1 || true
		if [ -n "${PP_KEEP_LOG:-}" ] && [ -f "$PP_CLUSTER_DIR/server.log" ]; then
			cp "$PP_CLUSTER_DIR/server.log" "$PP_KEEP_LOG" 2>/dev/null || true
		fi
		rm -rf "$PP_CLUSTER_DIR"
	fi
	PP_CLUSTER_DIR=
}

# cluster_start [extra postgres -c settings...]
cluster_start() {
	# exported: the shell tests make test runs see that a cluster of ours is up
	export PP_CLUSTER_DIR PP_CLUSTER_OWNER_PID=$$
	PP_CLUSTER_DIR=$(mktemp -d /tmp/person_pivots.XXXXXX)
	chmod 755 "$PP_CLUSTER_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$PP_CLUSTER_DIR"
	trap 'cluster_stop' EXIT
	trap 'cluster_stop; exit 130' INT TERM
	as_cluster_owner "$PG_BINDIR/initdb" -D "$PP_CLUSTER_DIR/data" -A trust -U postgres -E UTF8 \
		--locale=C --no-sync >/dev/null
	local port=$((20000 + RANDOM % 20000))
	local opts="-c listen_addresses='' -c unix_socket_directories='$PP_CLUSTER_DIR' -p $port -c fsync=off"
	for setting in "$@"; do opts="$opts -c $setting"; done
	as_cluster_owner "$PG_BINDIR/pg_ctl" -D "$PP_CLUSTER_DIR/data" -l "$PP_CLUSTER_DIR/server.log" \
		-o "$opts" -w start >/dev/null
	export PGHOST="$PP_CLUSTER_DIR" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
	export PP_SERVER_LOG="$PP_CLUSTER_DIR/server.log"
}

# For scripts that run inside make test or alone: use the throwaway cluster
# make test started, else start one. A PGHOST of the user's own is never
# reason enough to connect: only a cluster this harness started is used.
cluster_ensure() {
	if [ -n "${PP_CLUSTER_DIR:-}" ] && [ -d "$PP_CLUSTER_DIR/data" ]; then
		return 0
	fi
	cluster_start "$@"
}

# For the load tests: a database and a scratch folder of their own, both
# removed on exit (the cluster too, if this shell started it). Sets db,
# work and log (the server log, which the tests read for errors).
scratch_database() { # scratch_database <name>
	db=pp_$1_$$
	log=${PP_SERVER_LOG:-${PGHOST:-}/server.log}
	work=$(mktemp -d "/tmp/pp_$1.XXXXXX")
	trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true; rm -rf "$work"; cluster_stop' EXIT
}

# old_version_sql <version>: SQL that replaces the host fixture's extension
# and pivot tables with person_pivots <version> installed from its scripts,
# with the fixture's grants on the tables it creates (t_upgrade.sh,
# t_tx_mix.sh when t_upgrade_live.sh runs it on an older version).
old_version_sql() {
	cat <<SQL
SET client_min_messages = warning;
DROP EXTENSION person_pivots CASCADE;
DROP TABLE core_api.person_media, core_api.person_locations;
CREATE EXTENSION person_pivots VERSION '$1';
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON core_api.person_media, core_api.person_locations TO pp_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA core_api TO pp_app;
SQL
}

fail() {
	echo "FAIL: $*"
	exit 1
}

# amcheck_pivots <db>: the physical integrity of both pivot tables, checked
# with contrib's amcheck (created in <db> if missing):
# bt_index_parent_check(index, heapallindexed => true) on every index of
# core_api.person_media and core_api.person_locations, and verify_heapam on
# both tables. Prints one line; returns non-zero with every finding (an
# error of bt_index_parent_check, an index it cannot check, a row of
# verify_heapam) when anything is wrong. Every load test ends with
# `amcheck_pivots "$db" || fail "amcheck: ..."`. Needs a superuser.
amcheck_pivots() {
	local db=$1 out indexes findings
	if ! out=$(psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d "$db" 2>&1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS amcheck;
SELECT 'index', i.indexrelid::regclass, bt_index_parent_check(i.indexrelid, heapallindexed => true)
  FROM pg_index i
 WHERE i.indrelid IN ('core_api.person_media'::regclass, 'core_api.person_locations'::regclass)
 ORDER BY 2;
SELECT 'finding', t.rel, h.blkno, h.offnum, h.attnum, h.msg
  FROM (VALUES ('core_api.person_media'::regclass), ('core_api.person_locations'::regclass)) t(rel),
       verify_heapam(t.rel, check_toast => true) h;
SQL
	); then
		echo "amcheck $db: $out"
		return 1
	fi
	indexes=$(grep -c '^index ' <<<"$out" || true)
	findings=$(grep -c '^finding ' <<<"$out" || true)
	if [ "$findings" -ne 0 ] || [ "$indexes" -lt 2 ]; then
		echo "amcheck $db: $indexes indexes checked, $findings findings of verify_heapam:"
		grep '^finding ' <<<"$out" | sed -n '1,20p'
		return 1
	fi
	echo "amcheck $db: $indexes indexes (bt_index_parent_check, heapallindexed) and 2 tables (verify_heapam): 0 findings"
}
