"""How clean the beats chosen for patient-specific training are, record by record.

For every record of a WFDB database folder (its ``RECORDS`` file), the beats of the first
``--minutes`` are chosen the way ``data=recording data.training_beats=dominant`` chooses them
(:func:`~ecg_anomaly.recordings.selection.select_training_beats`, no labels used), then
compared with the reference annotations: how many beats the span has, how many are chosen,
how many of those are annotated abnormal (any AAMI class but N) and how many no annotation
matches (label -1). Records with paced beats (annotation ``/``) are reported apart, as the
AAMI protocol leaves them out.

Extracted beats are cached (``--cache``, keyed by the record, sampling rate, channel and the
source of the beat-extraction code), so a second run only re-runs the selection.

    python scripts/training_beats_benchmark.py --db ../shared/data/mitdb
    python scripts/training_beats_benchmark.py --db ../shared/data/mitdb --fs 128 --worst 5
    python scripts/training_beats_benchmark.py --db ../shared/data/mitdb --records 208 232
    # shape and timing rules one by one (see --help), e.g. no shape cuts, no pause rule:
    python scripts/training_beats_benchmark.py --db ../shared/data/mitdb --max-spread none \
        --max-toward none --max-pause inf
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from ecg_anomaly.recordings.selection import (
    MAX_PAUSE,
    MAX_PREMATURITY,
    MAX_SPREAD,
    MAX_TOWARD,
    RHYTHM_QUANTILE,
)

ROOT = Path(__file__).resolve().parents[1]
#: Sources whose change makes cached beats stale.
EXTRACTION_SOURCES = ("peaks.py", "extract.py", "segment.py", "features.py", "io.py", "formats.py")
#: Per-beat arrays cached.
FIELDS = (
    "qrs",
    "time",
    "rr_prev",
    "rr_next",
    "prematurity",
    "label",
    "aami",
    "symbol",
)
#: Annotation symbol of a paced beat.
PACED = "/"


def _code_key() -> str:
    digest = hashlib.sha1(" ".join(FIELDS).encode())
    for name in EXTRACTION_SOURCES:
        digest.update((ROOT / "ecg_anomaly" / "recordings" / name).read_bytes())
    return digest.hexdigest()[:10]


def load_beats(
    record: Path, fs: float | None = None, channel: str | None = None, cache: Path | None = None
) -> dict[str, np.ndarray]:
    """The beats of one whole record as arrays (``FIELDS``, plus ``paced`` and ``fs``).

    Args:
        record: WFDB record path without extension.
        fs: Resample to this rate first (``scipy.signal.resample_poly``, annotations rescaled);
            None keeps the record's own rate.
        channel: Channel read (None: the reader's default, MLII or the first).
        cache: Folder of cached results (None: no cache).
    """
    path = None
    if cache is not None:
        name = f"{record.parent.name}-{record.name}-{fs or 'native'}-{channel}-{_code_key()}.npz"
        path = cache / name
        if path.is_file():
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
    from scipy.signal import resample_poly

    from ecg_anomaly.recordings.extract import extract_beats
    from ecg_anomaly.recordings.io import read_recording, recording_from_array

    recording = read_recording(record, channel=channel)
    if fs is not None and not np.isclose(fs, recording.fs):
        ratio = Fraction(fs / recording.fs).limit_denominator(1000)
        signal = resample_poly(recording.signal, ratio.numerator, ratio.denominator)
        annotations = recording.annotations
        if annotations is not None:
            annotations = annotations.rescaled(float(ratio))
        recording = recording_from_array(signal, float(fs), annotations, recording.channel)
    beats = extract_beats(recording, window="centred")
    out = {k: np.asarray(getattr(beats, k)) for k in FIELDS}
    symbols = () if recording.annotations is None else recording.annotations.symbol
    out["paced"] = np.array(PACED in set(symbols.tolist()))
    out["fs"] = np.array(recording.fs)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.npz")
        np.savez(tmp, **out)
        tmp.replace(path)
    return out


def span_of(beats: dict[str, np.ndarray], minutes: float) -> dict[str, np.ndarray]:
    """The beats of the first ``minutes`` (the training span)."""
    span = beats["time"] < 60.0 * minutes
    return {k: (v[span] if v.ndim and len(v) == len(span) else v) for k, v in beats.items()}


def choose(beats: dict[str, np.ndarray], **settings: float | None) -> np.ndarray:
    """The training beats the project's selection chooses among ``beats`` (a span).

    Args:
        beats: The span's arrays.
        **settings: Keyword arguments of ``select_training_beats`` (``max_spread`` ...).
    """
    from ecg_anomaly.recordings.selection import select_training_beats

    return select_training_beats(
        beats["qrs"], rr_prev=beats["rr_prev"], rr_next=beats["rr_next"], **settings
    )


def summarise(name: str, beats: dict[str, np.ndarray], keep: np.ndarray) -> dict:
    """One table row: span beats, chosen, abnormal and unmatched among the chosen."""
    label, aami = beats["label"][keep], beats["aami"][keep]
    classes = {c: int((aami == c).sum()) for c in "SVFQ" if (aami == c).any()}
    n, chosen = len(keep), int(keep.sum())
    abnormal = int((label == 1).sum())
    return {
        "record": name,
        "paced": bool(beats["paced"]),
        "span": n,
        "span_abnormal": int((beats["label"] == 1).sum()),
        "chosen": chosen,
        "chosen_share": chosen / n if n else 0.0,
        "abnormal": abnormal,
        "abnormal_share": abnormal / chosen if chosen else 0.0,
        "classes": " ".join(f"{c}{k}" for c, k in classes.items()),
        "unmatched": int((label == -1).sum()),
        "normal_kept": chosen - abnormal - int((label == -1).sum()),
        "span_normal": int((beats["label"] == 0).sum()),
    }


HEADER = (
    "| record | span beats | span abnormal | chosen | chosen % | abnormal chosen | abnormal % "
    "| classes | unmatched chosen | normal kept % |"
)


def row(r: dict) -> str:
    normal_kept = r["normal_kept"] / r["span_normal"] if r["span_normal"] else 0.0
    return (
        f"| {r['record']} | {r['span']} | {r['span_abnormal']} | {r['chosen']} "
        f"| {100 * r['chosen_share']:.0f} | {r['abnormal']} | {100 * r['abnormal_share']:.2f} "
        f"| {r['classes']} | {r['unmatched']} | {100 * normal_kept:.0f} |"
    )


def report(rows: list[dict], title: str, worst: int) -> None:
    """Totals and the worst records of one group of rows."""
    if not rows:
        return
    chosen = sum(r["chosen"] for r in rows)
    abnormal = sum(r["abnormal"] for r in rows)
    unmatched = sum(r["unmatched"] for r in rows)
    over = [r["record"] for r in rows if r["abnormal_share"] > 0.01]
    shares = np.array([r["chosen_share"] for r in rows])
    print(f"\n{title}: {len(rows)} records")
    print(
        f"  chosen {chosen} of {sum(r['span'] for r in rows)} span beats; abnormal among chosen "
        f"{abnormal} ({100 * abnormal / max(chosen, 1):.2f} %), unmatched {unmatched}"
    )
    print(
        f"  share of the span chosen: median {100 * np.median(shares):.0f} %, "
        f"min {100 * shares.min():.0f} % ({rows[int(np.argmin(shares))]['record']})"
    )
    print(f"  records above 1 % abnormal: {len(over)} {' '.join(over)}")
    print(f"  worst {worst} by abnormal share:")
    print(HEADER)
    print("|---" * 10 + "|")
    for r in sorted(rows, key=lambda r: (-r["abnormal_share"], -r["abnormal"]))[:worst]:
        print(row(r))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="WFDB folder with a RECORDS file")
    parser.add_argument("--minutes", type=float, default=5.0, help="training span (minutes)")
    parser.add_argument("--fs", type=float, default=None, help="resample to this rate first")
    parser.add_argument("--channel", default=None, help="default: MLII or the first channel")
    parser.add_argument("--records", nargs="*", default=None, help="default: all of RECORDS")
    parser.add_argument("--worst", type=int, default=10)
    parser.add_argument(
        "--max-spread",
        type=lambda v: None if v == "none" else float(v),
        default=MAX_SPREAD,
        help="typical-shape cut in robust SDs ('none': the whole dominant cluster)",
    )
    parser.add_argument(
        "--max-toward",
        type=lambda v: None if v == "none" else float(v),
        default=MAX_TOWARD,
        help="cut towards other shape clusters in robust SDs ('none': no such cut)",
    )
    parser.add_argument("--max-pause", type=float, default=MAX_PAUSE, help="'inf': no pause rule")
    parser.add_argument("--max-prematurity", type=float, default=MAX_PREMATURITY)
    parser.add_argument("--rhythm-quantile", type=float, default=RHYTHM_QUANTILE)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "ecg-anomaly-beats"
    )
    args = parser.parse_args()

    names = args.records or (args.db / "RECORDS").read_text().split()
    rows = []
    print(HEADER)
    print("|---" * 10 + "|")
    for name in names:
        beats = span_of(load_beats(args.db / name, args.fs, args.channel, args.cache), args.minutes)
        keep = choose(
            beats,
            max_spread=args.max_spread,
            max_toward=args.max_toward,
            max_pause=args.max_pause,
            max_prematurity=args.max_prematurity,
            rhythm_quantile=args.rhythm_quantile,
        )
        r = summarise(name, beats, keep)
        rows.append(r)
        print(row(r) + (" paced" if r["paced"] else ""), flush=True)
    report([r for r in rows if not r["paced"]], "Records without paced beats", args.worst)
    report([r for r in rows if r["paced"]], "Paced records", args.worst)


if __name__ == "__main__":
    main()
