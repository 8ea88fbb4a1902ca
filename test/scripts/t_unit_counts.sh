#!/usr/bin/env bash
# The unit-test count of run_tests.sh can fail: a ctest run that finds no
# test, a failed test, or a ctest that fails without saying which test
# counts as a failure; only a run with tests that all passed counts as
# passed. Each log comes from a real ctest run (CMake projects made here).
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/scripts/checks.sh
source test/scripts/unit_counts.sh
work=$(mktemp -d /tmp/pp_unit_counts.XXXXXX)
trap 'rm -rf "$work"' EXIT

# project <name> <add_test lines>: configures it, runs ctest, prints the
# counts unit_counts makes of that run.
project() {
	mkdir -p "$work/$1"
	printf 'cmake_minimum_required(VERSION 3.16)\nproject(%s NONE)\nenable_testing()\n%s\n' "$1" "$2" \
		>"$work/$1/CMakeLists.txt"
	cmake -S "$work/$1" -B "$work/$1/build" >/dev/null
	local status=0
	ctest --test-dir "$work/$1/build" >"$work/$1.log" 2>&1 || status=$?
	unit_counts "$work/$1.log" "$status"
}

counts=$(project none '')
check "no unit test found is a failure ($counts)" test "${counts%% C++*}" = "0 1"
counts=$(project passing 'add_test(NAME ok COMMAND true)
add_test(NAME ok2 COMMAND true)')
check "two passing tests count as 2 passed ($counts)" test "${counts%% C++*}" = "2 0"
counts=$(project failing 'add_test(NAME ok COMMAND true)
add_test(NAME bad COMMAND false)')
check "a failing test counts as failed ($counts)" test "${counts%% C++*}" = "1 1"

[ "$failures" -eq 0 ] || { echo "t_unit_counts: $failures failed"; exit 1; }
echo "t_unit_counts: all checks passed"
