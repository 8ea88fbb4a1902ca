# Shared by the shell tests that print one ok/FAIL line per check and fail
# at the end (t_dump_restore.sh, t_upgrade.sh). Source it; read $failures.

failures=0
check() { # check <description> <command...>: runs the command, prints ok/FAIL
	local what=$1
	shift
	if "$@"; then
		echo "ok   - $what"
	else
		echo "FAIL - $what"
		failures=$((failures + 1))
	fi
}

sql() { # sql <db> <statement>: one value, unaligned
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# check_rules_hold <db> <label> <person_pk> <media_pk> <location_pk>: the
# rules are in force in <db> (after a restore, an upgrade): as the
# application role, a DELETE of the active link (person_pk, media_pk) is a
# soft delete that cannot be undone, TRUNCATE is refused, and linking
# person 1 to location <location_pk> (1-4, not linked yet) as primary
# through the API demotes the old primary and stamps created_at.
check_rules_hold() {
	local db=$1 label=$2 person=$3 media=$4 location=$5 out
	out=$(psql -X -q -At -d "$db" 2>&1 <<SQL
SET ROLE pp_app;
DELETE FROM core_api.person_media WHERE person_pk = $person AND media_pk = $media;
SELECT 'soft_deleted=' || (deleted_at IS NOT NULL) FROM core_api.person_media WHERE person_pk = $person AND media_pk = $media;
UPDATE core_api.person_media SET deleted_at = NULL WHERE person_pk = $person AND media_pk = $media;
TRUNCATE core_api.person_media;
BEGIN;
SELECT 'linked=' || count(*) FROM person_pivots.link_person_location('11111111-0000-0000-0000-000000000001',
  '33333333-0000-0000-0000-00000000000$location', 'New', true);
SELECT 'primaries=' || count(*) FROM core_api.person_locations WHERE person_pk = 1 AND is_primary AND deleted_at IS NULL;
SELECT 'created_stamped=' || (created_at = now()) FROM core_api.person_locations
 WHERE person_pk = 1 AND location_pk = $location AND deleted_at IS NULL;
COMMIT;
SQL
)
	echo "$out" | sed 's/^/       /'
	check "$label: application DELETE is a soft delete" grep -qx 'soft_deleted=true' <<<"$out"
	check "$label: clearing deleted_at fails" grep -q 'cannot be cleared' <<<"$out"
	check "$label: TRUNCATE is refused" grep -q 'cannot truncate core_api.person_media' <<<"$out"
	check "$label: link function works, new primary demotes the old, created_at stamped" \
		grep -qz 'linked=1.primaries=1.created_stamped=true' <<<"$out"
}
