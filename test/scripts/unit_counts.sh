# unit_counts <ctest log> <ctest exit status>: prints "<passed> <failed>
# <label>" for the C++ unit tests. Sourced by run_tests.sh; its own test is
# t_unit_counts.sh. A run that found no test fails: ctest then prints "No
# tests were found!!!" and exits 0, and "0 passed, 0 failed" would pass.
unit_counts() {
	local log=$1 status=$2 total bad
	total=$(grep -Eo 'out of [0-9]+' "$log" | grep -Eo '[0-9]+' | tail -1)
	bad=$(grep -Eo '[0-9]+ tests failed' "$log" | grep -Eo '^[0-9]+' | tail -1)
	total=${total:-0}
	bad=${bad:-0}
	if [ "$total" -eq 0 ]; then
		echo "0 1 C++ unit tests (none found)"
	elif [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "0 1 C++ unit tests (ctest exited with $status)"
	else
		echo "$((total - bad)) $bad C++ unit tests"
	fi
}
