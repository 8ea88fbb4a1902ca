#!/usr/bin/env bash
# Dump and restore: pg_dump of a database using person_pivots, restored into
# fresh databases as a plain SQL script (psql) and as a custom-format archive
# (pg_restore). Passes when each restore reproduces every pivot row exactly
# (soft-deleted rows, created_at, updated_at, deleted_at), the pk sequences'
# positions, the schema (pg_dump --schema-only of source and restore are
# equal) and the extension's membership, and when the rules are in force
# afterwards (an application role's DELETE is a soft delete, clearing
# deleted_at fails, TRUNCATE is refused, a new primary demotes the old one).
#
# Needs a running cluster (PGHOST/PGPORT, as make test provides); run alone,
# it starts a throwaway one.
set -euo pipefail
cd "$(dirname "$0")/../.."

source test/scripts/cluster.sh
cluster_ensure
bindir=$(pg_config --bindir)
src=pp_dump_src_$$
plain=pp_dump_plain_$$
custom=pp_dump_custom_$$
work=$(mktemp -d /tmp/pp_dump_restore.XXXXXX)
chmod 755 "$work"
cleanup() {
	for db in "$src" "$plain" "$custom"; do
		"$bindir/dropdb" --if-exists "$db" >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap 'cleanup; [ -n "${PP_CLUSTER_DIR:-}" ] && cluster_stop || true' EXIT

source test/scripts/checks.sh

# The source: host schema, extension, and rows written the ways an
# application and a DBA write them, over several transactions.
"$bindir/createdb" "$src"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" -f test/fixtures/host_schema.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
-- a maintenance role backfills history verbatim
INSERT INTO core_api.person_media (person_pk, media_pk, created_at, updated_at, deleted_at) VALUES
  (1, 1, '2024-01-01 10:00:00.123456+00', '2024-02-01 10:00+00', '2024-03-01 10:00+00'),
  (2, 2, '2024-01-02 10:00+00', NULL, NULL);
INSERT INTO core_api.person_locations (person_pk, location_pk, is_primary, is_legal, label, created_at, deleted_at) VALUES
  (1, 1, true, false, 'Old home', '2024-01-01 10:00+00', '2024-06-01 10:00+00');
SET ROLE pp_app;
SELECT person_pivots.link_person_media('11111111-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000001');
SELECT person_pivots.link_person_media('11111111-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000003');
SELECT person_pivots.link_person_location('11111111-0000-0000-0000-000000000001', '33333333-0000-0000-0000-000000000001', 'Home', true);
SELECT person_pivots.link_person_location('11111111-0000-0000-0000-000000000002', '33333333-0000-0000-0000-000000000002', 'Work');
SELECT pg_sleep(0.01);
-- a DELETE soft-deletes (and stamps updated_at); a new primary demotes
DELETE FROM core_api.person_media WHERE person_pk = 1 AND media_pk = 3;
SELECT person_pivots.link_person_location('11111111-0000-0000-0000-000000000001', '33333333-0000-0000-0000-000000000003', 'Office', true);
SELECT person_pivots.link_person_media('11111111-0000-0000-0000-000000000001', '22222222-0000-0000-0000-000000000003');
RESET ROLE;
-- a failed insert still advances the sequence: the restore must keep the gap
DO $$ BEGIN
  INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 4);
EXCEPTION WHEN check_violation THEN NULL;
END $$;
SQL

snapshot() { # snapshot <db> <name>: rows, sequences and members, to files
	local db=$1 name=$2
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "COPY (SELECT * FROM core_api.person_media ORDER BY pk) TO STDOUT" \
		>"$work/$name.media"
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "COPY (SELECT * FROM core_api.person_locations ORDER BY pk) TO STDOUT" \
		>"$work/$name.locations"
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" >"$work/$name.sequences" <<'SQL'
SELECT 'person_media_pk_seq', last_value, is_called FROM core_api.person_media_pk_seq;
SELECT 'person_locations_pk_seq', last_value, is_called FROM core_api.person_locations_pk_seq;
SQL
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" >"$work/$name.members" <<'SQL'
SELECT e.extversion, pg_describe_object(d.classid, d.objid, 0) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
  WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'person_pivots' ORDER BY 2;
SQL
	# the schema as pg_dump sees it, without its version banner and the
	# random \restrict key of newer pg_dump releases
	"$bindir/pg_dump" --schema-only -d "$db" | grep -v -e '^-- Dumped \(from\|by\)' -e '^\\\(un\)\?restrict ' \
		>"$work/$name.schema"
}
snapshot "$src" src
echo "source: $(wc -l <"$work/src.media") person_media rows, $(wc -l <"$work/src.locations") person_locations rows," \
	"$(grep -c . "$work/src.members") extension members"
check "source has soft-deleted rows, updated_at and a sequence gap" \
	test "$(sql "$src" "SELECT (SELECT count(*) FROM core_api.person_media WHERE deleted_at IS NOT NULL)
	                          + (SELECT count(*) FROM core_api.person_locations WHERE deleted_at IS NOT NULL) >= 3
	                      AND (SELECT count(*) FROM core_api.person_media WHERE updated_at IS NOT NULL) >= 2
	                      AND (SELECT last_value FROM core_api.person_media_pk_seq)
	                          > (SELECT max(pk) FROM core_api.person_media)")" = t

next_media_pk=$(sql "$src" "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END
                             FROM core_api.person_media_pk_seq")
"$bindir/pg_dump" -d "$src" -f "$work/dump.sql"
"$bindir/pg_dump" -Fc -d "$src" -f "$work/dump.custom"
check "plain dump has no person_pivots config-dump section (tables are ordinary)" \
	bash -c "! grep -q pg_extension_config_dump '$work/dump.sql'"
check "plain dump copies the pivot rows before creating the triggers" \
	bash -c "[ \$(grep -n '^COPY core_api.person_media ' '$work/dump.sql' | cut -d: -f1) -lt \
	          \$(grep -n '^CREATE TRIGGER person_pivots_guard' '$work/dump.sql' | head -1 | cut -d: -f1) ]"

# Restores into fresh databases; any error fails the restore.
"$bindir/createdb" "$plain"
check "plain restore (psql -f) runs without error" \
	bash -c "psql -X -q -v ON_ERROR_STOP=1 -d '$plain' -f '$work/dump.sql' >'$work/plain.log' 2>&1"
"$bindir/createdb" "$custom"
check "custom-format restore (pg_restore) runs without error" \
	bash -c "'$bindir/pg_restore' --exit-on-error -d '$custom' '$work/dump.custom' >'$work/custom.log' 2>&1"

for db in "$plain" "$custom"; do
	kind=${db%_*}
	kind=${kind#pp_dump_}
	snapshot "$db" "$kind"
	for part in media locations sequences members schema; do
		check "$kind restore: $part identical to the source" cmp -s "$work/src.$part" "$work/$kind.$part"
		cmp -s "$work/src.$part" "$work/$kind.$part" || diff "$work/src.$part" "$work/$kind.$part" | head -20 || true
	done

	# The rules are in force after the restore.
	check_rules_hold "$db" "$kind restore" 2 2 4
	check "$kind restore: row count unchanged after the application's DELETE" \
		test "$(sql "$db" "SELECT count(*) FROM core_api.person_media")" = "$(wc -l <"$work/src.media")"
	check "$kind restore: the next pk continues after the source's sequence" \
		test "$(sql "$db" "SELECT nextval('core_api.person_media_pk_seq')")" = "$next_media_pk"
done

if [ "$failures" -ne 0 ]; then
	echo "t_dump_restore: $failures check(s) failed"
	exit 1
fi
echo "t_dump_restore: all checks passed"
