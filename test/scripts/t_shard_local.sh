#!/usr/bin/env bash
# Shard-locality (docs/scaling.md): on Citus the pivots are distributed by
# person_pk, colocated with people by pk, so every statement the triggers and
# functions issue must be keyed by the person. This test runs every trigger
# path and every API function with auto_explain logging each nested
# statement's plan to the client (log_nested_statements, log_level notice),
# then checks every captured plan:
#   - every scan of core_api.person_media / person_locations filters on
#     person_pk (= one person, or = ANY(a page of people) in the batch
#     functions); a scan keyed only by the row pk, or unkeyed, fails;
#   - every scan of the people table is keyed by pk or person_id;
#   - statements issued by the triggers name exactly one person (no ANY):
#     a trigger runs on one shard and must stay there;
#   - every function step issued at least one nested statement (the
#     capture works; a trigger step may need none, e.g. an UPDATE).
# auto_explain cannot see direct (non-SQL) table access: index and table
# scans, tuple locks and fetches through the table AM. So it also checks
# that every file of src/ that accesses a table directly is named in the
# "Direct lookups" item of docs/scaling.md (which says what each one reads
# and how it would change on Citus), and that every file named there still
# does: the list is read from the document, not kept here.
#
# Needs a running cluster (PGHOST/PGPORT, as make test provides); run alone,
# it starts a throwaway one. auto_explain comes with postgresql-contrib.
set -euo pipefail
cd "$(dirname "$0")/../.."

source test/scripts/cluster.sh
cluster_ensure
bindir=$(pg_config --bindir)
db=pp_shard_local_$$
work=$(mktemp -d /tmp/pp_shard_local.XXXXXX)
cleanup() {
	"$bindir/dropdb" --if-exists "$db" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap 'cleanup; [ -n "${PP_CLUSTER_DIR:-}" ] && cluster_stop || true' EXIT

"$bindir/createdb" "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f test/fixtures/host_schema.sql >/dev/null
# Rows the steps below act on.
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
GRANT SELECT ON core_api.person_media, core_api.person_locations TO pp_app;
INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 2), (2, 1), (2, 2);
INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES
  (1, 1, 'Home', true), (1, 3, 'Old', false), (2, 1, 'Home', true), (3, 1, 'Home', false);
SQL

# step <kind> <name> <sql>: runs sql as one psql -c with auto_explain on.
# kind: trigger (plain DML: only the triggers issue nested statements),
# function (one person), batch (a page of people), maintenance.
steps=()
step() {
	local kind=$1 name=$2 sql=$3
	printf '%s' "$sql" >"$work/$name.sql"
	PGOPTIONS="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 \
-c auto_explain.log_nested_statements=on -c auto_explain.log_level=notice -c auto_explain.log_format=json \
-c client_min_messages=notice" \
		psql -X -q -d "$db" -c "$sql" >"$work/$name.out" 2>"$work/$name.log" || true
	steps+=("$kind:$name")
}
p1=11111111-0000-0000-0000-000000000001
p2=11111111-0000-0000-0000-000000000002
p3=11111111-0000-0000-0000-000000000003
m=22222222-0000-0000-0000-00000000000
l=33333333-0000-0000-0000-00000000000

# Triggers, through the application role's plain DML.
step trigger insert_media "SET ROLE pp_app; INSERT INTO core_api.person_media (person_pk, media_pk) VALUES (1, 1)"
step trigger update_media "SET ROLE pp_app; UPDATE core_api.person_media SET deleted_at = now() WHERE person_pk = 1 AND media_pk = 1"
step trigger delete_media "SET ROLE pp_app; DELETE FROM core_api.person_media WHERE person_pk = 2 AND media_pk = 1"
step trigger insert_primary "SET ROLE pp_app; INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (1, 2, 'Work', true)"
step trigger update_primary "SET ROLE pp_app; UPDATE core_api.person_locations SET is_primary = true WHERE person_pk = 1 AND location_pk = 1"
step trigger strict_primary "SET ROLE pp_app; SET person_pivots.primary_conflict = 'error'; INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) VALUES (2, 2, 'Work', true)"
step trigger delete_location "SET ROLE pp_app; DELETE FROM core_api.person_locations WHERE person_pk = 1 AND location_pk = 3"
step trigger copy_locations "SET ROLE pp_app; INSERT INTO core_api.person_locations (person_pk, location_pk, label, is_primary) SELECT 3, l, 'Bulk', l = 4 FROM generate_series(2, 4) l"
# Functions, one person each.
step function link_person_media "SET ROLE pp_app; SELECT pk FROM person_pivots.link_person_media('$p3', '${m}3')"
step function unlink_person_media "SET ROLE pp_app; SELECT pk FROM person_pivots.unlink_person_media('$p2', '${m}2')"
step function sync_person_media "SET ROLE pp_app; SELECT pk FROM person_pivots.sync_person_media('$p1', ARRAY['${m}1', '${m}3']::uuid[])"
step function person_active_media "SET ROLE pp_app; SELECT pk FROM person_pivots.person_active_media('$p1')"
step function link_person_location "SET ROLE pp_app; SELECT pk FROM person_pivots.link_person_location('$p2', '${l}4', 'Office', true)"
step function unlink_person_location "SET ROLE pp_app; SELECT pk FROM person_pivots.unlink_person_location('$p2', '${l}4')"
step function set_primary_location "SET ROLE pp_app; SELECT pk FROM person_pivots.set_primary_location('$p1', '${l}1')"
step function sync_person_locations "SET ROLE pp_app; SELECT pk FROM person_pivots.sync_person_locations('$p3', '[{\"location_id\": \"${l}1\", \"label\": \"Home\", \"is_primary\": true}, {\"location_id\": \"${l}2\", \"label\": \"Work\"}]')"
step function person_active_locations "SET ROLE pp_app; SELECT pk FROM person_pivots.person_active_locations('$p1')"
step function primary_location "SET ROLE pp_app; SELECT (person_pivots.primary_location(p)).pk FROM core_api.people p WHERE p.pk = 1"
step function purge_person "SELECT person_pivots.purge_person('$p3')"
# Batch functions: a connector page of people in one call.
step batch sync_person_media_batch "SET ROLE pp_app; SELECT pk FROM person_pivots.sync_person_media_batch('{\"$p1\": [\"${m}2\"], \"$p2\": [\"${m}1\", \"${m}3\"]}')"
step batch sync_person_locations_batch "SET ROLE pp_app; SELECT pk FROM person_pivots.sync_person_locations_batch('{\"$p1\": [{\"location_id\": \"${l}1\", \"label\": \"Home\", \"is_primary\": true}], \"$p2\": [{\"location_id\": \"${l}3\", \"label\": \"New\", \"is_primary\": true}]}')"

printf '%s\n' "${steps[@]}" >"$work/steps"
status=0
python3 - "$work" <<'PY' || status=1
import json, os, re, sys

work = sys.argv[1]
pivots = {"person_media", "person_locations"}
people = {"people", "peoples"}
failures = 0
captured = 0

def nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)

def conditions(node):
    return " ".join(node.get(k, "") for k in ("Index Cond", "Recheck Cond", "Filter", "Join Filter", "Hash Cond"))

def plans(log):
    # auto_explain notices: "NOTICE:  duration: ... plan:" then a JSON document
    text = open(log).read()
    for match in re.finditer(r"^NOTICE:  duration: [0-9.]+ ms  plan:\n(\{.*?\n\})$", text, re.S | re.M):
        yield json.loads(match.group(1))

for line in open(os.path.join(work, "steps")).read().split():
    kind, name = line.split(":")
    top = open(os.path.join(work, name + ".sql")).read()
    log = os.path.join(work, name + ".log")
    errors = [l for l in open(log) if l.startswith("ERROR:")]
    nested = [p for p in plans(log) if p["Query Text"].strip() != top.strip()]
    captured += len(nested)
    problems = []
    if not nested and kind != "trigger":  # an UPDATE's trigger may need no SQL at all
        problems.append("no nested statement captured")
    for doc in nested:
        query = doc["Query Text"]
        for node in nodes(doc["Plan"]):
            rel = node.get("Relation Name")
            if rel is None or node["Node Type"] == "ModifyTable":
                continue
            cond = conditions(node)
            if rel in pivots:
                keyed = re.search(r"\bperson_pk = ", cond)
                many = re.search(r"\bperson_pk = ANY\b", cond)
            elif rel in people:
                keyed = re.search(r"\b(pk|person_id) = ", cond)
                many = re.search(r"\b(pk|person_id) = ANY\b", cond)
            else:
                continue  # media, locations, workspaces: reference data on Citus
            where = "%s scan of %s [%s]" % (node["Node Type"], rel, cond.strip() or "no condition")
            if not keyed:
                problems.append("not keyed by the person: %s\n         in: %s" % (where, query))
            elif many and kind == "trigger":
                problems.append("trigger statement spans several people: %s\n         in: %s" % (where, query))
    label = "%-8s %-28s %2d nested statement(s)%s" % (kind, name, len(nested),
                                                       "; ended with " + errors[0].strip() if errors else "")
    if problems:
        failures += 1
        print("FAIL - " + label)
        for p in problems:
            print("       " + p)
    else:
        print("ok   - " + label)

print("%d nested statements checked" % captured)
if captured < 20:
    print("FAIL - too few nested statements captured: is auto_explain installed?")
    failures += 1
sys.exit(1 if failures else 0)
PY

# Direct table access bypasses SQL, so neither auto_explain nor a
# distributed planner sees it (on a Citus worker it would read empty shell
# tables). Every file that does it must be named under "Direct lookups" in
# docs/scaling.md, with what it reads and how it would change on Citus.
direct_access='\b(index_beginscan|table_beginscan[a-z_]*|heap_beginscan|systable_beginscan[a-z_]*|heap_fetch|heap_getnext|table_tuple_lock|table_tuple_fetch_row_version|table_index_fetch_begin|heap_lock_tuple)\('
documented=$(awk '/\*\*Direct lookups\*\*/ { on = 1 } on && /^[0-9]+\. \*\*/ && !/Direct lookups/ { on = 0 } on' docs/scaling.md |
	grep -Eo 'src/[a-z_]+\.cpp' | sort -u | tr '\n' ' ')
direct=$(grep -l -E "$direct_access" src/*.cpp | sort -u | tr '\n' ' ')
undocumented=$(for f in $direct; do grep -qw "$f" <<<"$documented" || echo -n "$f "; done)
stale=$(for f in $documented; do grep -qw "$f" <<<"$direct" || echo -n "$f "; done)
if [ -z "$documented" ]; then
	echo "FAIL - no file named under \"Direct lookups\" in docs/scaling.md (section moved?)"
	status=1
elif [ -n "$undocumented" ]; then
	echo "FAIL - direct table access not named under \"Direct lookups\" in docs/scaling.md: $undocumented"
	status=1
elif [ -n "$stale" ]; then
	echo "FAIL - named under \"Direct lookups\" in docs/scaling.md but without direct table access: $stale"
	status=1
else
	echo "ok   - direct table access only in the files docs/scaling.md names: $direct"
fi

if [ "$status" -ne 0 ]; then
	echo "t_shard_local: failed"
	exit 1
fi
echo "t_shard_local: all checks passed"
