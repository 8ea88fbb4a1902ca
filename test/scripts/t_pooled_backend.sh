#!/usr/bin/env bash
# A pooled backend follows the host's migrations (docs/design.md, "The host
# contract"). One psql connection (one backend, as Hasura keeps them for
# hours) stays open from before a migration to after it; every API call is
# then made in it and in a fresh backend, each in a transaction rolled back,
# and the two must answer alike: the same rows, the same errors (SQLSTATE
# and message). The migrations: the one of issue 17 (media gains deleted_at
# and workspace_pk; media 32, 33 soft-deleted, media 41 moved to workspace
# 2), then each change that breaks the contract (a key retyped to bigint
# with a person beyond int4, an id's unique index dropped, an id column
# renamed, a workspace_pk retyped, a host table or the schema renamed), each reverted
# before the next. Fails if the pooled backend answers anything differently
# or is not the same backend throughout.
#
# Needs a running cluster (PGHOST/PGPORT, as make test provides); run alone,
# it starts a throwaway one.
set -euo pipefail
cd "$(dirname "$0")/../.."

source test/scripts/cluster.sh
cluster_ensure
bindir=$(pg_config --bindir)
db=pp_pooled_$$
out=$(mktemp -d /tmp/pp_pooled.XXXXXX)
pooled_pid=
cleanup() {
	exec 3>&- 4<&- 2>/dev/null || true
	[ -n "$pooled_pid" ] && kill "$pooled_pid" 2>/dev/null || true
	"$bindir/dropdb" --if-exists "$db" >/dev/null 2>&1 || true
	rm -rf "$out"
}
trap 'cleanup; [ -n "${PP_CLUSTER_DIR:-}" ] && cluster_stop || true' EXIT

"$bindir/createdb" "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f test/fixtures/host_schema.sql >/dev/null
# The host of the issue: media without deleted_at and workspace_pk (both
# optional), person 11 of workspace 1, media 1..41, locations 1..5.
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
SET client_min_messages = warning;
CALL pp_test.reset_host_schema(people => 11, media => 41, locations => 5);
INSERT INTO core_api.workspaces (workspace_id) VALUES ('aaaaaaaa-0000-0000-0000-000000000002');
DROP EXTENSION person_pivots CASCADE;
DROP TABLE core_api.person_media, core_api.person_locations;
ALTER TABLE core_api.media DROP COLUMN deleted_at, DROP COLUMN workspace_pk;
CREATE EXTENSION person_pivots;
SQL

# psql reads the same way in both backends (from a pipe), so their output
# is comparable once psql's "psql:<stdin>:N: " prefix is stripped.
psql_opts=(-X -q -A -t -v ON_ERROR_STOP=0 -v SHOW_CONTEXT=never -d "$db")
normalize() { sed -E 's/^psql:[^:]*:[0-9]+: //'; }

# The pooled backend: one psql fed through a fifo, its output read from
# another (plain descriptors: unlike a coproc's, command substitutions see
# them).
mkfifo "$out/in" "$out/out"
psql "${psql_opts[@]}" <"$out/in" >"$out/out" 2>&1 &
pooled_pid=$!
exec 3>"$out/in" 4<"$out/out"
pooled() { # pooled <sql>: runs it in the pooled backend, prints its output
	printf '%s\n\\echo __end_of_call__\n' "$1" >&3
	local line
	while IFS= read -r -t 60 line <&4; do
		[ "$line" = "__end_of_call__" ] && return 0
		printf '%s\n' "$line"
	done
	echo "pooled backend did not answer"
	return 1
}
fresh() { # fresh <sql>: the same in a new backend
	printf '%s\n' "$1" | psql "${psql_opts[@]}" 2>&1
}
migrate() { # migrate <sql>: another session changes the host
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning" -c "$1" >/dev/null
}

pid=$(pooled "SELECT pg_backend_pid();")
failures=0
checks=0
compare() { # compare <label> <sql>: in a rolled-back transaction, pooled vs fresh
	local sql="\\set LAST_ERROR_SQLSTATE none
BEGIN;
$2
\\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK;"
	local p f
	p=$(pooled "$sql" | normalize)
	f=$(fresh "$sql" | normalize)
	checks=$((checks + 1))
	if [ "$p" != "$f" ]; then
		failures=$((failures + 1))
		echo "DIFFERENT: $1"
		diff <(printf '%s\n' "$f") <(printf '%s\n' "$p") | sed 's/^/    /' || true
	else
		echo "same: $1: $(printf '%s' "$p" | tr '\n' ' ' | cut -c1-160)"
	fi
}

p11=11111111-0000-0000-0000-000000000011
ws1='{"x-hasura-role": "user", "x-hasura-workspace-id": "aaaaaaaa-0000-0000-0000-000000000001"}'
m() { printf '22222222-0000-0000-0000-%012d' "$1"; }
l() { printf '33333333-0000-0000-0000-%012d' "$1"; }

# Every API function, each one call (single, sync, batch, reads).
all_calls() {
	compare "$1 link_person_media 32" "SELECT person_pk, media_pk FROM person_pivots.link_person_media('$p11', '$(m 32)');"
	compare "$1 link_person_media 41 (scoped)" "SELECT person_pk, media_pk FROM person_pivots.link_person_media('$p11', '$(m 41)', '$ws1');"
	compare "$1 link_person_media 41" "SELECT person_pk, media_pk FROM person_pivots.link_person_media('$p11', '$(m 41)');"
	compare "$1 link_person_media 5" "SELECT person_pk, media_pk FROM person_pivots.link_person_media('$p11', '$(m 5)', '$ws1');"
	compare "$1 unlink_person_media 1" "SELECT person_pk, media_pk, deleted_at IS NOT NULL FROM person_pivots.unlink_person_media('$p11', '$(m 1)');"
	compare "$1 sync_person_media 33" "SELECT person_pk, media_pk FROM person_pivots.sync_person_media('$p11', ARRAY['$(m 33)', '$(m 2)']::uuid[]) ORDER BY 2;"
	compare "$1 sync_person_media 2,3 (scoped)" "SELECT person_pk, media_pk FROM person_pivots.sync_person_media('$p11', ARRAY['$(m 2)', '$(m 3)']::uuid[], '$ws1') ORDER BY 2;"
	compare "$1 sync_person_media_batch 41 (scoped)" "SELECT person_pk, media_pk FROM person_pivots.sync_person_media_batch('{\"$p11\": [\"$(m 41)\"]}', '$ws1') ORDER BY 2;"
	compare "$1 sync_person_media_batch 4" "SELECT person_pk, media_pk FROM person_pivots.sync_person_media_batch('{\"$p11\": [\"$(m 4)\"]}') ORDER BY 2;"
	compare "$1 person_active_media" "SELECT person_pk, media_pk FROM person_pivots.person_active_media('$p11', '$ws1');"
	compare "$1 link_person_location" "SELECT person_pk, location_pk, is_primary FROM person_pivots.link_person_location('$p11', '$(l 2)', 'work', true, false, '$ws1');"
	compare "$1 set_primary_location" "SELECT person_pk, location_pk, is_primary FROM person_pivots.set_primary_location('$p11', '$(l 1)');"
	compare "$1 unlink_person_location" "SELECT person_pk, location_pk FROM person_pivots.unlink_person_location('$p11', '$(l 1)');"
	compare "$1 sync_person_locations" "SELECT person_pk, location_pk, label FROM person_pivots.sync_person_locations('$p11', '[{\"location_id\": \"$(l 3)\", \"label\": \"x\"}]', '$ws1');"
	compare "$1 sync_person_locations_batch" "SELECT person_pk, location_pk, label FROM person_pivots.sync_person_locations_batch('{\"$p11\": [{\"location_id\": \"$(l 4)\", \"label\": \"y\"}]}');"
	compare "$1 person_active_locations" "SELECT person_pk, location_pk, is_primary FROM person_pivots.person_active_locations('$p11');"
	compare "$1 primary_location" "SELECT p.pk, l.location_pk FROM core_api.people p, person_pivots.primary_location(p) l WHERE p.person_id = '$p11';"
	compare "$1 purge_person" "SELECT person_pivots.purge_person('$p11');"
	compare "$1 direct INSERT" "INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (11, 33) RETURNING person_pk, media_pk;"
	compare "$1 direct INSERT of another workspace" "INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (11, 41) RETURNING person_pk, media_pk;"
}

# Warm the pooled backend: every statement prepared, every text built on
# the host as it was. Then some rows to read.
all_calls "before"
pooled "SELECT count(*) FROM person_pivots.link_person_media('$p11', '$(m 1)');
SELECT count(*) FROM person_pivots.link_person_location('$p11', '$(l 1)', 'home', true, false);" >/dev/null

# The migration of issue 17.
migrate "ALTER TABLE core_api.media ADD COLUMN deleted_at timestamptz,
  ADD COLUMN workspace_pk integer REFERENCES core_api.workspaces (pk);
UPDATE core_api.media SET workspace_pk = 1;
UPDATE core_api.media SET deleted_at = now() WHERE pk IN (32, 33);
UPDATE core_api.media SET workspace_pk = 2 WHERE pk = 41;"
all_calls "after deleted_at/workspace_pk"

# Changes that break the contract, each reverted before the next; one call
# after each revert, so that each change reaches the pooled backend alone.
reverted() {
	compare "reverted" "SELECT person_pk, media_pk FROM person_pivots.link_person_media('$p11', '$(m 5)');"
}
migrate "ALTER TABLE core_api.people ALTER COLUMN pk TYPE bigint;
INSERT INTO core_api.people (pk, person_id, workspace_pk) VALUES (4294967307, '11111111-0000-0000-0000-000000004307', 1);"
compare "bigint key: person beyond int4" "SELECT person_pk, media_pk FROM person_pivots.link_person_media('11111111-0000-0000-0000-000000004307', '$(m 2)');"
compare "bigint key: sync beyond int4" "SELECT person_pk, media_pk FROM person_pivots.sync_person_media('11111111-0000-0000-0000-000000004307', ARRAY['$(m 2)']::uuid[]);"
all_calls "bigint key"
migrate "DELETE FROM core_api.people WHERE pk = 4294967307; ALTER TABLE core_api.people ALTER COLUMN pk TYPE integer;"
all_calls "key back to integer"

migrate "ALTER TABLE core_api.media DROP CONSTRAINT media_media_id_key;"
all_calls "media_id without unique index"
migrate "ALTER TABLE core_api.media ADD CONSTRAINT media_media_id_key UNIQUE (media_id);"
reverted

migrate "ALTER TABLE core_api.locations RENAME COLUMN location_id TO location_uuid;"
all_calls "location_id renamed"
migrate "ALTER TABLE core_api.locations RENAME COLUMN location_uuid TO location_id;"
reverted

migrate "ALTER TABLE core_api.media ALTER COLUMN workspace_pk TYPE bigint;"
all_calls "media.workspace_pk bigint"
migrate "ALTER TABLE core_api.media ALTER COLUMN workspace_pk TYPE integer;"
reverted

migrate "ALTER TABLE core_api.media RENAME TO media_renamed;"
all_calls "media renamed"
migrate "ALTER TABLE core_api.media_renamed RENAME TO media;"
reverted

migrate "ALTER SCHEMA core_api RENAME TO core_api_moved;"
all_calls "schema core_api renamed"
migrate "ALTER SCHEMA core_api_moved RENAME TO core_api;"
reverted

migrate "ALTER TABLE core_api.people RENAME TO peoples;"
all_calls "people renamed peoples (the older name, served)"
migrate "ALTER TABLE core_api.peoples RENAME TO people;"
all_calls "all reverted"

same_pid=$(pooled "SELECT pg_backend_pid();")
[ "$same_pid" = "$pid" ] || { echo "FAIL: the pooled connection changed backend ($pid, then $same_pid)"; exit 1; }
echo "$checks comparisons, $failures different, one backend ($pid) throughout"
[ "$failures" -eq 0 ] || { echo "FAIL: the pooled backend answered $failures calls differently from a fresh one"; exit 1; }
echo "t_pooled_backend: ok"
