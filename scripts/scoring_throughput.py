"""Scoring throughput of the dense autoencoder through the Detector API, in beats per second.

Scores N beats (default 500,000: ECG5000 beats tiled, or random beats without a data file) in
large batches under ``torch.inference_mode``, after a warm-up run; repeats and reports the
median. Start-up (imports, loading, the warm-up) is not counted. The CPU time and the load
average are printed too: on a shared machine, other processes slow the wall clock. The process
is prepared as the console entry points prepare theirs (:func:`ecg_anomaly.cli.prepare_process`:
OpenMP's passive wait policy, glibc keeping freed memory).

Examples:
    python scripts/scoring_throughput.py
    python scripts/scoring_throughput.py --ckpt logs/train/runs/<run>/checkpoints/model.ckpt \
        --data ../shared/data/ecg5000/ecg.csv --beats 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from _machine import cpu_name

from ecg_anomaly.cli import prepare_process


def fresh_detector(seq_len: int) -> Any:
    """An untrained tutorial dense autoencoder (the speed does not depend on the weights)."""
    from ecg_anomaly.detector import Detector
    from ecg_anomaly.models import DenseAutoencoder

    model = DenseAutoencoder(seq_len=seq_len)
    model.post.set_thresholds(0.05)
    return Detector.from_model(model)


def make_beats(n: int, seq_len: int, data: str | None) -> Any:
    """``n`` beats (a NumPy array): the file's beats tiled, or uniform random values in [0, 1]."""
    import numpy as np

    if data:
        from ecg_anomaly.data.beatfiles import read_beats

        x = read_beats(data, seq_len=seq_len).x
        return np.ascontiguousarray(np.resize(x, (n, x.shape[1])))
    return np.random.default_rng(0).random((n, seq_len), dtype=np.float32)


def hardware() -> str:
    """CPU model, core count and torch threads, in one line."""
    import torch

    threads = torch.get_num_threads()
    return f"{cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__} with {threads} threads"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ckpt", help="checkpoint to load (default: a fresh dense autoencoder)")
    parser.add_argument("--data", help="beats to tile (default: random beats)")
    parser.add_argument("--beats", type=int, default=500_000, help="beats scored per run")
    parser.add_argument("--batch-size", type=int, default=16384, help="beats per forward pass")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (median reported)")
    parser.add_argument("--seq-len", type=int, default=140, help="beat length of a fresh model")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    args = parser.parse_args()

    prepare_process()  # as every console entry point does, before torch is imported
    import torch

    from ecg_anomaly.detector import load_detector

    if args.threads:
        torch.set_num_threads(args.threads)
    detector = load_detector(args.ckpt) if args.ckpt else fresh_detector(args.seq_len)
    detector.batch_size = args.batch_size
    beats = make_beats(args.beats, detector.seq_len, args.data)
    detector.predict(beats[: min(len(beats), 4 * args.batch_size)])  # warm-up

    seconds, cpu_seconds = [], []
    for _ in range(args.repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        flags = detector.predict(beats)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
    median = statistics.median(seconds)
    result = {
        "model": type(detector.model).__name__,
        "beats": len(beats),
        "batch_size": args.batch_size,
        "seconds_median": round(median, 4),
        "beats_per_second_median": round(len(beats) / median),
        "beats_per_second_runs": [round(len(beats) / s) for s in seconds],
        # CPU time of all threads: other processes on the machine slow the wall clock, not this
        "cpu_seconds_median": round(statistics.median(cpu_seconds), 4),
        "flagged": int(flags.sum()),
        "hardware": hardware(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
