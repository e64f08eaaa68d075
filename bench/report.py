#!/usr/bin/env python3
"""Turns sgn-bench's Google Benchmark JSON into bench/RESULTS.md and bench/throughput.svg.

    python3 bench/report.py RESULTS.json [--out-dir bench]

Standard library only (the plot is SVG written by hand unless matplotlib is installed).
Every ratio compares numbers measured in the same run. bench/ANALYSIS.md, if present,
is appended verbatim (where the time goes, written after profiling).
"""

import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys

TRANSPORTS = ["sgn-process", "sgn-thread", "raw-iox", "unix-socket", "python-mpq", "python-sgn"]
BASELINES = ["raw-iox", "unix-socket", "python-mpq", "python-sgn", "sgn-thread"]
COLORS = {"sgn-process": "#d62728", "sgn-thread": "#ff7f0e", "raw-iox": "#1f77b4",
          "unix-socket": "#2ca02c", "python-mpq": "#9467bd", "python-sgn": "#8c564b", "memcpy": "#555555"}
MiB = 1 << 20


def medians(benchmarks, keep=lambda name, b: True):
    """Each benchmark's run by name: with --benchmark_repetitions its median aggregate
    (of every counter), else its one run; only those `keep(name, b)` accepts."""
    chosen = {}
    for b in benchmarks:
        name = b.get("run_name", b["name"])
        if not keep(name, b):
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                chosen[name] = b
        elif name not in chosen or chosen[name].get("run_type") != "aggregate":
            chosen[name] = b
    return chosen


def size_label(n):
    n = int(n)
    if n >= MiB:
        return f"{n // MiB} MiB"
    if n >= 1024:
        return f"{n // 1024} KiB"
    return f"{n} B"


def fmt(v, digits=3):
    if v is None:
        return "–"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.2f} M"
    if a >= 1e4:
        return f"{v / 1e3:.0f} k"
    if a >= 1e3:
        return f"{v / 1e3:.2f} k"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 1:
        return f"{v:.{max(digits - 1, 0)}f}".rstrip("0").rstrip(".") if a < 10 else f"{v:.1f}"
    return f"{v:.3g}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def at_least(v, goal):
    """Whether a target is met; "–" when it was not measured (an older or filtered run)."""
    return "–" if v is None else v >= goal


def fmt_ratio(r):
    if r is None:
        return "–"
    if r >= 100:
        return f"{r:.0f}×"
    if r >= 10:
        return f"{r:.1f}×"
    return f"{r:.2f}×"


def machine():
    info = {}
    info["nproc"] = os.cpu_count()
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info["cpu"] = model
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                info["memory"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        info["memory"] = "unknown"
    info["kernel"] = platform.release()
    try:
        info["os"] = subprocess.run(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"],
                                    capture_output=True, text=True).stdout.strip()
    except OSError:
        info["os"] = "unknown"
    return info


def parse(path):
    data = json.load(open(path))
    transport = {}   # (impl, mode, touch, size) -> counters
    memcpy = {}      # size -> GB/s
    pipeline = []
    idle = None
    startup = {}
    links = {}       # (transport, pace) -> counters (latency/<transport>/<pace>/1024)
    errors = []
    # With --benchmark_repetitions, use each benchmark's median (of every counter).
    chosen = medians(data["benchmarks"])
    repetitions = max((b.get("repetitions", 1) for b in data["benchmarks"]), default=1)
    for name, b in chosen.items():
        if b.get("error_occurred"):
            errors.append((name, b.get("error_message", "")))
            continue
        m = re.match(r"latency/([^/]+)/([^/]+)/(\d+)", name)
        if m:
            links[(m.group(1), m.group(2))] = b
            continue
        m = re.match(r"transport/([^/]+)/([^/]+)/([^/]+)/(\d+)", name)
        if m:
            transport[(m.group(1), m.group(2), m.group(3), int(m.group(4)))] = b
            continue
        m = re.match(r"memcpy/(\d+)", name)
        if m:
            memcpy[int(m.group(1))] = b.get("GB_per_s")
            continue
        m = re.match(r"pipeline/([^/]+)/samples:(\d+)/workers:(\d+)", name)
        if m:
            pipeline.append((m.group(1), int(m.group(2)), int(m.group(3)), b))
            continue
        if name.startswith("idle/"):
            idle = b
            continue
        m = re.match(r"startup/([^/]+)", name)
        if m:
            startup[m.group(1)] = b
            continue
        m = re.match(r"liveness/([^/]+)", name)
        if m:
            startup["liveness/" + m.group(1)] = b
    context = dict(data.get("context", {}))
    context["repetitions"] = repetitions
    # Every repetition of the 1 KiB thread-mode round trip (its spread is a target).
    rt_runs = [b for b in data["benchmarks"]
               if b.get("run_type") != "aggregate" and not b.get("error_occurred")
               and re.match(r"transport/sgn-thread/roundtrip/untouched/1024(/|$)", b.get("run_name", b["name"]))]
    context["thread_rt_runs"] = [b.get("frames_per_s") for b in rt_runs]
    # The cache-line handoff between the two CPUs measured just before each run.
    context["thread_rt_handoffs"] = [b.get("handoff_ns") for b in rt_runs]
    context["links"] = links
    return context, transport, memcpy, pipeline, idle, startup, errors


def handoff_range(handoffs):
    """", cache-line handoff a-b ns" over the runs that measured it, or nothing."""
    measured = [h for h in handoffs if h]
    if not measured:
        return ""
    return f"; cache-line handoff {min(measured):.0f}-{max(measured):.0f} ns"


def parse_forwarding(path):
    """forwarding/<placement>/<transform>/<size> medians: (placement, transform, size) -> counters."""
    data = json.load(open(path))
    chosen = medians(data["benchmarks"],
                     lambda name, b: name.startswith("forwarding/") and not b.get("error_occurred"))
    out = {}
    for name, b in chosen.items():
        m = re.match(r"forwarding/([^/]+)/([^/]+)/(\d+)", name)
        if m:
            out[(m.group(1), m.group(2), int(m.group(3)))] = b
    return out


def forwarding_section(forwarding):
    """The "forwarding" table: each transform against the one hop without it, same run."""
    if not forwarding:
        return []
    md = ["## Forwarding without a copy\n",
          "bench-source (main, payload untouched) → T → bench-sink (main), T a `passthrough` or an in-place "
          "transform (`bench-stamp-in-place`: writes 8 bytes of the payload) placed in a worker thread or "
          "process; the baseline is the one hop without T: bench-source (main) → bench-sink placed where T "
          "would be. "
          "Frames/s from the sink's first frame to its EOS; copies: payload copies the whole pipeline made "
          "(ElementStats::copies). Target: ≥ 50% of the one hop's rate, copies 0.\n",
          "| placement | transform | payload | frames/s | one hop without it | ratio | copies | target |",
          "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for placement in ("thread", "process"):
        for transform in ("passthrough", "in-place"):
            for size in sorted({k[2] for k in forwarding}):
                b = forwarding.get((placement, transform, size))
                base = forwarding.get((placement, "none", size))
                if b is None or base is None:
                    continue
                r = b["frames_per_s"] / base["frames_per_s"] if base["frames_per_s"] else None
                copies = b.get("copies", 0)
                met = r is not None and r >= 0.5 and copies == 0
                md.append(f"| {placement} | {transform} | {size_label(size)} | {fmt(b['frames_per_s'])} | "
                          f"{fmt(base['frames_per_s'])} | {fmt_ratio(r)} | {copies:.0f} | "
                          f"{'met' if met else 'missed'} |")
    md.append("")
    constant = [(p, size) for (p, t, size) in sorted(forwarding) if t == "bytes-source"]
    if constant:
        md.append("A constant source (`bytes-source fill=none`: its payload reads as zeros) against the same "
                  "one hop: reused frame memory is zeroed only where the structure goes, so it should run "
                  "like the untouched bench-source (target: ≥ 50%).\n")
        md.append("| placement | payload | bytes-source fill=none frames/s | bench-source frames/s | ratio | target |")
        md.append("| --- | --- | --- | --- | --- | --- |")
        for placement, size in constant:
            b = forwarding[(placement, "bytes-source", size)]
            base = forwarding.get((placement, "none", size))
            if base is None:
                continue
            r = b["frames_per_s"] / base["frames_per_s"] if base["frames_per_s"] else None
            md.append(f"| {placement} | {size_label(size)} | {fmt(b['frames_per_s'])} | {fmt(base['frames_per_s'])} | "
                      f"{fmt_ratio(r)} | {'met' if r is not None and r >= 0.5 else 'missed'} |")
        md.append("")
    return md


def get(transport, impl, mode, touch, size, key="frames_per_s"):
    b = transport.get((impl, mode, touch, size))
    return None if b is None else b.get(key)


def svg_plot(transport, memcpy, sizes, path):
    panels = [("onehop", "untouched"), ("onehop", "touched"), ("roundtrip", "untouched"), ("roundtrip", "touched")]
    W, H = 1000, 760
    pw, ph = 400, 270
    origins = [(80, 60), (570, 60), (80, 430), (570, 430)]
    values = [v.get("GB_per_s") for v in transport.values() if v.get("GB_per_s")] + \
             [v for v in memcpy.values() if v]
    ymin = 10 ** math.floor(math.log10(max(min(values), 1e-4))) if values else 1e-3
    ymax = 10 ** math.ceil(math.log10(max(values))) if values else 100
    xmin, xmax = math.log2(min(sizes)), math.log2(max(sizes))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="24" text-anchor="middle" font-size="16">sgn-bench: throughput (GB/s, log) vs frame '
           f'size, per transport</text>']
    for (mode, touch), (ox, oy) in zip(panels, origins):
        def X(s):
            return ox + (math.log2(s) - xmin) / max(xmax - xmin, 1) * pw

        def Y(v):
            v = max(v, ymin)
            return oy + ph - (math.log10(v) - math.log10(ymin)) / (math.log10(ymax) - math.log10(ymin)) * ph
        out.append(f'<rect x="{ox}" y="{oy}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
        title = ("one hop" if mode == "onehop" else "round trip") + f", payload {touch}"
        out.append(f'<text x="{ox + pw / 2}" y="{oy - 8}" text-anchor="middle" font-size="13">{title}</text>')
        e = int(math.log10(ymin))
        while 10 ** e <= ymax:
            y = Y(10 ** e)
            out.append(f'<line x1="{ox}" y1="{y:.1f}" x2="{ox + pw}" y2="{y:.1f}" stroke="#eee"/>')
            out.append(f'<text x="{ox - 6}" y="{y + 4:.1f}" text-anchor="end">{10 ** e:g}</text>')
            e += 1
        for s in sizes:
            x = X(s)
            out.append(f'<line x1="{x:.1f}" y1="{oy}" x2="{x:.1f}" y2="{oy + ph}" stroke="#eee"/>')
            out.append(f'<text x="{x:.1f}" y="{oy + ph + 16}" text-anchor="middle">{size_label(s)}</text>')
        series = list(TRANSPORTS) + (["memcpy"] if touch == "touched" else [])
        for impl in series:
            if impl == "memcpy":
                pts = [(s, memcpy.get(s)) for s in sizes]
            else:
                pts = [(s, get(transport, impl, mode, touch, s, "GB_per_s")) for s in sizes]
            pts = [(X(s), Y(v)) for s, v in pts if v]
            if not pts:
                continue
            dash = ' stroke-dasharray="5,4"' if impl == "memcpy" else ""
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            out.append(f'<polyline points="{d}" fill="none" stroke="{COLORS[impl]}" stroke-width="2"{dash}/>')
            for x, y in pts:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLORS[impl]}"/>')
    lx = 80
    for impl in TRANSPORTS + ["memcpy"]:
        out.append(f'<rect x="{lx}" y="{H - 24}" width="14" height="4" fill="{COLORS[impl]}"/>')
        out.append(f'<text x="{lx + 20}" y="{H - 18}">{impl}</text>')
        lx += 130
    out.append("</svg>")
    open(path, "w").write("\n".join(out) + "\n")


# ---- elements (bench/element_bench.cpp): each element against anchors of the same run

def parse_elements(path):
    """anchor/... and elements/... benchmarks by name (iteration suffixes dropped), medians if repeated."""
    data = json.load(open(path))
    chosen = medians(data["benchmarks"], lambda name, b: name.startswith(("anchor/", "elements/")))
    out = {}
    for name, b in chosen.items():
        key = re.sub(r"/(iterations:\d+|manual_time|real_time)", "", name)
        out[key] = None if b.get("error_occurred") else b
    return out


def elements_section(el):
    """Markdown lines of the "Elements" section, or [] if the run had no element benchmarks."""
    if not el:
        return []

    def val(name, key):
        b = el.get(name)
        return None if b is None else b.get(key)

    md = []
    w = md.append
    w("## Elements\n")
    w("Each element against anchors measured in the same run. Pipeline rates are per CPU second of the "
      "process (all its threads; for gst-launch and sgn-launch, the program and its children), so a machine "
      "loaded by other work does not skew them, like the anchors' (Google Benchmark divides memset, memcpy "
      "and the kernels by CPU time; the FMA peak is timed on the thread's CPU clock); wall-time rates are "
      "in the second table. gst-launch and README's demo run N frames and fewer frames: the difference "
      "leaves process start-up out.\n")
    rows = []
    peak = val("anchor/fma-peak", "GMAC_per_s")
    gst = val("anchor/gst-audiotestsrc", "Msamples_per_s_cpu")
    for noise, goal, label in ((0, 4, "noise=0"), (1, 2, "default noise=0.1")):
        got = val(f"elements/sine-source/noise:{noise}", "Msamples_per_s_cpu")
        r = ratio(got, gst)
        rows.append((f"sine-source, 262144 samples a frame, {label}: Msamples/s vs GStreamer audiotestsrc wave=sine "
                     f"(float32, same frame size)", f"≥ {goal}×",
                     f"{fmt(got)} vs {fmt(gst)} = {fmt_ratio(r)}", at_least(r, goal)))
    for size in sorted({int(m.group(1)) for k in el for m in [re.match(r"elements/bytes-pattern-kernel/size:(\d+)", k)] if m}):
        memset = val(f"anchor/memset/size:{size}", "GB_per_s")
        fill = val(f"elements/bytes-pattern-kernel/size:{size}", "GB_per_s")
        r = ratio(fill, memset)
        rows.append((f"bytes-source fill=pattern, {size_label(size)}: its fill (the kernel produce() calls) vs memset, "
                     f"one buffer each", "≥ 50%",
                     f"{fmt(fill)} vs {fmt(memset)} GB/s = {r * 100:.0f}%" if r else "–", at_least(r, 0.5)))
        for queue in (4, 100):
            p = val(f"elements/bytes-source/size:{size}/queue:{queue}/pattern:1", "GB_per_s_cpu")
            n = val(f"elements/bytes-source/size:{size}/queue:{queue}/pattern:0", "GB_per_s_cpu")
            r = ratio(p, memset)
            rows.append((f"(same, whole pipeline bytes-source → null-sink, queue {queue}: GB per CPU second vs memset; "
                         f"fill=none, the engine alone: {fmt(n)} GB/s)", "≥ 50%",
                         f"{fmt(p)} vs {fmt(memset)} GB/s = {r * 100:.0f}%" if r else "–", at_least(r, 0.5)))
    for taps in (64,):
        got = val(f"elements/fir-direct/taps:{taps}", "GMAC_per_s_cpu")
        r = ratio(got, peak)
        rows.append((f"fir taps={taps}, 8 channels × 1024 samples, one core (source, fir, sink in main): "
                     f"multiply-adds/s", "≥ 10 G",
                     f"{fmt(got)} G ({r * 100:.0f}% of the FMA peak, {fmt(peak)} G)" if r else f"{fmt(got)} G",
                     at_least(got, 10)))
    for size in sorted({int(m.group(1)) for k in el for m in [re.match(r"elements/scale-kernel/size:(\d+)", k)] if m}):
        got = val(f"elements/scale-kernel/size:{size}", "GB_per_s")
        mc = val(f"anchor/memcpy/size:{size}", "GB_per_s")
        r = ratio(got, mc)
        rows.append((f"scale, {size_label(size)} of values, in place as the element runs it: GB/s (each value "
                     f"read and written once, as memcpy's bytes) vs memcpy",
                     "≥ 80%", f"{fmt(got)} vs {fmt(mc)} GB/s = {r * 100:.0f}%" if r else "–", at_least(r, 0.8)))
    now = val("elements/readme-demo/this-build", "frames_per_s")
    before = val("elements/readme-demo/baseline", "frames_per_s")
    r = ratio(now, before)
    cpu_now = val("elements/readme-demo/this-build", "cpu_us_per_frame")
    cpu_before = val("elements/readme-demo/baseline", "cpu_us_per_frame")
    rc = ratio(cpu_before, cpu_now)
    rows.append(("README's demo (8 ch × 1024, fir taps=64 placement=process, scale, stats-sink): frames/s (wall) "
                 "vs the build before this work", "≥ 4×",
                 f"{fmt(now)} vs {fmt(before)} = {fmt_ratio(r)}"
                 + (f" (CPU a frame, all processes: {fmt(cpu_now)} vs {fmt(cpu_before)} µs = {fmt_ratio(rc)} less)"
                    if rc else ""), at_least(r, 4)))
    w("| target | goal | measured | |")
    w("| --- | --- | --- | --- |")
    for what, goal, got, ok in rows:
        mark = "info" if ok is None else "–" if ok == "–" else ("**met**" if ok else "**missed**")
        w(f"| {what} | {goal} | {got} | {mark} |")
    w("")
    taps_measured = sorted({int(m.group(1)) for k in el for m in [re.match(r"elements/fir-direct/taps:(\d+)", k)] if m})
    if taps_measured:
        w("fir's two methods by tap count (8 channels × 1024 samples a frame, one core, Msamples per CPU second; "
          "`method=auto` takes FFT overlap-save from `Fir::kFftFromTaps` = 256 taps):\n")
        w("| taps | direct form | FFT overlap-save | faster |")
        w("| --- | --- | --- | --- |")
        for taps in taps_measured:
            d = val(f"elements/fir-direct/taps:{taps}", "Msamples_per_s_cpu")
            f = val(f"elements/fir-fft/taps:{taps}", "Msamples_per_s_cpu")
            faster = "–" if d is None or f is None else ("FFT" if f > d else "direct")
            w(f"| {taps} | {fmt(d)} | {fmt(f)} | {faster} |")
        w("")
    w("All element and anchor measurements of the run (`_cpu`: per CPU second; without: per wall second):\n")
    w("| benchmark | measurements |")
    w("| --- | --- |")
    for name in sorted(el):
        b = el[name]
        if b is None:
            w(f"| {name} | did not run |")
            continue
        keys = [k for k in ("Msamples_per_s", "Msamples_per_s_cpu", "frames_per_s", "frames_per_s_cpu", "GB_per_s",
                            "GB_per_s_cpu", "GMAC_per_s", "GMAC_per_s_cpu", "cpu_us_per_frame") if k in b]
        w(f"| {name} | " + ", ".join(f"{k} {fmt(b[k])}" for k in keys) + " |")
    w("")
    return md


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--out-dir", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--elements-section", action="store_true",
                    help="print only the Elements section (for a run of --benchmark_filter='anchor/|elements/')")
    a = ap.parse_args()
    if a.elements_section:
        print("\n".join(elements_section(parse_elements(a.json))))
        return 0
    context, transport, memcpy, pipeline, idle, startup, errors = parse(a.json)
    sizes = sorted({k[3] for k in transport})
    md = []
    w = md.append
    mi = machine()
    w("# sgn-bench results\n")
    w(f"Generated by `{a.command}` ({context.get('date', '')}). Every ratio compares numbers from this one run"
      + (f"; each number is the median of {context['repetitions']} repetitions." if context["repetitions"] > 1
         else ".") + "\n")
    w("## Machine\n")
    w(f"- CPU: {mi['cpu']}, {mi['nproc']} cores (nproc)")
    w(f"- Memory: {mi.get('memory')}")
    w(f"- Kernel: {mi['kernel']} ({mi.get('os', '')})")
    load = context.get("load_avg")
    if load:
        w(f"- Load average when the run started: {', '.join(f'{x:.2f}' for x in load)} "
          "(the machine is shared: other builds may run at the same time)")
    w("")

    # ---- targets
    def frames(impl, mode, touch, size):
        return get(transport, impl, mode, touch, size)

    KiB, M16 = 1024, 16 * MiB
    rows = []
    p_rt = frames("sgn-process", "roundtrip", "untouched", KiB)
    sgn_rt = frames("python-sgn", "roundtrip", "untouched", KiB)
    mpq_rt = frames("python-mpq", "roundtrip", "untouched", KiB)
    raw_rt = frames("raw-iox", "roundtrip", "untouched", KiB)
    r = ratio(p_rt, sgn_rt)
    rows.append(("process round trip, 1 KiB: frames/s vs SGN's Parallelize pattern (Python, one frame per "
                 "pipeline iteration)", "≥ 100×",
                 f"{fmt(p_rt)} vs {fmt(sgn_rt)} frames/s = {fmt_ratio(r)}", at_least(r, 100)))
    r = ratio(p_rt, mpq_rt)
    rows.append(("(same, vs bare multiprocessing.Queue, 100 frames in flight: best case for stdlib Python)",
                 "(info)", f"{fmt(p_rt)} vs {fmt(mpq_rt)} frames/s = {fmt_ratio(r)}", None))
    p_lat = get(transport, "sgn-process", "roundtrip", "untouched", KiB, "p50_us")
    py_lat = get(transport, "python-sgn", "roundtrip", "untouched", KiB, "p50_us")
    r = ratio(py_lat, p_lat)
    rows.append(("(same, one frame at a time: round-trip latency p50 vs SGN's pattern)", "(info)",
                 f"{fmt(p_lat)} µs vs {fmt(py_lat)} µs = {fmt_ratio(r)} faster" if r else "–", None))
    r = ratio(p_rt, raw_rt)
    rows.append(("process round trip, 1 KiB: frames/s vs raw iceoryx", "≥ 50%",
                 f"{fmt(p_rt)} vs {fmt(raw_rt)} frames/s = {r * 100:.0f}%" if r else "–", at_least(r, 0.5)))
    p16 = frames("sgn-process", "onehop", "untouched", M16)
    p1k = frames("sgn-process", "onehop", "untouched", KiB)
    r = ratio(p16, p1k)
    rows.append(("process one hop, untouched, 16 MiB vs 1 KiB frames/s", "≥ 80%",
                 f"{fmt(p16)} vs {fmt(p1k)} frames/s = {r * 100:.1f}%" if r else "–", at_least(r, 0.8)))
    s16 = frames("unix-socket", "onehop", "untouched", M16)
    r = ratio(p16, s16)
    rows.append(("process one hop, untouched, 16 MiB vs Unix socket", "≥ 10×",
                 f"{fmt(p16)} vs {fmt(s16)} frames/s = {fmt_ratio(r)}", at_least(r, 10)))
    for size in (M16, 64 * MiB):
        t = get(transport, "sgn-process", "onehop", "touched", size, "GB_per_s")
        mc = memcpy.get(size)
        r = ratio(t, mc)
        rows.append((f"process one hop, touched, {size_label(size)}: GB/s vs memcpy", "≥ 70%",
                     f"{fmt(t)} vs {fmt(mc)} GB/s = {r * 100:.0f}%" if r else "–", at_least(r, 0.7)))
    th = frames("sgn-thread", "roundtrip", "untouched", KiB)
    rows.append(("thread mode, 1 KiB, source → worker → sink", "≥ 2 M frames/s", f"{fmt(th)} frames/s",
                 at_least(th, 2e6)))
    if idle:
        tot = idle.get("total_pct")
        rows.append(("idle process-mode pipeline at 10 frames/s (main + worker + RouDi)", "≤ 1% of a core",
                     f"{tot:.2f}% (main {idle.get('main_pct', 0):.2f}, worker {idle.get('workers_pct', 0):.2f}, "
                     f"RouDi {idle.get('roudi_pct', 0):.2f})", tot is not None and tot <= 1.0))
    runs = [r for r in context.get("thread_rt_runs", []) if r]
    if runs:
        rows.append((f"thread mode, 1 KiB round trip: every one of {len(runs)} runs", "≥ 2 M frames/s each",
                     f"min {fmt(min(runs))}, max {fmt(max(runs))} (spread {max(runs) / min(runs):.2f}×)"
                     + handoff_range(context.get("thread_rt_handoffs", [])),
                     min(runs) >= 2e6))
    links = context.get("links", {})

    def link(transport, pace, key):
        b = links.get((transport, pace))
        return None if b is None else b.get(key)
    spin_p50, spin_p99 = link("sgn-process-spin", "load", "p50_us"), link("sgn-process-spin", "load", "p99_us")
    raw_p50 = link("raw-iox-spin", "load", "p50_us")
    if spin_p50 is not None:
        spin_us = link("sgn-process-spin", "load", "spin_us")
        rows.append((f"process one hop, 1 KiB, low-latency mode (spin_us={spin_us:.0f}): p50", "≤ 2 µs",
                     f"{fmt(spin_p50)} µs (raw iceoryx spinning: {fmt(raw_p50)} µs)", spin_p50 <= 2.0))
        rows.append(("(same): p99", "≤ 10 µs", f"{fmt(spin_p99)} µs (raw iceoryx spinning: "
                     f"{fmt(link('raw-iox-spin', 'load', 'p99_us'))} µs)", spin_p99 <= 10.0))
    def_p50 = link("sgn-process", "load", "p50_us")
    if def_p50 is not None:
        rows.append(("process one hop, 1 KiB, default (blocking) wait: p50", "≤ 25 µs", f"{fmt(def_p50)} µs",
                     def_p50 <= 25.0))
    def_idle = link("sgn-process", "idle", "receiver_cpu_pct")
    if def_idle is not None:
        rows.append(("(same): receiving process at 10 frames/s", "≤ 1% of a core", f"{def_idle:.2f}%",
                     def_idle <= 1.0))
    w("## Targets\n")
    w("| target | goal | measured | |")
    w("| --- | --- | --- | --- |")
    for what, goal, got, ok in rows:
        mark = "info" if ok is None else "–" if ok == "–" else ("**met**" if ok else "**missed**")
        w(f"| {what} | {goal} | {got} | {mark} |")
    w("")
    if links:
        w("## Low-latency links\n")
        w("One hop of 1 KiB frames, main → a worker process, frames paced like a sensor (under load: one every "
          f"{link('sgn-process', 'load', 'interval_us') or 200:.0f} µs; idle: one every "
          f"{(link('sgn-process', 'idle', 'interval_us') or 100000) / 1000:.0f} ms). Latency: the frame's "
          "timestamp at send → the receiving element (or subscriber) has it. Receiver CPU: the receiving "
          "process's CPU time (getrusage) from its first to its last frame, per second, as % of one core. "
          "**sgn-process**: the default wait (a short spin, then a futex sleep); **sgn-process-spin**: the "
          "receiving element with `spin_us` (low-latency mode: a bounded busy-poll before the sleep); "
          "**raw-iox-spin**: an iceoryx subscriber that never sleeps (it pauses between looks and yields "
          "the core once per millisecond, as sgn's spin does), measured in the same run. Handoff: the "
          "one-way cache-line handoff between the two CPUs, measured just before the run under load (this "
          "guest's host moves its vCPUs between placements where it is ~30, ~60 or ~250 ns, and a one-hop "
          "frame crosses the cores several times).\n")
        w("| transport | spin_us | load: p50 µs | load: p99 µs | load: receiver CPU | load: handoff | "
          "idle: p50 µs | idle: p99 µs | idle: receiver CPU |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for t in ("sgn-process", "sgn-process-spin", "raw-iox-spin"):
            if (t, "load") not in links and (t, "idle") not in links:
                continue
            spin = link(t, "load", "spin_us")
            spin_text = "∞ (never sleeps)" if t == "raw-iox-spin" else f"{spin or 0:.0f}"
            cells = []
            for pace in ("load", "idle"):
                cpu = link(t, pace, "receiver_cpu_pct")
                cells += [fmt(link(t, pace, "p50_us")), fmt(link(t, pace, "p99_us")),
                          "–" if cpu is None else f"{cpu:.1f}%"]
                if pace == "load":
                    handoff = link(t, pace, "handoff_ns")
                    cells.append("–" if not handoff else f"{handoff:.0f} ns")
            w(f"| {t} | {spin_text} | " + " | ".join(cells) + " |")
        w("")
    if runs:
        w("## Thread-mode round trip, run by run\n")
        w("bench-source → bench-ack (thread) → bench-sink, 1 KiB, payload untouched: frames/s of each "
          "repetition (the tables elsewhere show their median).\n")
        w("| " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " | min | median | max | max/min |")
        w("| " + " | ".join("---" for _ in range(len(runs) + 4)) + " |")
        med = sorted(runs)[len(runs) // 2]
        w("| " + " | ".join(fmt(r) for r in runs) + f" | {fmt(min(runs))} | {fmt(med)} | {fmt(max(runs))} | "
          f"{max(runs) / min(runs):.2f}× |")
        handoffs = context.get("thread_rt_handoffs", [])
        if len(handoffs) == len(runs) and all(handoffs):
            w("| " + " | ".join(f"{h:.0f} ns" for h in handoffs) + " | | | | |")
            w("")
            w("Second row: the one-way cache-line handoff between the two CPUs, measured just before each run "
              "(two pinned threads passing a line back and forth). On this guest the host moves the two vCPUs "
              "between placements where it is ~30, ~60 or ~230 ns; every frame of this benchmark crosses the cores "
              "several times, so its rate follows the placement (bench/ANALYSIS.md).")
        w("")
    w("Two Python baselines (`bench/sgn_queue_bench.py`, standard library only): **python-sgn** is SGN's "
      "Parallelize pattern, pickled `Frame` objects through `multiprocessing.Queue`: a round trip as "
      "ParallelizeTransformElement (pull() puts the frame, new() blocks until the worker sends the whole frame "
      "back, so one frame is in flight per pipeline iteration), one hop as ParallelizeSinkElement "
      "(`(pad_name, frame)` into a worker that only consumes, pipelined by the queue's maxsize of 100). "
      "**python-mpq** is a bare `multiprocessing.Queue` of pickled bytes with up to 100 frames in flight and a "
      "small tuple as the answer: the best case for stdlib Python, not what SGN does.\n")

    # ---- ratio tables
    w("## sgn-cpp process mode against each baseline (frames/s ratio, same run)\n")
    w("Above 1× means sgn-cpp process mode is faster. Round trip: the worker answers each frame with a new 8-byte "
      "frame (forwarding the received chunk to another topic would cost one counted copy); python-sgn's worker "
      "sends the frame it got back, as SGN's transform workers do.\n")
    for mode in ("onehop", "roundtrip"):
        for touch in ("untouched", "touched"):
            w(f"**{'one hop' if mode == 'onehop' else 'round trip'}, payload {touch}**\n")
            w("| sgn-process vs | " + " | ".join(size_label(s) for s in sizes) + " |")
            w("| --- |" + " --- |" * len(sizes))
            for base in BASELINES:
                cells = [fmt_ratio(ratio(frames("sgn-process", mode, touch, s), frames(base, mode, touch, s)))
                         for s in sizes]
                if all(c == "–" for c in cells):
                    continue
                w(f"| {base} | " + " | ".join(cells) + " |")
            w("")

    # ---- raw tables
    w("## Transport measurements\n")
    w("frames/s and GB/s: throughput phase (a window of frames in flight, as the engine's credit window: "
      "min(100, chunks of that size / 4) with the default RouDi config; python-sgn as SGN does it: one frame in flight "
      "for the round trip, the queue's maxsize of 100 for one hop). Latency: a second phase with one frame "
      "at a time (sgn: frames paced far apart; baselines: strict ping-pong); one hop = send → arrival at the worker, "
      "round trip = send → answer back in main. CPU: all processes involved, per frame, over the throughput phase.\n")
    for mode in ("onehop", "roundtrip"):
        for touch in ("untouched", "touched"):
            w(f"### {'One hop' if mode == 'onehop' else 'Round trip'}, payload {touch}\n")
            w("| transport | metric | " + " | ".join(size_label(s) for s in sizes) + " |")
            w("| --- | --- |" + " --- |" * len(sizes))
            for impl in TRANSPORTS:
                for key, label in (("frames_per_s", "frames/s"), ("GB_per_s", "GB/s"), ("p50_us", "p50 µs"),
                                   ("p99_us", "p99 µs"), ("cpu_us_per_frame", "CPU µs/frame")):
                    cells = [fmt(get(transport, impl, mode, touch, s, key)) for s in sizes]
                    if all(c == "–" for c in cells):
                        continue
                    w(f"| {impl} | {label} | " + " | ".join(cells) + " |")
            if touch == "touched":
                w("| memcpy | GB/s | " + " | ".join(fmt(memcpy.get(s)) for s in sizes) + " |")
            w("")
    copies = sum(b.get("copies", 0) for k, b in transport.items() if k[0].startswith("sgn"))
    w(f"Payload copies counted by the engine over every sgn-cpp transport run: **{copies:.0f}**.\n")

    w("![throughput](throughput.svg)\n")

    # ---- pipeline
    if pipeline:
        w("## Pipeline: sine-source → N × (fir → stats-sink)\n")
        w("Fan-out: each of the N fir elements filters every frame (64 taps, 1 channel). fir-process: each fir in a "
          "worker process; fir-main: all in the main thread (the sequential reference). Msamples/s counts samples "
          "filtered by all firs together, over the wall time of run() (start-up included).\n")
        w("| fir placement | samples/frame | workers | Msamples/s | source frames/s | CPU s | wall s |")
        w("| --- | --- | --- | --- | --- | --- | --- |")
        for name, samples, workers, b in sorted(pipeline, key=lambda t: (t[0], t[1], t[2])):
            w(f"| {name} | {samples} | {workers} | {b['Msamples_per_s']:.1f} | {fmt(b['frames_per_s'])} | "
              f"{b['cpu_s_total']:.2f} | {b['elapsed_s']:.2f} |")
        w("")

    if idle:
        w("## Idle cost\n")
        w(f"sine-source (realtime, 10 frames/s) → fir (process) → stats-sink, measured over "
          f"{idle['real_time']:.1f} s after a warm-up: main {idle['main_pct']:.2f}%, worker process(es) "
          f"{idle['workers_pct']:.2f}%, RouDi {idle['roudi_pct']:.2f}%, total **{idle['total_pct']:.2f}% of one "
          f"core**.\n")

    if startup:
        w("## Start-up and shutdown (2 worker processes)\n")
        w("bench-source → bench-ack (process) → bench-ack (process) → bench-sink, one frame, in a fresh process; "
          "median of the runs. start-up: run() called → first frame at the sink; shutdown: last frame → run() "
          "returned; exit: run() returned → the process is gone (its parent sees it exit: a RouDi the engine started "
          "is stopped afterwards by its keeper, off the user's path); whole process: started → exited, including "
          "the private namespaces the run is measured in.\n")
        w("| RouDi | start-up ms | shutdown ms | exit ms | whole process ms | runs |")
        w("| --- | --- | --- | --- | --- | --- |")
        for key, label in (("roudi-started", "started by the engine"), ("roudi-attached", "already running")):
            b = startup.get(key)
            if b:
                w(f"| {label} | {b['startup_ms']:.1f} | {b['shutdown_ms']:.1f} | {b['exit_ms']:.1f} | "
                  f"{b['process_total_ms']:.1f} | {b['runs']:.0f} |")
        w("")

    stop = startup.get("liveness/stop-reaches-worker")
    death = startup.get("liveness/death-reaches-run")
    if stop or death:
        w("## Liveness\n")
        w("The supervisor thread of the main process, not its step loop, watches the workers and sends the "
          "commands. stop → worker: main is inside a sink that spends 1 s per frame, request_stop(), until the "
          "worker process (a source) has seen it (its element's finish() ran; target: the stop reaches it within "
          "10 ms), and until it has exited (adds its iceoryx unregistration and unmapping RouDi's segments). "
          "death → run(): a "
          "worker is SIGKILLed while main waits for a source paced at 2 frames/s, until run() has thrown "
          "(target: 100 ms). Medians and maxima of the runs (each row's own count).\n")
        w("| measure | p50 ms | max ms | runs | target met |")
        w("| --- | --- | --- | --- | --- |")
        if stop and 'stop_to_worker_finished_ms_p50' in stop:
            w(f"| stop → worker saw it | {stop['stop_to_worker_finished_ms_p50']:.2f} | "
              f"{stop['stop_to_worker_finished_ms_max']:.2f} | {stop['runs']:.0f} | "
              f"{'met' if stop['stop_to_worker_finished_ms_max'] <= 10 else 'missed'} |")
        if stop:
            w(f"| stop → worker exited | {stop['stop_to_worker_exit_ms_p50']:.2f} | "
              f"{stop['stop_to_worker_exit_ms_max']:.2f} | {stop['runs']:.0f} | "
              f"- |")
        if death:
            w(f"| worker death → run() threw | {death['death_to_run_threw_ms_p50']:.2f} | "
              f"{death['death_to_run_threw_ms_max']:.2f} | {death['runs']:.0f} | "
              f"{'met' if death['death_to_run_threw_ms_max'] <= 100 else 'missed'} |")
        w("")

    md.extend(elements_section(parse_elements(a.json)))
    md.extend(forwarding_section(parse_forwarding(a.json)))

    if errors:
        w("## Benchmarks that did not run\n")
        for name, msg in errors:
            w(f"- `{name}`: {msg}")
        w("")

    analysis = os.path.join(a.out_dir, "ANALYSIS.md")
    if os.path.exists(analysis):
        w(open(analysis).read())

    open(os.path.join(a.out_dir, "RESULTS.md"), "w").write("\n".join(md) + "\n")
    try:
        import matplotlib  # noqa: F401  (not installed here: the hand-written SVG is the fallback)
        have_mpl = True
    except ImportError:
        have_mpl = False
    if not sizes:
        return 0  # a run without transport benchmarks (a filtered one) has nothing to plot
    if have_mpl:
        plot_matplotlib(transport, memcpy, sizes, os.path.join(a.out_dir, "throughput.svg"))
    else:
        svg_plot(transport, memcpy, sizes, os.path.join(a.out_dir, "throughput.svg"))
    return 0


def plot_matplotlib(transport, memcpy, sizes, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    for ax, (mode, touch) in zip(axes.flat, [("onehop", "untouched"), ("onehop", "touched"),
                                             ("roundtrip", "untouched"), ("roundtrip", "touched")]):
        for impl in TRANSPORTS:
            pts = [(s, get(transport, impl, mode, touch, s, "GB_per_s")) for s in sizes]
            pts = [(s, v) for s, v in pts if v]
            if pts:
                ax.plot(*zip(*pts), marker="o", label=impl, color=COLORS[impl])
        if touch == "touched":
            pts = [(s, memcpy[s]) for s in sizes if memcpy.get(s)]
            if pts:
                ax.plot(*zip(*pts), linestyle="--", label="memcpy", color=COLORS["memcpy"])
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(("one hop" if mode == "onehop" else "round trip") + f", payload {touch}")
        ax.set_xlabel("frame bytes")
        ax.set_ylabel("GB/s")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    sys.exit(main())
