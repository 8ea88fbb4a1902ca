#!/usr/bin/env bash
# Upgrades: for every older version of person_pivots, install it, write rows
# (links, soft deletes, a demoted primary), run ALTER EXTENSION person_pivots
# UPDATE to the newest version, and check that every row is unchanged and the
# rules still hold. Then compare the upgraded database with a fresh install
# of the newest version: pg_dump --schema-only (tables, API functions,
# triggers, grants) and the extension's own members (pg_dump leaves those
# out), with their definitions, comments and privileges, must be identical.
#
# The API functions are not extension members: an upgrade changes them
# through person_pivots_internal.install_api (1.2 onwards). Checked across
# the update: each keeps its oid, owner, comment and grants (an application
# role's from grant_application_role, and an owner a DBA set), none becomes
# a member, and the declarations are the newest version's (1.2: ROWS 1 on
# the single-row functions). Databases of builds before 1.2 carry the
# test-only member person_pivots_internal.boundary_probe: the update drops
# it. A dump of an older database restored the documented way (extension
# pre-created at the dump's version, then updated) ends up the same.
#
# Needs a running cluster (PGHOST/PGPORT, as make test provides); run alone,
# it starts a throwaway one.
set -euo pipefail
cd "$(dirname "$0")/../.."

source test/scripts/cluster.sh
cluster_ensure
bindir=$(pg_config --bindir)
fresh=pp_upgrade_fresh_$$
work=$(mktemp -d /tmp/pp_upgrade.XXXXXX)
dbs=("$fresh")
cleanup() {
	for db in "${dbs[@]}"; do
		"$bindir/dropdb" --if-exists "$db" >/dev/null 2>&1 || true
	done
	psql -X -q -d postgres -c "DROP ROLE IF EXISTS pp_api_owner" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap 'cleanup; [ -n "${PP_CLUSTER_DIR:-}" ] && cluster_stop || true' EXIT

source test/scripts/checks.sh

psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS pp_api_owner" -c "CREATE ROLE pp_api_owner NOLOGIN" >/dev/null

# new_database <db> <version>: the host fixture with person_pivots <version>,
# the application role granted what grant_application_role gives (when the
# version has it), and one API function handed to another owner by a DBA.
new_database() {
	local db=$1 version=$2
	"$bindir/createdb" "$db"
	{ echo '\i test/fixtures/host_schema.sql'; old_version_sql "$version"; cat <<SQL; } | psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null
SELECT to_regproc('person_pivots_internal.grant_application_role') IS NOT NULL AS has_grant \gset
\if :has_grant
SELECT person_pivots_internal.grant_application_role('pp_app');
\endif
ALTER FUNCTION person_pivots.link_person_media(uuid, uuid, json) OWNER TO pp_api_owner;
SQL
}

# before_1_2 <version>: true for versions whose databases, installed by a
# build before 1.2, carry the test-only member boundary_probe
before_1_2() {
	[ "$1" != 1.2 ] && [ "$(printf '%s\n' "$1" 1.2 | sort -V | head -n 1)" = "$1" ]
}

# add_old_probe <db>: what the 1.0 script of builds before 1.2 created. Its
# C symbol has left person_pivots.so, so a SQL stand-in of the same
# signature takes its place; membership and initial privileges are the
# same (revoked before ALTER EXTENSION ADD records them, as the script's
# REVOKE was).
add_old_probe() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<'SQL'
CREATE FUNCTION person_pivots_internal.boundary_probe(mode text) RETURNS text
  LANGUAGE sql STRICT AS $$SELECT 'ok'$$;
COMMENT ON FUNCTION person_pivots_internal.boundary_probe(text) IS 'stand-in for the test-only probe of builds before 1.2';
REVOKE ALL ON FUNCTION person_pivots_internal.boundary_probe(text) FROM PUBLIC;
ALTER EXTENSION person_pivots ADD FUNCTION person_pivots_internal.boundary_probe(text);
SQL
}

# restore_then_update <db> <version> <dump>: the documented way to restore
# a dump of an older version into this build (docs/operations.md,
# "Upgrading"): the extension at the dump's version in restore mode, the
# dump, the update; then the application role's grants of the new version.
restore_then_update() {
	local db=$1 version=$2 dump=$3
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL || return 1
SET row_security = off;
SET client_min_messages = error;
CREATE EXTENSION person_pivots VERSION '$version';
SQL
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$dump" >/dev/null || return 1
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL
ALTER EXTENSION person_pivots UPDATE TO '$latest';
SELECT person_pivots_internal.grant_application_role('pp_app');
SQL
}

# api <db> <name>: each API function's identity, owner, grants, comment and
# membership (not its declaration: that is what an upgrade may change).
# Grants to roles only: PUBLIC's EXECUTE goes in 1.2, on purpose (checked
# on its own below). purge_person's comment changes in 1.2, on purpose
# (the comparison with a fresh install checks the new one).
api() {
	local db=$1 name=$2
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" >"$work/$name.api" <<'SQL'
SELECT p.oid, p.oid::regprocedure, p.proowner::regrole,
       COALESCE((SELECT string_agg(a.grantee::regrole::text || '=' || a.privilege_type, ',' ORDER BY 1)
                   FROM aclexplode(COALESCE(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee <> 0), ''),
       CASE WHEN p.proname = 'purge_person' THEN '(1.2 rewrites this comment)'
            ELSE COALESCE(obj_description(p.oid, 'pg_proc'), 'NO COMMENT') END,
       EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  FROM pg_proc p WHERE p.pronamespace = 'person_pivots'::regnamespace ORDER BY p.oid::regprocedure::text;
SQL
}

# The newest version's declarations: the single-row functions say ROWS 1.
single_row_functions='link_person_location, link_person_media, primary_location, set_primary_location, unlink_person_location, unlink_person_media'
rows_estimates() {
	sql "$1" "SELECT string_agg(proname, ', ' ORDER BY proname) FROM pg_proc
	          WHERE pronamespace = 'person_pivots'::regnamespace AND proretset AND prorows = 1"
}

# catalog <db> <name>: what the extension is, as files to compare
catalog() {
	local db=$1 name=$2
	"$bindir/pg_dump" --schema-only -d "$db" | grep -v -e '^-- Dumped \(from\|by\)' -e '^\\\(un\)\?restrict ' \
		>"$work/$name.schema"
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" >"$work/$name.members" <<'SQL'
SELECT e.extversion, e.extnamespace::regnamespace, e.extrelocatable FROM pg_extension e WHERE e.extname = 'person_pivots';
-- every member, with its comment
SELECT pg_describe_object(d.classid, d.objid, 0), COALESCE(obj_description(d.objid, c.relname), '')
  FROM pg_depend d JOIN pg_class c ON c.oid = d.classid
  WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
    AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'person_pivots')
  ORDER BY 1;
-- every function of the extension's schemas, member or not: definition and privileges
SELECT p.oid::regprocedure, pg_get_functiondef(p.oid), COALESCE(p.proacl::text, 'default'), p.proowner::regrole
  FROM pg_proc p WHERE p.pronamespace IN ('person_pivots'::regnamespace, 'person_pivots_internal'::regnamespace)
  ORDER BY p.oid::regprocedure::text;
SELECT n.nspname, COALESCE(n.nspacl::text, 'default'), COALESCE(obj_description(n.oid, 'pg_namespace'), '')
  FROM pg_namespace n WHERE n.nspname LIKE 'person_pivots%' ORDER BY 1;
SQL
}

rows() { # rows <db> <name>: every pivot row and sequence position
	local db=$1 name=$2
	{
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "COPY (SELECT * FROM core_api.person_media ORDER BY pk) TO STDOUT"
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "COPY (SELECT * FROM core_api.person_locations ORDER BY pk) TO STDOUT"
		sql "$db" "SELECT last_value, is_called FROM core_api.person_media_pk_seq"
		sql "$db" "SELECT last_value, is_called FROM core_api.person_locations_pk_seq"
	} >"$work/$name.rows"
}

versions=$(sql postgres "SELECT version FROM pg_available_extension_versions WHERE name = 'person_pivots'
                         ORDER BY string_to_array(version, '.')::int[]")
latest=$(tail -n 1 <<<"$versions")
default=$(sql postgres "SELECT default_version FROM pg_available_extensions WHERE name = 'person_pivots'")
echo "versions: $(echo $versions); newest $latest; default_version $default"
# A fresh CREATE EXTENSION gets default_version; until the control file
# names the newest version, fresh installs need VERSION '$latest'.
[ "$default" = "$latest" ] || echo "note: default_version $default is not the newest version $latest"

new_database "$fresh" "$latest"
catalog "$fresh" fresh
check "fresh $latest: the single-row API functions declare ROWS 1" \
	test "$(rows_estimates "$fresh")" = "$single_row_functions"
echo "fresh $latest: $(($(wc -l <"$work/fresh.members"))) catalog lines, $(wc -l <"$work/fresh.schema") schema lines"

older=$(grep -vx "$latest" <<<"$versions" || true)
[ -n "$older" ] || echo "only one version: no upgrade to test"
for version in $older; do
	db=pp_upgrade_from_${version//./_}_$$
	dbs+=("$db")
	new_database "$db" "$version"
	before_1_2 "$version" && add_old_probe "$db"
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
INSERT INTO core_api.person_media (person_pk, media_pk, created_at, deleted_at) VALUES
  (1, 2, '2024-01-01 10:00+00', '2024-02-01 10:00+00');
SET ROLE pp_app;
SELECT person_pivots.link_person_media('11111111-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000001');
SELECT person_pivots.link_person_media('11111111-0000-0000-0000-000000000002', '22222222-0000-0000-0000-000000000002');
SELECT person_pivots.link_person_location('11111111-0000-0000-0000-000000000001', '33333333-0000-0000-0000-000000000001', 'Home', true);
SELECT person_pivots.link_person_location('11111111-0000-0000-0000-000000000001', '33333333-0000-0000-0000-000000000002', 'Work', true);
DELETE FROM core_api.person_media WHERE person_pk = 2;
RESET ROLE;
SQL
	rows "$db" before
	media_before=$(sql "$db" "SELECT count(*) FROM core_api.person_media")
	check "$version: rows written (soft-deleted and demoted rows among them)" \
		test "$(sql "$db" "SELECT (SELECT count(*) FROM core_api.person_media WHERE deleted_at IS NOT NULL) = 2
		                     AND (SELECT count(*) FROM core_api.person_locations WHERE NOT is_primary) = 1")" = t

	api "$db" before
	had_grant=$(sql "$db" "SELECT to_regproc('person_pivots_internal.grant_application_role') IS NOT NULL")
	"$bindir/pg_dump" -d "$db" >"$work/dump.sql"

	check "$version: ALTER EXTENSION person_pivots UPDATE TO '$latest' succeeds" \
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "ALTER EXTENSION person_pivots UPDATE TO '$latest'"
	check "$version: extension reports version $latest" \
		test "$(sql "$db" "SELECT extversion FROM pg_extension WHERE extname = 'person_pivots'")" = "$latest"
	rows "$db" after
	check "$version -> $latest: every row and sequence position unchanged" cmp -s "$work/before.rows" "$work/after.rows"

	# The API functions, replaced in place by install_api.
	api "$db" after
	# Before grant_application_role (1.0), pp_app called the functions
	# through PUBLIC; the update grants it EXECUTE as a pivot writer.
	kept="$work/after.api"
	if [ "$had_grant" = f ]; then
		kept="$work/after_kept.api"
		sed 's/,pp_app=EXECUTE//' "$work/after.api" >"$kept"
	fi
	check "$version -> $latest: every API function kept its oid, owner, grants (pp_app's, pp_api_owner's) and comment, and is no member" \
		cmp -s "$work/before.api" "$kept"
	cmp -s "$work/before.api" "$kept" || diff "$work/before.api" "$kept" | head -30 || true
	check "$version -> $latest: pp_app, a pivot writer, executes every API function but purge_person" \
		test "$(grep -c 'pp_app=EXECUTE' "$work/after.api")" -eq "$(($(wc -l <"$work/after.api") - 1))"
	check "$version -> $latest: PUBLIC executes no function of schema person_pivots" \
		test "$(sql "$db" "SELECT count(*) FROM pg_proc WHERE pronamespace = 'person_pivots'::regnamespace
		                     AND has_function_privilege('public', oid, 'EXECUTE')")" = 0
	check "$version -> $latest: the single-row API functions declare ROWS 1" \
		test "$(rows_estimates "$db")" = "$single_row_functions"
	check "$version -> $latest: the test-only boundary_probe is gone" \
		test "$(sql "$db" "SELECT to_regprocedure('person_pivots_internal.boundary_probe(text)') IS NULL")" = t
	# grant_application_role came with 1.1: a 1.0 database gets it now, as
	# the fresh install did at creation
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SELECT person_pivots_internal.grant_application_role('pp_app')" >/dev/null

	# The upgraded database matches a fresh install (before more writes:
	# sequences and rows are data, not schema, but keep it simple).
	catalog "$db" upgraded
	for part in schema members; do
		check "$version -> $latest: $part identical to a fresh $latest install" \
			cmp -s "$work/fresh.$part" "$work/upgraded.$part"
		cmp -s "$work/fresh.$part" "$work/upgraded.$part" || diff "$work/fresh.$part" "$work/upgraded.$part" | head -30 || true
	done

	# The rules hold on the upgraded database.
	check_rules_hold "$db" "$version -> $latest" 1 1 3
	check "$version -> $latest: every row kept" \
		test "$(sql "$db" "SELECT count(*) FROM core_api.person_media")" = "$media_before"

	# A dump of the $version database restored into this build: the
	# extension pre-created at the dump's version in restore mode, the dump,
	# then the update (docs/operations.md, "Upgrading").
	restored=pp_upgrade_restored_${version//./_}_$$
	dbs+=("$restored")
	"$bindir/createdb" "$restored"
	check "$version dump: restored into a $version extension, then updated to $latest" \
		restore_then_update "$restored" "$version" "$work/dump.sql"
	check "$version dump -> $latest: the single-row API functions declare ROWS 1" \
		test "$(rows_estimates "$restored")" = "$single_row_functions"
	catalog "$restored" restored
	for part in schema members; do
		check "$version dump -> $latest: $part identical to a fresh $latest install" \
			cmp -s "$work/fresh.$part" "$work/restored.$part"
		cmp -s "$work/fresh.$part" "$work/restored.$part" || diff "$work/fresh.$part" "$work/restored.$part" | head -30 || true
	done
done

if [ "$failures" -ne 0 ]; then
	echo "t_upgrade: $failures check(s) failed"
	exit 1
fi
echo "t_upgrade: all checks passed"
