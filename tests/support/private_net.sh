#!/usr/bin/env bash
# Runs a test program in a network namespace of its own, whose only interface is a
# loopback (up), inside private_shm.sh's mount and PID namespaces: no packet it sends
# can reach another address, and DDS tests under ctest -j never meet each other.
# Network namespaces the test creates itself (ip netns add) live in its private /run.
# Needs root (CI and the developer machines are root); elsewhere the test is skipped (77).
set -u
if ! unshare --net true 2>/dev/null; then
  echo "private_net.sh: cannot create a network namespace (not root?); skipping" >&2
  exit 77
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
exec unshare --net bash -c 'ip link set lo up || exit 1; exec "$0" "$@"' "$here/private_shm.sh" "$@"
