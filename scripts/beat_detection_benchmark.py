"""Beat detection scored as ANSI/AAMI EC57 scores it, on every record of a WFDB database.

For each record listed in ``DIR/RECORDS``: one channel (the first by default) at the header's
sampling rate, or resampled to each ``--fs`` (``scipy.signal.resample_poly``, annotation
samples rescaled); beats found by :func:`ecg_anomaly.recordings.peaks.detect_peaks` and
matched to the annotated beats with the 150 ms window. Prints per record TP, FN, FP, Se, +P,
the seconds detection took, the plausibility measures and warnings, then the gross figures
(TP, FN and FP summed over records), the missed beats per annotation symbol and the time.

    python scripts/beat_detection_benchmark.py --db ../shared/data/mitdb
    python scripts/beat_detection_benchmark.py --db ../shared/data/mitdb --fs 128 250 500
    python scripts/beat_detection_benchmark.py --db DIR --records 105 208 --channel 1
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
from _machine import cpu_name


def resampled(signal: np.ndarray, fs: float, target: float) -> np.ndarray:
    """``signal`` resampled from ``fs`` to ``target`` Hz (polyphase, as the docs measure)."""
    from scipy.signal import resample_poly

    ratio = Fraction(target / fs).limit_denominator(1000)
    return resample_poly(signal, ratio.numerator, ratio.denominator)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="folder with a RECORDS file")
    parser.add_argument("--records", nargs="+", default=None, help="default: all in RECORDS")
    parser.add_argument(
        "--fs", type=float, nargs="+", default=[None], help="resample to these rates (Hz)"
    )
    parser.add_argument("--channel", default="0", help="channel name or 0-based index")
    parser.add_argument("--annotator", default="atr")
    parser.add_argument("--save", type=Path, default=None, help="write each record's beats here")
    args = parser.parse_args()

    from ecg_anomaly.recordings.io import read_recording
    from ecg_anomaly.recordings.matching import match_beats
    from ecg_anomaly.recordings.peaks import detect_peaks

    names = args.records or (args.db / "RECORDS").read_text().split()
    recordings = [
        read_recording(args.db / n, channel=args.channel, annotator=args.annotator) for n in names
    ]
    print(
        f"{args.db}: {len(names)} records, channel {args.channel}; CPU {cpu_name()}, "
        f"{os.cpu_count()} cores, one process, one thread"
    )
    for target in args.fs:
        totals, missed, seconds, cpu = Counter(), Counter(), 0.0, 0.0
        print(f"\n## {'header rate' if target is None else f'{target:g} Hz'}\n")
        print(
            "| record | fs | beats | TP | FN | FP | Se | +P | seconds | contrast | shape % "
            "| warnings |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for name, rec in zip(names, recordings, strict=True):
            reference = rec.annotations.beats()
            fs, signal = rec.fs, rec.signal
            if target is not None and target != fs:
                signal, fs = resampled(signal, fs, target), target
                reference = reference.rescaled(target / rec.fs)
            t0, c0 = time.perf_counter(), time.process_time()
            peaks = detect_peaks(signal, fs)
            took = time.perf_counter() - t0
            seconds += took
            cpu += time.process_time() - c0
            m = match_beats(peaks.sample, reference.sample, fs)
            totals.update(tp=m.tp, fn=m.fn, fp=m.fp)
            found = np.zeros(len(reference), dtype=bool)
            found[m.pairs[:, 1]] = True
            missed.update(reference.symbol[~found].tolist())
            if args.save is not None:
                args.save.mkdir(parents=True, exist_ok=True)
                np.savez(
                    args.save / f"{name}_{fs:g}.npz",
                    sample=peaks.sample,
                    votes=peaks.votes,
                    reference=reference.sample,
                    symbol=reference.symbol,
                    fs=fs,
                )
            print(
                f"| {name} | {fs:g} | {len(reference)} | {m.tp} | {m.fn} | {m.fp} "
                f"| {100 * m.sensitivity:.2f} | {100 * m.ppv:.2f} | {took:.2f} "
                f"| {peaks.quality['contrast']:.1f} | {100 * peaks.quality['shape_share']:.0f} "
                f"| {'; '.join(peaks.warnings)} |"
            )
        tp, fn, fp = totals["tp"], totals["fn"], totals["fp"]
        se, ppv = tp / max(tp + fn, 1), tp / max(tp + fp, 1)
        print(
            f"\ngross: TP {tp}, FN {fn}, FP {fp}, Se {100 * se:.2f} %, +P {100 * ppv:.2f} %; "
            f"detection {seconds:.1f} s wall, {cpu:.1f} s CPU for {len(names)} records"
        )
        print("missed beats by symbol: " + ", ".join(f"{s} {k}" for s, k in missed.most_common()))


if __name__ == "__main__":
    main()
