#!/usr/bin/env bash
# Runs a test program in private mount and PID namespaces with its own /dev/shm,
# /tmp and /run, so the RouDi it starts never meets another one (another test
# under ctest -j, or a RouDi someone else runs) and its runtime directory
# (/run/sgn for root) is its own. Afterwards it fails the test if any process or
# any file in /dev/shm, /tmp or /run is left (an empty /run/sgn may stay). The
# RouDi keeper stops RouDi just after the last sgn process exits, so the check
# waits up to 5 s for processes and files to go. Needs root (CI and the
# developer machines are root); elsewhere the test is skipped (exit 77).
set -u
if ! unshare --mount --propagation private true 2>/dev/null; then
  echo "private_shm.sh: cannot create a mount namespace (not root?); skipping" >&2
  exit 77
fi
# A checkout under /tmp must stay visible once a fresh tmpfs covers /tmp.
checkout=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
case $checkout in /tmp/*) keep=$checkout ;; *) keep= ;; esac
export SGN_PRIVATE_SHM_KEEP=$keep
exec unshare --mount --propagation private --pid --fork --kill-child --mount-proc bash -c '
  keep=$SGN_PRIVATE_SHM_KEEP
  unset SGN_PRIVATE_SHM_KEEP
  mount -t tmpfs sgn-test-shm /dev/shm || exit 1
  if [ -n "$keep" ]; then
    mkdir /dev/shm/.old-tmp && mount --bind /tmp /dev/shm/.old-tmp || exit 1
  fi
  mount -t tmpfs sgn-test-tmp /tmp || exit 1
  mount -t tmpfs -o mode=0755 sgn-test-run /run || exit 1
  if [ -n "$keep" ]; then
    mkdir -p "$keep" && mount --bind "/dev/shm/.old-tmp${keep#/tmp}" "$keep" || exit 1
    umount -l /dev/shm/.old-tmp && rmdir /dev/shm/.old-tmp
  fi
  "$@"
  status=$?
  leftover_files() {
    find /dev/shm /tmp /run -mindepth 1 2>/dev/null | while read -r path; do
      [ "$path" = /run/sgn ] && [ -d "$path" ] && continue   # the runtime directory itself, empty
      case "$path" in /run/mount | /run/mount/*) continue ;; esac  # mount(8)'"'"'s table, when a run mounts (a nested private_shm.sh)
      if [ -n "$keep" ]; then
        case "$keep/" in "$path"/*) continue ;; esac   # the checkout or a folder above it
        case "$path" in "$keep"/*) continue ;; esac
      fi
      echo "$path"
    done
  }
  # Not this check itself: ps, awk and the shell (shown as [awk] while it starts).
  leftover_processes() {
    ps -e -o pid=,args= | awk "\$1 != 1 && \$2 !~ /^\\[?(ps|awk|bash)\\]?\$/"
  }
  for _ in $(seq 50); do
    leftovers=$(leftover_files)
    processes=$(leftover_processes)
    [ -z "$leftovers" ] && [ -z "$processes" ] && break
    sleep 0.1
  done
  if [ -n "$leftovers" ]; then echo "LEFT BEHIND in shared memory, /tmp or /run:"; echo "$leftovers"; status=1; fi
  if [ -n "$processes" ]; then echo "LEFT RUNNING:"; echo "$processes"; status=1; fi
  exit $status
' private_shm "$@"
