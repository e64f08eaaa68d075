#!/usr/bin/env bash
# Soak of the whole test suite (not run by CI): ctest RUNS times with JOBS parallel
# tests beside LOADS busy loops, as a loaded 2-core machine runs it. Prints each run's
# failures and, at the end, every test that failed with how often; exits 1 if any did.
#
#   tests/soak/suite_soak.sh [BUILD_DIR]      (default: build; run tools/setup.sh build first)
#
# RUNS (default 20), JOBS (default 4), LOADS (default 2: one `yes` loop each). Every
# test that starts processes checks its own leftovers; the script checks that none of
# its runs left a RouDi, worker or sgn shared-memory file in this namespace.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
runs=${RUNS:-20}
jobs=${JOBS:-4}
[[ -f $build/CTestTestfile.cmake ]] || { echo "suite_soak: $build has no tests (tools/setup.sh build)" >&2; exit 2; }

work=$(mktemp -d "$build/suite-soak.XXXXXX")  # not under /tmp: tests get a private one
loads=()
cleanup() {
  ((${#loads[@]})) && kill "${loads[@]}" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq "${LOADS:-2}"); do
  yes >/dev/null &
  loads+=($!)
done

shm_before=$(ls /dev/shm | grep -c '^sgn' || true)
failed_runs=0
started=$(date +%s)
for run in $(seq "$runs"); do
  run_started=$(date +%s)
  if ctest --test-dir "$build" -j "$jobs" --timeout 300 --output-on-failure >"$work/run-$run.log" 2>&1; then
    echo "suite_soak: run $run/$runs passed ($(($(date +%s) - run_started)) s)"
  else
    failed_runs=$((failed_runs + 1))
    echo "suite_soak: run $run/$runs FAILED ($(($(date +%s) - run_started)) s):"
    grep -E '^\s+[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception)' "$work/run-$run.log" | sed 's/^/    /' || true
    cp "$work/run-$run.log" "$build/suite-soak-run-$run.log"
  fi
done

leftovers=$( (pgrep -x iox-roudi || true; pgrep -f '^.*--sgn-worker' || true) | wc -l)
shm_after=$(ls /dev/shm | grep -c '^sgn' || true)
echo "suite_soak: $runs runs of ctest -j$jobs beside ${LOADS:-2} busy loops in $(($(date +%s) - started)) s:" \
  "$failed_runs failed; processes left: $leftovers; sgn shm files before/after: $shm_before/$shm_after"
if ((failed_runs > 0)); then
  echo "suite_soak: failures by test (logs of failed runs kept as $build/suite-soak-run-N.log):"
  cat "$work"/run-*.log | grep -E '^\s+[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception)' |
    sed -E 's/^\s+[0-9]+ - //' | sort | uniq -c | sort -rn
  exit 1
fi
((leftovers == 0 && shm_after == shm_before)) || exit 1
