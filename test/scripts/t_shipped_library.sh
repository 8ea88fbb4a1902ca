#!/usr/bin/env bash
# The installed person_pivots.so carries no test code: no exported symbol
# names a probe, and every SQL entry point it exports (pg_finfo_<name>) is
# declared by a shipped extension script. Test-only C++ lives in
# test/module (person_pivots_test.so), which make test alone installs.
# Needs no cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/scripts/checks.sh

lib="$(pg_config --pkglibdir)/person_pivots.so"
check "installed library $lib exists" test -f "$lib"
symbols=$(nm -D --defined-only "$lib")

probes=$(grep -i probe <<<"$symbols" || true)
check "no exported symbol names a probe" test -z "$probes"
[ -z "$probes" ] || echo "$probes" | sed 's/^/       /'

# SQL entry points: every PG_FUNCTION_INFO_V1 leaves a pg_finfo_<name>.
undeclared=
for name in $(sed -n 's/.* T pg_finfo_\(.*\)$/\1/p' <<<"$symbols" | sort); do
	grep -q "'$name'" sql/extension/person_pivots--*.sql || undeclared="$undeclared $name"
done
check "every exported SQL entry point is declared by a shipped script" test -z "$undeclared"
[ -z "$undeclared" ] || echo "       undeclared:$undeclared"
check "the library exports SQL entry points at all (the check sees them)" \
	grep -q ' T pg_finfo_link_person_media$' <<<"$symbols"

if [ "$failures" -ne 0 ]; then
	echo "t_shipped_library: $failures check(s) failed"
	exit 1
fi
echo "t_shipped_library: all checks passed"
