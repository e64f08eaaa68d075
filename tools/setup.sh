#!/usr/bin/env bash
# The one place that sets up, builds, tests and runs sgn-cpp (Debian 12).
#
#   tools/setup.sh deps               install the Debian packages the build needs (if missing)
#   tools/setup.sh build [--sanitize] deps + configure (when needed) + build
#   tools/setup.sh test               build, ctest; then the ASan+UBSan tree, ctest there too
#   tools/setup.sh demo [PIPELINE...] build, then run PIPELINE (default: a sensor pipeline) with sgn-launch
#
# Environment (all optional):
#   SGN_BUILD_DIR       build tree (default: build)
#   SGN_ASAN_BUILD_DIR  sanitizer build tree (default: build-asan)
#   SGN_JOBS            parallel compile jobs (default: number of cores)
#   SGN_TEST_JOBS       parallel ctest jobs (default: 2)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

BUILD_DIR=${SGN_BUILD_DIR:-build}
ASAN_BUILD_DIR=${SGN_ASAN_BUILD_DIR:-build-asan}
JOBS=${SGN_JOBS:-$(nproc 2>/dev/null || echo 2)}
TEST_JOBS=${SGN_TEST_JOBS:-2}

# Debian 12 (bookworm) package names, checked with apt-cache policy.
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  capnproto libcapnp-dev libspdlog-dev libfmt-dev
  libgtest-dev googletest libbenchmark-dev
  iceoryx libiceoryx-posh-dev libiceoryx-hoofs-dev
  python3 procps util-linux
  libfftw3-dev
  cyclonedds-dev cyclonedds-tools iproute2
)

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

# ---------------------------------------------------------------- deps
cmd_deps() {
  command -v dpkg-query >/dev/null || die "dpkg-query not found: tools/setup.sh expects Debian 12"
  local -A installed=()
  local name state
  while read -r name state; do
    [[ $state == ii ]] && installed[$name]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)

  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do
    [[ -n ${installed[$pkg]:-} ]] || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    log "deps: all ${#PACKAGES[@]} packages installed"
    return 0
  fi

  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "missing packages (${missing[*]}) and not root; run as root"
    sudo=(sudo -n)
  fi
  log "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
  log "deps: done"
}

# ---------------------------------------------------------------- build
# cache_has DIR KEY VALUE: the tree's CMakeCache.txt sets KEY to VALUE.
cache_has() {
  grep -qxF -- "$2:$(cache_type "$1" "$2")=$3" "$1/CMakeCache.txt" 2>/dev/null
}
cache_type() {
  sed -n "s/^$2:\([A-Z]*\)=.*/\1/p" "$1/CMakeCache.txt" 2>/dev/null | head -n1
}

# configure DIR [-DKEY=VALUE...]: runs cmake only when the tree is missing or its
# options differ (Ninja re-runs cmake by itself when a CMakeLists.txt changes).
configure() {
  local dir=$1
  shift
  local options=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSGN_WERROR=ON "$@")
  local cache=$dir/CMakeCache.txt

  if [[ -f $cache ]] && { ! cache_has "$dir" CMAKE_GENERATOR Ninja ||
                          ! cache_has "$dir" CMAKE_HOME_DIRECTORY "$ROOT"; }; then
    log "configure: $dir/ was made by another generator or source tree; starting it afresh"
    rm -rf "$cache" "$dir/CMakeFiles"
  fi

  local needed=0 opt key value
  [[ -f $cache && -f $dir/build.ninja ]] || needed=1
  for opt in "${options[@]}"; do
    key=${opt#-D}
    value=${key#*=}
    key=${key%%=*}
    cache_has "$dir" "$key" "$value" || needed=1
  done
  if ((needed)); then
    log "configure: $dir/ (${options[*]})"
    cmake -S "$ROOT" -B "$dir" -G Ninja "${options[@]}"
  fi
}

# build_tree plain|sanitize
build_tree() {
  local dir
  if [[ $1 == sanitize ]]; then
    dir=$ASAN_BUILD_DIR
    configure "$dir" -DSGN_SANITIZE=ON -DSGN_BUILD_TESTS=ON -DSGN_BUILD_BENCH=OFF
  else
    dir=$BUILD_DIR
    configure "$dir" -DSGN_SANITIZE=OFF
  fi
  log "build: $dir/ (-j$JOBS)"
  local start=$SECONDS
  cmake --build "$dir" -j "$JOBS"
  log "build: $dir/ done in $((SECONDS - start)) s"
}

cmd_build() {
  local mode=plain arg
  for arg in "$@"; do
    case $arg in
      --sanitize) mode=sanitize ;;
      *) die "build: unknown option '$arg' (only --sanitize)" ;;
    esac
  done
  cmd_deps
  build_tree "$mode"
}

# ---------------------------------------------------------------- test
TOTAL_PASSED=0
TOTAL_FAILED=0

# run_ctest DIR LABEL: runs ctest in DIR, adds its counts to the totals; fails if ctest did.
run_ctest() {
  local dir=$1 label=$2 log_file=$1/ctest-setup.log rc=0
  log "test: ctest in $dir/ ($label, -j$TEST_JOBS)"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$TEST_JOBS" 2>&1 | tee "$log_file" || rc=$?
  if ((rc != 0)); then
    # Under -j a failed test's output sits among hundreds of lines: once more, together,
    # next to the summary (what a CI page shows first).
    log "test: what the failed tests printed ($label), from $log_file:"
    awk '/^ *[0-9]+\/[0-9]+ Test +#[0-9]+:/ { show = ($0 ~ /\*\*\*|Not Run/ && $0 !~ /\*\*\*Skipped/) }
         /^ +Start +[0-9]+:/ { show = 0 }
         show' "$log_file" | head -n 400 || true
  fi

  # "100% tests passed, 0 tests failed out of 12"
  local line failed total
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log_file" | tail -n1 || true)
  if [[ -n $line ]]; then
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    TOTAL_PASSED=$((TOTAL_PASSED + total - failed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
  elif ((rc != 0)); then
    TOTAL_FAILED=$((TOTAL_FAILED + 1))  # ctest itself failed (no tests found, crash, ...)
  fi
  return "$rc"
}

cmd_test() {
  (($# == 0)) || die "test: takes no arguments"
  local start=$SECONDS status=0
  cmd_deps
  build_tree plain
  run_ctest "$BUILD_DIR" "RelWithDebInfo" || status=1

  # Sanitizer reports fail the test: UBSan is built with -fno-sanitize-recover.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  build_tree sanitize
  run_ctest "$ASAN_BUILD_DIR" "ASan+UBSan" || status=1

  log "test: done in $((SECONDS - start)) s ($BUILD_DIR/ and $ASAN_BUILD_DIR/)"
  # One closing line over both trees, for people and CI alike.
  echo "tests: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
  return "$status"
}

# ---------------------------------------------------------------- demo
cmd_demo() {
  cmd_deps
  build_tree plain
  local launch=$BUILD_DIR/tools/sgn-launch
  [[ -x $launch ]] || die "$launch does not exist: sgn-launch is not part of the build (tools/CMakeLists.txt)"
  if (($# == 0)); then
    # The demo sensor pipeline: the FIR filter runs in a worker process (shared memory, RouDi).
    set -- "sine-source rate=16384 channels=8 frames=2000 ! fir taps=64 placement=process ! scale gain=2 ! stats-sink"
  fi
  log "demo: $launch $*"
  exec "$launch" "$@"
}

# ---------------------------------------------------------------- main
(($# > 0)) || { usage; exit 2; }
command=$1
shift
case $command in
  deps) (($# == 0)) || die "deps: takes no arguments"; cmd_deps ;;
  build) cmd_build "$@" ;;
  test) cmd_test "$@" ;;
  demo) cmd_demo "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; die "unknown command '$command'" ;;
esac
