#!/usr/bin/env python3
"""Python baselines for sgn-bench: frames of pickled objects through multiprocessing.Queue,
main -> worker (one hop) or main -> worker -> main (round trip). Standard library only.

--pattern queue (python-mpq): bare (seq, ts, flags, payload) tuples, up to --window
    frames in flight; the worker answers a round trip with a small tuple. A best case
    for Python.
--pattern sgn (python-sgn): SGN's Parallelize elements. A Frame dataclass (data, EOS,
    is_gap, metadata) is pickled; the worker polls with get(timeout=0.1). Round trip as
    ParallelizeTransformElement: pull() puts the frame, new() blocks on the output
    queue, so one frame is in flight per pipeline iteration, and the worker sends the
    whole frame back. One hop as ParallelizeSinkElement: (pad_name, frame) tuples into
    a worker that only consumes, pipelined by the queues' maxsize (--window, SGN's
    queue_maxsize).

Touched: the producer writes a fresh payload each frame and the worker reads every byte.
Phase 1 (throughput) as above; phase 2 (latency) sends one frame at a time, after
the worker has drained phase 1. Prints one line:
    frames seconds cpu_seconds p50_us p99_us
"""

import argparse
import multiprocessing as mp
import queue
import resource
import sys
import time
from dataclasses import dataclass, field

EOS, ACK, PHASE2, SYNC = 1, 2, 4, 8


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


class QueuePattern:
    """Bare multiprocessing.Queue: tuples, a window of frames in flight, small answers."""

    def __init__(self, round_trip, window):
        self.in_flight = window
        self.inq = mp.Queue(maxsize=window)
        self.outq = mp.Queue()

    def wrap(self, seq, ts, flags, body):
        return (seq, ts, flags, body)

    def unwrap(self, msg):
        return msg

    def answer(self, msg):
        return msg[:2]

    def get(self):
        return self.inq.get()


@dataclass
class Frame:
    """The fields of sgn.frames.Frame."""
    data: object = None
    EOS: bool = False
    is_gap: bool = False
    metadata: dict = field(default_factory=dict)


class SgnPattern:
    """SGN's ParallelizeTransformElement (round trip) / ParallelizeSinkElement (one hop)."""
    PAD = "snk:snk:in"

    def __init__(self, round_trip, window):
        self.round_trip = round_trip
        self.in_flight = 1  # pull() puts, new() waits for the answer
        self.inq = mp.Queue(maxsize=window)
        self.outq = mp.Queue(maxsize=window)

    def wrap(self, seq, ts, flags, body):
        frame = Frame(data=body, EOS=bool(flags & EOS), metadata={"seq": seq, "ts": ts, "flags": flags})
        return frame if self.round_trip else (self.PAD, frame)

    def unwrap(self, msg):
        frame = msg if self.round_trip else msg[1]
        m = frame.metadata
        return m["seq"], m["ts"], m["flags"], frame.data

    def answer(self, msg):
        # The transform's output is the frame, payload included; a sink answers only in
        # the latency phase (measurement scaffolding, after the arrival time is taken).
        return msg if self.round_trip else self.unwrap(msg)[:2]

    def get(self):
        while True:
            try:
                return self.inq.get(timeout=0.1)
            except queue.Empty:
                continue


PATTERNS = {"queue": QueuePattern, "sgn": SgnPattern}


def worker(pattern, touch):
    first = last = None
    cpu_first = cpu_phase1 = None
    frames = 0
    latency = []
    while True:
        msg = pattern.get()
        t = now_ns()
        seq, ts, flags, payload = pattern.unwrap(msg)
        if flags & EOS:
            break
        if flags & SYNC:
            pass  # one hop: answered once the phase-1 backlog is drained; counts in neither phase
        elif flags & PHASE2:
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
            pattern.outq.put(pattern.answer(msg))
    if cpu_phase1 is None:
        cpu_phase1 = cpu_self() - cpu_first
    pattern.outq.put(("done", first, last, cpu_phase1, latency, frames))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pattern", choices=sorted(PATTERNS), default="queue")
    ap.add_argument("--mode", choices=["onehop", "roundtrip"], required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--frames", type=int, required=True)
    ap.add_argument("--latency-frames", type=int, default=100)
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--touch", action="store_true")
    a = ap.parse_args()
    round_trip = a.mode == "roundtrip"

    pattern = PATTERNS[a.pattern](round_trip, a.window)
    proc = mp.Process(target=worker, args=(pattern, a.touch))
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
            while seq - acked >= pattern.in_flight:
                pattern.outq.get()
                acked += 1
        body = payload(seq)
        pattern.inq.put(pattern.wrap(seq, now_ns(), flags, body))
    while round_trip and acked < a.frames:
        pattern.outq.get()
        acked += 1
    t_last = now_ns()
    cpu_main = cpu_self() - cpu0

    if not round_trip:
        # Phase-1 frames may still be queued: the first latency frame would wait behind them.
        pattern.inq.put(pattern.wrap(a.frames, now_ns(), ACK | SYNC, b""))
        pattern.outq.get()
    latency = []
    for i in range(a.latency_frames):
        body = payload(i)
        ts = now_ns()
        pattern.inq.put(pattern.wrap(a.frames + i, ts, ACK | PHASE2, body))
        pattern.outq.get()
        latency.append(now_ns() - ts)
    pattern.inq.put(pattern.wrap(0, 0, EOS, b""))
    done = pattern.outq.get()
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
