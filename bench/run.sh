#!/usr/bin/env bash
# Builds sgn-bench, runs every benchmark inside tests/support/private_shm.sh (a RouDi
# of its own, nothing left behind), and writes bench/RESULTS.json, bench/RESULTS.md
# and bench/throughput.svg.
#
#   bench/run.sh                       # everything (see RUN_TIMEOUT)
#   bench/run.sh --benchmark_filter=transport/sgn-process   # extra args go to sgn-bench
#
# BUILD_DIR (default build-bench) and JOBS (default 2) choose the build; REPETITIONS
# (default 5) how often each benchmark runs (RESULTS.md shows medians: on a shared VM single
# runs of the wake-up heavy transports swing 2-4x); RUN_TIMEOUT (default 3600) the seconds
# after which the benchmark program is killed (the transports alone took 15 minutes
# at 5 repetitions on 2 cores, 2026-12-03: the Python baselines at 16 MiB are slow).
# SGN_BASELINE_LAUNCH=/path/to/sgn-launch of another build runs README's demo with it too, for the
# elements' "demo vs before" ratio (a path outside /tmp: the benchmarks run with a private /tmp).
# GStreamer's audiotestsrc is sine-source's anchor (Debian gstreamer1.0-tools and
# gstreamer1.0-plugins-base): installed here when missing and apt-get can, else that
# benchmark is listed under "did not run".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v gst-launch-1.0 >/dev/null && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  apt-get install -y -qq --no-install-recommends gstreamer1.0-tools gstreamer1.0-plugins-base </dev/null >/dev/null ||
    echo "bench/run.sh: could not install GStreamer; the sine anchor will not run" >&2
fi
build=${BUILD_DIR:-$root/build-bench}
jobs=${JOBS:-2}

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSGN_BUILD_BENCH=ON >/dev/null
ninja -C "$build" -j"$jobs" sgn-bench

json="$root/bench/RESULTS.json"
SGN_LOG_LEVEL=${SGN_LOG_LEVEL:-warn} timeout --signal=KILL "${RUN_TIMEOUT:-3600}" "$root/tests/support/private_shm.sh" "$build/bench/sgn-bench" \
  --benchmark_out="$json" --benchmark_out_format=json --benchmark_repetitions="${REPETITIONS:-5}" \
  --benchmark_display_aggregates_only=true "$@"
# The command line RESULTS.md names: the settings that shape the numbers, then the arguments.
command="REPETITIONS=${REPETITIONS:-5}"
if [[ -n ${SGN_BASELINE_LAUNCH:-} ]]; then command+=" SGN_BASELINE_LAUNCH=<another build's sgn-launch>"; fi
command+=" bench/run.sh${*:+ $*}"
python3 "$root/bench/report.py" "$json" --out-dir "$root/bench" --command "$command"
echo "wrote $root/bench/RESULTS.md and $root/bench/throughput.svg"
