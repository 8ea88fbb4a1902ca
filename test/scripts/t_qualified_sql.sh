#!/usr/bin/env bash
# Every statement text in src/ is qualified down to its operators and
# functions (src/spi.hpp, CONTRIBUTING.md): the trigger functions run under
# the caller's search_path, and a statement text may be shared by a trigger
# and a function. This reads every C++ string literal of src/ that looks
# like SQL and fails on an operator not written OPERATOR(pg_catalog.op)
# (=, <>, <, >, +, ||, IS DISTINCT FROM, IN (...), LIKE, ~), a cast not to a
# pg_catalog type, or a call of an unqualified function. Assignments
# (UPDATE ... SET col = ...) are not operators. The repair script, which
# psql runs under the caller's search_path, pins it instead.
# sql/hardening.sql holds the same claim at run time.
set -euo pipefail
cd "$(dirname "$0")/../.."
status=0
python3 - <<'PY' || status=1
import glob, re, sys
SQL = re.compile(r"\b(SELECT|UPDATE|INSERT|DELETE|WHERE|ALTER|CREATE|GRANT|REVOKE|COMMENT|DROP|AND|OR|FROM|SET|IS NULL|ORDER BY|EXISTS|CASE|COALESCE|ANY|ROWS|VALUES|OPERATOR)\b")
def literals(src):
    # C/C++ string literals joined when adjacent (across lines, macro continuations)
    src = re.sub(r"//[^\n]*", "", src)
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    out = []
    for m in re.finditer(r'(?:"(?:[^"\\\n]|\\.)*"\s*(?:\\\n\s*)?)+', src):
        parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(0))
        line = src.count("\n", 0, m.start()) + 1
        out.append((line, "".join(parts)))
    return out
# SQL syntax that looks like a call but resolves no function by name.
KEYWORDS = {"COALESCE", "EXISTS", "ANY", "ALL", "VALUES", "OPERATOR", "IN", "ROW", "ARRAY", "NULLIF", "GREATEST",
            "LEAST", "CAST", "ON", "KEY", "REFERENCES", "USING", "AS", "AND", "OR", "NOT", "WHERE", "FROM", "SELECT",
            "CONFLICT", "UNIQUE", "INCLUDE", "OVER", "FILTER", "CHECK", "DEFAULT", "VARCHAR", "WITH", "INTO"}
bad = 0
for f in sorted(glob.glob("src/*.cpp") + glob.glob("src/*.hpp")):
    if f.endswith("errors.cpp"): continue
    for line, text in literals(open(f).read()):
        if not SQL.search(text): continue
        t = text.replace('\\"', '"')
        t = re.sub(r"'(?:[^']|'')*'", "''", t)          # SQL string literals
        t = re.sub(r'"[^"]*"', "x", t)                  # quoted identifiers
        t = re.sub(r"%%", "", t)
        t = re.sub(r"OPERATOR\(pg_catalog\.[^)]+\)", " op ", t)
        t = re.sub(r"::\s*pg_catalog\.", " cast ", t)
        t = re.sub(r"\bSET\s+(search_path|[a-z_]+)\s*=(?!>)", "SET x TO", t)
        t = re.sub(r",\s*[a-z_]+\s*=\s*EXCLUDED\.", ", x TO EXCLUDED.", t)
        t = re.sub(r",\s*(updated_at|deleted_at|is_primary|is_legal|label)\s*=", ", x TO", t)
        t = re.sub(r"=>", " named ", t)
        found = re.findall(r"IS (?:NOT )?DISTINCT FROM|\|\||::|<>|!=|<=|>=|[<>=+]|\bIN\s*\(|\bLIKE\b|~|\bBETWEEN\b", t)
        calls = [c for c in re.findall(r"(?<![.\w%$])([A-Za-z_][A-Za-z_0-9]*)\(", t)
                 if c.upper() not in KEYWORDS]
        found += ["%s()" % c for c in calls]
        if found:
            bad += 1
            print("%s:%d: unqualified %s in: %s" % (f, line, " ".join(sorted(set(found))), text[:200]))
sys.exit(1 if bad else 0)
PY
if [ "$status" -eq 0 ]; then
	echo "ok   - every SQL text in src/ qualifies its operators, casts and functions"
fi
# The repair script pins search_path before its first statement.
first=$(grep -n -m1 -E '^(DO|UPDATE|INSERT|DELETE|SELECT|WITH)\b' sql/extension/person_pivots_repair.sql | cut -d: -f1)
pin=$(grep -n -m1 -E '^SET LOCAL search_path = pg_catalog, pg_temp;' sql/extension/person_pivots_repair.sql | cut -d: -f1 || true)
if [ -n "$pin" ] && [ "$pin" -lt "$first" ]; then
	echo "ok   - person_pivots_repair.sql pins search_path before its first statement"
else
	echo "FAIL - person_pivots_repair.sql does not pin search_path before its first statement"
	status=1
fi
[ "$status" -eq 0 ] || { echo "t_qualified_sql: failed"; exit 1; }
echo "t_qualified_sql: all checks passed"
