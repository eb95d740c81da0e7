"""Seconds per stage of analysing one recording: read, find beats, cut them, score them.

Imports (neurokit2, torch) are timed apart and left out of the stages. Each stage runs
``--repeat`` times on the same input; the median is printed with the machine's CPU and the
number of threads torch and the BLAS may use.

    python scripts/recordings_benchmark.py                     # MIT-BIH record 100
    python scripts/recordings_benchmark.py --record x.csv --fs 250 --ckpt model.ckpt
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from _machine import cpu_name

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MITDB = Path(os.environ.get("ECG_ANOMALY_MITDB", SHARED / "mitdb"))


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", default=str(MITDB / "100"))
    parser.add_argument("--fs", type=float, default=None)
    parser.add_argument("--channel", default=None)
    parser.add_argument("--ckpt", type=Path, default=None, help="default: an untrained dense AE")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    import neurokit2  # noqa: F401
    import torch

    from ecg_anomaly.recordings.extract import extract_beats
    from ecg_anomaly.recordings.features import prematurity, rr_intervals
    from ecg_anomaly.recordings.io import read_recording
    from ecg_anomaly.recordings.peaks import detect_peaks
    from ecg_anomaly.recordings.segment import cut_beats

    imports = time.perf_counter() - t0
    if args.ckpt is not None:
        from ecg_anomaly.detector import load_detector

        detector = load_detector(args.ckpt)
        score = detector.decision_function
    else:
        from ecg_anomaly.models.dense_ae import DenseAutoencoder

        model = DenseAutoencoder().eval()

        def score(x):
            with torch.inference_mode():
                return model.score(torch.from_numpy(x)).numpy()

    rec, t_read = timed(lambda: read_recording(args.record, args.fs, args.channel), args.repeat)
    peaks, t_peaks = timed(lambda: detect_peaks(rec.signal, rec.fs), args.repeat)

    def cut():
        rr_prev, _ = rr_intervals(peaks.position, rec.fs)
        prematurity(rr_prev)
        return cut_beats(peaks.clean, peaks.position, rec.fs, peaks.polarity)

    segments, t_cut = timed(cut, args.repeat)
    _, t_score = timed(lambda: score(segments.x), args.repeat)
    beats, t_all = timed(lambda: extract_beats(rec), args.repeat)

    print(f"CPU: {cpu_name()} ({os.cpu_count()} logical cores visible)")
    print(
        f"threads: torch {torch.get_num_threads()}, OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )
    print(
        f"record: {args.record}, {rec.duration_s / 60:.1f} min at {rec.fs:g} Hz, {len(beats)} beats"
    )
    print(f"imports (once, not counted): {imports:.2f} s")
    print(f"median of {args.repeat} runs:")
    print("| stage | seconds |")
    print("|---|---|")
    for name, t in [
        ("read", t_read),
        ("find beats (detect_peaks)", t_peaks),
        ("cut beats + RR features", t_cut),
        ("score (dense AE)", t_score),
        ("read + find + cut + score", t_read + t_peaks + t_cut + t_score),
        ("extract_beats (find + cut + annotations)", t_all),
    ]:
        print(f"| {name} | {t:.3f} |")


if __name__ == "__main__":
    main()
