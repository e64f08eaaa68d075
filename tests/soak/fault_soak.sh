#!/usr/bin/env bash
# Soak of the fault suite (not run by CI): every fault of tests/fault_test.cpp many
# times under load (one `yes` loop per core), in private namespaces as in CI. Prints a
# table of runs, failures, hangs and leftovers per fault, and the times the suite
# measures (fault -> error printed, error -> exit, ...) as p50/p99/max.
#
#   tests/soak/fault_soak.sh [BUILD_DIR]      (default: build; run tools/setup.sh build first)
#
# N_WORKER_KILL (default 200) runs of the worker SIGKILL under an unpaced stream (the
# case that used to hang at exit), N_OTHER (default 50) of every other fault; Ctrl+Z
# lasts SGN_FAULT_STOP_MS (default 10000).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
binary=$build/tests/fault_test
[[ -x $binary ]] || { echo "fault_soak: $binary not built (tools/setup.sh build)" >&2; exit 2; }
n_worker_kill=${N_WORKER_KILL:-200}
n_other=${N_OTHER:-50}

# Not under /tmp: the runs get a private /tmp of their own.
work=$(mktemp -d "$build/fault-soak.XXXXXX")
loads=()
cleanup() {
  ((${#loads[@]})) && kill "${loads[@]}" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq "$(nproc)"); do
  yes >/dev/null &
  loads+=($!)
done

mapfile -t tests < <("$binary" --gtest_list_tests | awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}')
for test in "${tests[@]}"; do
  runs=$n_other
  [[ $test == *KilledUnderAnUnpacedStream* ]] && runs=$n_worker_kill
  echo "fault_soak: $test x $runs" >&2
  SGN_FAULT_TIMES=$work/times SGN_FAULT_STOP_MS=${SGN_FAULT_STOP_MS:-10000} timeout --signal=KILL $((runs * 30 + 60)) \
    "$root/tests/support/private_shm.sh" "$binary" --gtest_filter="$test" --gtest_repeat="$runs" \
    >"$work/${test//\//_}.log" 2>&1 || echo "$test" >>"$work/batch-failed"
  echo "$test $runs" >>"$work/runs"
done

python3 - "$work" <<'PY'
import collections, os, re, sys
work = sys.argv[1]
runs = dict(line.split() for line in open(os.path.join(work, "runs")))
times = collections.defaultdict(list)
if os.path.exists(os.path.join(work, "times")):
    for line in open(os.path.join(work, "times")):
        test, measure, seconds = line.split()
        times[(test, measure)].append(float(seconds))
batch_failed = set(open(os.path.join(work, "batch-failed")).read().split()) if os.path.exists(os.path.join(work, "batch-failed")) else set()
def stat(values):
    if not values:
        return "-"
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return f"{pick(0.5) * 1e3:.0f} / {pick(0.99) * 1e3:.0f} / {values[-1] * 1e3:.0f}"
print("| fault | runs | failed | hangs | leftovers | measure: p50 / p99 / max ms |")
print("| --- | --- | --- | --- | --- | --- |")
for test, n in runs.items():
    log = open(os.path.join(work, test.replace("/", "_") + ".log"), errors="replace").read()
    failed = len(re.findall(r"^\[  FAILED  \] .* \(\d+ ms\)$", log, re.M))
    hangs = log.count("did not end within")
    leftovers = log.count("left behind") + log.count("LEFT BEHIND") + log.count("LEFT RUNNING")
    measures = "; ".join(f"{m}: {stat(v)}" for (t, m), v in sorted(times.items()) if t == test) or "-"
    mark = " (batch did not finish)" if test in batch_failed and failed == 0 else ""
    print(f"| {test}{mark} | {n} | {failed} | {hangs} | {leftovers} | {measures} |")
PY
