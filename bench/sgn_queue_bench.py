#!/usr/bin/env python3
"""SGN's transport, as a baseline for sgn-bench: frames of pickled bytes through
multiprocessing.Queue, main -> worker (one hop) or main -> worker -> main (round
trip, the worker answering with a small tuple). Standard library only.

Phase 1 (throughput) keeps at most --window frames in flight; phase 2 (latency)
sends one frame at a time. Prints one line:
    frames seconds cpu_seconds p50_us p99_us
"""

import argparse
import multiprocessing as mp
import resource
import sys
import time

EOS, ACK, PHASE2 = 1, 2, 4


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def cpu_self():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def quantile(values, q):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def worker(inq, outq, touch):
    first = last = None
    cpu_first = cpu_phase1 = None
    frames = 0
    latency = []
    while True:
        seq, ts, flags, payload = inq.get()
        t = now_ns()
        if flags & EOS:
            break
        if flags & PHASE2:
            if cpu_phase1 is None:
                cpu_phase1 = cpu_self() - cpu_first
            latency.append(t - ts)
        else:
            if first is None:
                first, cpu_first = t, cpu_self()
            last = t
            frames += 1
        if touch:
            payload.count(0)  # reads every byte
        if flags & ACK:
            outq.put((seq, ts))
    if cpu_phase1 is None:
        cpu_phase1 = cpu_self() - cpu_first
    outq.put(("done", first, last, cpu_phase1, latency, frames))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["onehop", "roundtrip"], required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--frames", type=int, required=True)
    ap.add_argument("--latency-frames", type=int, default=100)
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--touch", action="store_true")
    a = ap.parse_args()
    round_trip = a.mode == "roundtrip"

    inq = mp.Queue(maxsize=a.window)
    outq = mp.Queue()
    proc = mp.Process(target=worker, args=(inq, outq, a.touch))
    proc.start()
    untouched = bytes(a.size)

    def payload(seq):
        # Touched: a new object with every byte written; untouched: the same object.
        return bytes(((seq & 0xFF) | 1,)) * a.size if a.touch else untouched

    cpu0 = cpu_self()
    t0 = now_ns()
    acked = 0
    flags = ACK if round_trip else 0
    for seq in range(a.frames):
        if round_trip:
            while seq - acked >= a.window:
                outq.get()
                acked += 1
        body = payload(seq)
        inq.put((seq, now_ns(), flags, body))
    while round_trip and acked < a.frames:
        outq.get()
        acked += 1
    t_last = now_ns()
    cpu_main = cpu_self() - cpu0

    latency = []
    for i in range(a.latency_frames):
        body = payload(i)
        inq.put((a.frames + i, now_ns(), ACK | PHASE2, body))
        _, ts = outq.get()
        latency.append(now_ns() - ts)
    inq.put((0, 0, EOS, b""))
    done = outq.get()
    proc.join()
    _, first, last, cpu_worker, worker_latency, frames = done
    if not round_trip:
        t_last = last
        latency = worker_latency
    seconds = (t_last - t0) / 1e9
    print(frames, f"{seconds:.9f}", f"{cpu_main + cpu_worker:.6f}",
          f"{quantile(latency, 0.5) / 1000:.3f}", f"{quantile(latency, 0.99) / 1000:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
