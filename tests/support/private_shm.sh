#!/usr/bin/env bash
# Runs a test program in private mount and PID namespaces with its own /dev/shm
# and /tmp, so the RouDi it starts never meets another one (another test under
# ctest -j, or a RouDi someone else runs). Afterwards it fails the test if any
# process or any file in /dev/shm or /tmp is left. Needs root (CI and the
# developer machines are root); elsewhere the test is skipped (exit 77).
set -u
if ! unshare --mount --propagation private true 2>/dev/null; then
  echo "private_shm.sh: cannot create a mount namespace (not root?); skipping" >&2
  exit 77
fi
exec unshare --mount --propagation private --pid --fork --kill-child --mount-proc bash -c '
  mount -t tmpfs sgn-test-shm /dev/shm && mount -t tmpfs sgn-test-tmp /tmp || exit 1
  "$@"
  status=$?
  leftovers=$(find /dev/shm /tmp -mindepth 1 2>/dev/null)
  processes=$(ps -e -o pid=,args= | awk "\$1 != 1 && \$2 != \"ps\" && \$2 != \"awk\" && \$2 != \"bash\"")
  if [ -n "$leftovers" ]; then echo "LEFT BEHIND in shared memory or /tmp:"; echo "$leftovers"; status=1; fi
  if [ -n "$processes" ]; then echo "LEFT RUNNING:"; echo "$processes"; status=1; fi
  exit $status
' private_shm "$@"
