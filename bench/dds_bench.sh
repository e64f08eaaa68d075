#!/usr/bin/env bash
# The DDS link between two network namespaces, against Cyclone's own ddsperf and a plain
# TCP stream between the same namespaces, in one run (as root):
#
#   bench/dds_bench.sh [BUILD_DIR] [OUTPUT.md]     (defaults: build, bench/DDS_RESULTS.md)
#
# Host A is a network namespace of this script's own (unshare --net), host B another one
# held by a sleeping process, joined by a veth pair (10.202.0.1 / 10.202.0.2): no packet
# reaches any other address. Throughput: sgn-launch "bytes-source size=S ! dds-sink" in A
# to "dds-source ! null-sink" in B (frames from the first to the last arrival, as
# dds-source logs them), ddsperf pub/sub (the median of its per-second rates), and a
# Python TCP stream of length-prefixed frames; for 1 KiB, 64 KiB, 1 MiB and 16 MiB.
# Latency: 1 KiB frames at 1 kHz (sine-source realtime) source to sink, one way, next to
# ddsperf ping/pong at 1 kHz (its round trip, and half of it). All three use the same
# Cyclone settings: those dds-sink/dds-source add (ddslink/dds_link.cpp) plus the
# namespace's interface and peer.
set -euo pipefail

if [ -z "${SGN_DDS_BENCH_INNER:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "dds_bench.sh: needs root (network namespaces)" >&2; exit 1; }
  exec env SGN_DDS_BENCH_INNER=1 unshare --net "$0" "$@"
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
build=$(cd "${1:-$root/build}" && pwd -P)
output=${2:-$root/bench/DDS_RESULTS.md}
launch=$build/tools/sgn-launch
work=$(mktemp -d)
ip link set lo up

# Host B: a network namespace held by a sleeping process (ended on exit).
unshare --net sleep 100000 &
holder=$!
cleanup() { kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 100); do
  [ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
  sleep 0.01
done
ip link add sgn-va type veth peer name sgn-vb netns "$holder"
ip addr add 10.202.0.1/24 dev sgn-va
ip link set sgn-va up
inb() { nsenter -t "$holder" -n "$@"; }
inb ip link set lo up
inb ip addr add 10.202.0.2/24 dev sgn-vb
inb ip link set sgn-vb up
# The largest MTU a veth takes: a 64 KB DDS message or TCP segment crosses unfragmented
# (the same link for sgn, ddsperf and TCP).
ip link set sgn-va mtu 65535
inb ip link set sgn-vb mtu 65535

config() {  # interface, peer
  echo "<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface name=\"$1\"/></Interfaces><AllowMulticast>false</AllowMulticast></General><Discovery><Peers><Peer address=\"$2\"/></Peers><ParticipantIndex>auto</ParticipantIndex></Discovery></Domain></CycloneDDS>"
}
config sgn-va 10.202.0.2 >"$work/a.xml"
config sgn-vb 10.202.0.1 >"$work/b.xml"
# What ddslink/dds_link.cpp puts before every configuration (kLinkTuning), WriteBatch
# included (ddsperf's 1 KiB rate is higher with it, and its ping/pong flushes).
cat >"$work/tuning.xml" <<'EOF'
<CycloneDDS><Domain id="any"><General><MaxMessageSize>65500B</MaxMessageSize><FragmentSize>65000B</FragmentSize></General><Internal><Watermarks><WhcHigh>3MB</WhcHigh><WhcHighInit>3MB</WhcHighInit></Watermarks><SocketReceiveBufferSize max="8MB"/><SocketSendBufferSize max="8MB"/><NackDelay>10ms</NackDelay><WriteBatch>true</WriteBatch><HeartbeatInterval min="1ms" minsched="1ms">10ms</HeartbeatInterval></Internal></Domain></CycloneDDS>
EOF

seconds=${SGN_DDS_BENCH_SECONDS:-5}
domain=40

# sgn: frames enough for about `seconds` at the expected rate, bounded.
sgn_run() {  # size frames
  domain=$((domain + 1))
  local link="topic=bench schema=Bytes domain=$domain"
  inb "$launch" "dds-source $link config=$work/b.xml timeout=60 ! null-sink" >"$work/b.out" 2>"$work/b.err" &
  local b=$!
  "$launch" -q "bytes-source size=$1 frames=$2 ! dds-sink $link config=$work/a.xml timeout=60" >"$work/a.out" 2>&1 || {
    cat "$work/a.out" >&2; wait $b || true; return 1; }
  wait $b || { cat "$work/b.err" >&2; return 1; }
  # "... N frames, B bytes, T s from the first to the last (F frames/s, G GB/s)"
  sed -n 's/.*every writer sent EOS; .*(\([0-9.]*\) frames\/s, \([0-9.]*\) GB\/s).*/\1 \2/p' "$work/b.out" "$work/b.err" | head -1
}

perf_run() {  # size
  domain=$((domain + 1))
  CYCLONEDDS_URI="$work/tuning.xml,$work/b.xml" inb ddsperf -D $((seconds + 2)) -i $domain sub >"$work/sub.log" 2>&1 &
  local b=$!
  sleep 0.5
  CYCLONEDDS_URI="$work/tuning.xml,$work/a.xml" ddsperf -D "$seconds" -i $domain pub size "$1" >"$work/pub.log" 2>&1 || true
  wait $b || true
  # Per-second lines: "... size S total T lost L delta D lost L rate R kS/s X Mb/s (...)"; median of the busy ones.
  python3 - "$work/sub.log" "$1" <<'EOF'
import re, statistics, sys
rates = [float(m.group(1)) * 1000 for m in re.finditer(r"delta \d+ lost \d+ rate ([0-9.]+) kS/s", open(sys.argv[1]).read())]
rates = [r for r in rates if r > 0]
if len(rates) > 2: rates = rates[1:-1]  # the first and last seconds are partial
fps = statistics.median(rates) if rates else 0.0
print(f"{fps:.0f} {fps * int(sys.argv[2]) / 1e9:.3f}")
EOF
}

tcp_run() {  # size
  inb python3 - "$1" "$seconds" >"$work/tcp.out" <<'EOF' &
import socket, struct, sys, time
size, seconds = int(sys.argv[1]), float(sys.argv[2])
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("10.202.0.2", 5201)); server.listen(1); server.settimeout(30)
conn, _ = server.accept()
buf = bytearray(size + 8); view = memoryview(buf)
frames = 0; first = last = 0.0
def fill(n):
    got = 0
    while got < n:
        k = conn.recv_into(view[got:n])
        if k == 0: return False
        got += k
    return True
while fill(8):
    (n,) = struct.unpack("<Q", bytes(view[:8]))
    if n == 0 or not fill(n): break
    last = time.monotonic()
    if frames == 0: first = last
    frames += 1
span = last - first
fps = (frames - 1) / span if span > 0 else 0.0
print(f"{fps:.0f} {fps * size / 1e9:.3f}")
EOF
  local b=$!
  python3 - "$1" "$seconds" <<'EOF'
import socket, struct, sys, time
size, seconds = int(sys.argv[1]), float(sys.argv[2])
for _ in range(300):
    try:
        s = socket.create_connection(("10.202.0.2", 5201)); break
    except OSError: time.sleep(0.01)
frame = struct.pack("<Q", size) + bytes(size)
end = time.monotonic() + seconds
while time.monotonic() < end:
    for _ in range(64): s.sendall(frame)
s.sendall(struct.pack("<Q", 0)); s.close()
EOF
  wait $b
  cat "$work/tcp.out"
}

# Rounds, each of sgn, ddsperf and TCP at every size, interleaved: the table gives each
# one's median over the rounds (this 2-core guest's rates drift by a third between runs).
declare -A frames_for=([1024]=1000000 [65536]=100000 [1048576]=6000 [16777216]=400)
declare -A rounds_sgn rounds_perf rounds_tcp
sizes=${SGN_DDS_BENCH_SIZES:-1024 65536 1048576 16777216}  # any of these four
rounds=${SGN_DDS_BENCH_ROUNDS:-3}
for round in $(seq "$rounds"); do
  for size in $sizes; do
    echo "round $round, size $size: sgn" >&2
    read -r fps _ < <(sgn_run "$size" "${frames_for[$size]}")
    rounds_sgn[$size]+="$fps "
    echo "round $round, size $size: ddsperf" >&2
    read -r fps _ < <(perf_run "$size")
    rounds_perf[$size]+="$fps "
    echo "round $round, size $size: tcp" >&2
    read -r fps _ < <(tcp_run "$size")
    rounds_tcp[$size]+="$fps "
  done
done

# Latency: 1 KiB frames (256 float samples) at 1 kHz, source timestamp to sink, one way;
# with the default wait, then with the receiving pipeline in low-latency mode (--spin-us
# 2000: a loop that spins through the 1 ms between frames is never woken; the sender's loop
# sleeps until its next frame is due either way).
sgn_latency() {  # extra sgn-launch options of the receiving pipeline
  domain=$((domain + 1))
  local link="topic=latency domain=$domain"
  inb "$launch" -q "$@" --json "$work/lat.json" "dds-source $link config=$work/b.xml ! stats-sink" >/dev/null 2>"$work/lat.err" &
  local b=$!
  "$launch" -q "sine-source realtime=true channels=1 samples=256 rate=256000 frames=$((seconds * 1000)) ! dds-sink $link config=$work/a.xml" >/dev/null
  wait $b
  python3 - "$work/lat.json" <<'PY'
import json, sys
e = [x for x in json.load(open(sys.argv[1]))["elements"] if x["name"] == "stats-sink0"][0]
print(f'{e["latency_p50_us"]:.1f} {e["latency_p99_us"]:.1f}')
PY
}
echo "latency: sgn" >&2
read -r sgn_p50 sgn_p99 < <(sgn_latency)
echo "latency: sgn, low-latency mode" >&2
read -r spin_p50 spin_p99 < <(sgn_latency --spin-us 2000)
echo "latency: ddsperf" >&2
domain=$((domain + 1))
CYCLONEDDS_URI="$work/tuning.xml,$work/b.xml" inb ddsperf -D $((seconds + 2)) -i $domain pong >/dev/null 2>&1 &
b=$!
sleep 0.5
CYCLONEDDS_URI="$work/tuning.xml,$work/a.xml" ddsperf -D "$seconds" -i $domain ping 1000Hz size 1KiB >"$work/ping.log" 2>&1 || true
wait $b || true
read -r perf_p50 perf_p99 < <(python3 - "$work/ping.log" <<'EOF'
import re, statistics, sys
lines = re.findall(r"size 1024 mean [0-9.]+us min [0-9.]+us 50% ([0-9.]+)us 90% [0-9.]+us 99% ([0-9.]+)us", open(sys.argv[1]).read())
p50 = statistics.median(float(a) for a, _ in lines) if lines else 0.0
p99 = statistics.median(float(b) for _, b in lines) if lines else 0.0
print(f"{p50:.1f} {p99:.1f}")
EOF
)

# Both tables from the rounds' rates: medians, GB/s, and the ratios as "median of the
# rounds' ratios / ratio of the medians", met when both reach the target (a round's pair
# ran seconds apart, in the same state of the machine; the medians did not).
tables() {
  local args=() size
  # shellcheck disable=SC2206  # the rounds' rates, one word each
  for size in $sizes; do args+=("@$size" ${rounds_sgn[$size]} / ${rounds_perf[$size]} / ${rounds_tcp[$size]}); done
  python3 - "${args[@]}" <<'EOF'
import statistics, sys
human = {1024: "1 KiB", 65536: "64 KiB", 1048576: "1 MiB", 16777216: "16 MiB"}
def ratio(a, b, target):
    paired = statistics.median(x / y for x, y in zip(a, b) if y > 0)
    of_medians = statistics.median(a) / statistics.median(b)
    verdict = "" if target == 0 else (" met" if min(paired, of_medians) >= target else " MISSED")
    return f"{paired:.2f} / {of_medians:.2f}{verdict}"
rows = []
for group in " ".join(sys.argv[1:]).split("@")[1:]:  # "@size sgn... / ddsperf... / tcp..."
    size, rest = group.split(maxsplit=1)
    rows.append((int(size), *([float(x) for x in w.split()] for w in rest.split("/"))))
print("| frame | sgn frames/s | sgn GB/s | ddsperf frames/s | ddsperf GB/s | TCP frames/s | TCP GB/s "
      "| sgn/ddsperf (target ≥ 0.80) | sgn/TCP (target ≥ 0.50 at ≥ 1 MiB) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for size, sgn, perf, tcp in rows:
    cells = []
    for rates in (sgn, perf, tcp):
        fps = statistics.median(rates)
        cells += [f"{fps:.0f}", f"{fps * size / 1e9:.3f}"]
    cells += [ratio(sgn, perf, 0.80), ratio(sgn, tcp, 0.50 if size >= 1048576 else 0)]
    print(f"| {human[size]} | " + " | ".join(cells) + " |")
print()
print("| frame | sgn frames/s, each round | ddsperf frames/s, each round | TCP frames/s, each round "
      "| sgn/ddsperf, each round | sgn/TCP, each round |")
print("| --- | --- | --- | --- | --- | --- |")
show = lambda xs: ", ".join(f"{x:.0f}" for x in xs)
each = lambda a, b: ", ".join(f"{x / y:.2f}" if y > 0 else "-" for x, y in zip(a, b))
for size, sgn, perf, tcp in rows:
    print(f"| {human[size]} | {show(sgn)} | {show(perf)} | {show(tcp)} | {each(sgn, perf)} | {each(sgn, tcp)} |")
EOF
}
{
  echo "# DDS link between two network namespaces"
  echo
  echo "Written by \`bench/dds_bench.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) cores,"
  echo "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), Linux $(uname -r), Cyclone DDS $(dpkg-query -W -f '${Version}' cyclonedds-tools 2>/dev/null || echo '?')."
  echo "Host A and host B are network namespaces joined by a veth pair (MTU 65535); ${seconds} s per ddsperf and TCP point;"
  echo "medians of ${rounds} rounds (each round: sgn, ddsperf and TCP at every size, in turn)."
  echo
  echo "Ratios: the median of the rounds' ratios / the ratio of the medians; \"met\" when both reach the target."
  echo
  tables
  echo
  echo "Latency of 1 KiB frames at 1 kHz: sgn one way (source timestamp to sink, same clock) p50 ${sgn_p50} us,"
  echo "p99 ${sgn_p99} us; ddsperf ping/pong round trip p50 ${perf_p50} us, p99 ${perf_p99} us (half of it:"
  echo "p50 $(python3 -c "print(f'{${perf_p50}/2:.1f}')") us, p99 $(python3 -c "print(f'{${perf_p99}/2:.1f}')") us)."
  echo "With the receiving pipeline in low-latency mode (\`sgn-launch --spin-us 2000\`): p50 ${spin_p50} us, p99 ${spin_p99} us."
  echo
  echo "sgn: \`bytes-source size=S ! dds-sink\` in A, \`dds-source ! null-sink\` in B (each line in its main thread, the default placement),"
  echo "rate from the first to the last frame received. ddsperf: \`pub size S\` / \`sub\`, reliable keep-all,"
  echo "median of its per-second rates. TCP: one Python connection, length-prefixed frames."
} >"$output"
cat "$output"
