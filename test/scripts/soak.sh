#!/usr/bin/env bash
# make soak: the primary-location rule under long parallel load. Runs
# t_parallel_load.sh with the plain-SQL mix (API promotions plus plain label
# edits of the current primary, then the plain and API storms on one person)
# for PP_SOAK_ROUNDS rounds (default 6) of PP_SOAK_SECONDS (default 20) per
# phase, each round in a database of its own on one throwaway cluster.
# t_parallel_load.sh fails a round on any failed transaction, any ERROR or
# deadlock in the server log, or a broken invariant, and checks both tables
# with amcheck. Ends with one line "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/scripts/cluster.sh

rounds=${PP_SOAK_ROUNDS:-6}
seconds=${PP_SOAK_SECONDS:-20}

make --no-print-directory -s install >/dev/null || { echo "make install failed"; exit 1; }
cluster_start
passed=0
failed=0
for round in $(seq 1 "$rounds"); do
	out="/tmp/pp_soak_round_$round.log"
	if PP_LOAD_MIX=plain PP_LOAD_SECONDS=$seconds PP_STORM_SECONDS=$seconds \
		bash test/scripts/t_parallel_load.sh >"$out" 2>&1; then
		passed=$((passed + 1))
		echo "== soak round $round: $(tail -n 1 "$out")"
	else
		failed=$((failed + 1))
		echo "== soak round $round FAILED:"
		tail -n 40 "$out"
	fi
done
cluster_stop
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
