#!/usr/bin/env bash
# Sums the TRX results of every test project under DIR into one line "N passed, N failed".
# No results at all counts as a failure: a run that executed nothing must not look green.
set -euo pipefail
dir=${1:?usage: test-summary.sh RESULTS_DIR}

passed=0
failed=0
found=0
shopt -s nullglob
for trx in "$dir"/*.trx; do
  found=$((found + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* timeout="\([0-9]*\)".*/\1/p' <<<"$counters")
  a=$(sed -n 's/.* aborted="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
done
if [ "$found" -eq 0 ]; then
  echo "test-summary: no test results in $dir" >&2
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
