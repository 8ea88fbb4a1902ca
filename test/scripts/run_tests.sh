#!/usr/bin/env bash
# make test: C++ unit tests, pg_regress, isolation specs and the shell tests
# in test/scripts/t_*.sh, against a throwaway cluster. Ends with one line
# "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/scripts/cluster.sh
source test/scripts/unit_counts.sh

passed=0
failed=0
count() { # count <passed> <failed> <what>
	passed=$((passed + $1))
	failed=$((failed + $2))
	echo "== $3: $1 passed, $2 failed"
}

make --no-print-directory -s install >/dev/null || { echo "make install failed"; exit 1; }
# The test-only C++ (the boundary probe) is a module of its own, installed
# here only: `make install` never ships it (t_shipped_library.sh checks).
make --no-print-directory -s -C test/module install >/dev/null || { echo "make install of test/module failed"; exit 1; }

# C++ unit tests (no server needed)
if cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >build.log 2>&1 && cmake --build build -j2 >>build.log 2>&1; then
	ctest_status=0
	ctest --test-dir build --output-on-failure >build/ctest.log 2>&1 || ctest_status=$?
	read -r unit_passed unit_failed unit_label < <(unit_counts build/ctest.log "$ctest_status")
	count "$unit_passed" "$unit_failed" "$unit_label"
	[ "$unit_failed" -eq 0 ] || cat build/ctest.log
else
	cat build.log
	count 0 1 "C++ unit tests (build)"
fi
rm -f build.log

cluster_start
# run_suite <what> <make overrides...>: pg_regress or pg_isolation_regress
run_suite() {
	local what=$1
	shift
	local log
	log=$(mktemp)
	make --no-print-directory installcheck "$@" >"$log" 2>&1
	grep -E " \.\.\. |^test |^ok |^not ok " "$log" || true
	local total bad
	if grep -Eq "All [0-9]+ tests passed" "$log"; then
		total=$(grep -Eo "All [0-9]+ tests passed" "$log" | grep -Eo '[0-9]+')
		bad=0
	elif grep -Eq "[0-9]+ of [0-9]+ tests failed" "$log"; then
		bad=$(grep -Eo "[0-9]+ of [0-9]+ tests failed" "$log" | awk '{print $1}')
		total=$(grep -Eo "[0-9]+ of [0-9]+ tests failed" "$log" | awk '{print $3}')
	else
		tail -n 30 "$log"
		total=1 bad=1
	fi
	count $((total - bad)) "$bad" "$what"
	if [ "$bad" -ne 0 ]; then
		[ -f regression.diffs ] && head -c 20000 regression.diffs
		[ -f output_iso/regression.diffs ] && head -c 20000 output_iso/regression.diffs
	fi
	rm -f "$log"
}

run_suite "pg_regress" ISOLATION=
run_suite "isolation specs" REGRESS=

for t in test/scripts/t_*.sh; do
	[ -e "$t" ] || continue
	if bash "$t" >"/tmp/pp_$(basename "$t").log" 2>&1; then
		count 1 0 "$(basename "$t")"
	else
		count 0 1 "$(basename "$t")"
		tail -n 40 "/tmp/pp_$(basename "$t").log"
	fi
done

cluster_stop
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
