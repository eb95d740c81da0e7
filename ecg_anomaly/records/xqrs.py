"""wfdb's ``xqrs`` R-peak detector on a database's records: a reference for our beat detection.

Measured the same way as ours (:func:`~ecg_anomaly.recordings.matching.match_beats`, EC57's
150 ms window, on the same channel read by :func:`~ecg_anomaly.recordings.io.read_recording`).
``xqrs`` takes about 9 s per 30-minute record (ten times our detection), so the counts are kept
in a CSV file and a rerun measures only the records it lacks.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def xqrs_counts(path: str | os.PathLike, channel: str | None = None) -> dict[str, Any]:
    """TP, FN and FP of ``wfdb.processing.xqrs_detect`` on one annotated record."""
    from wfdb.processing import xqrs_detect

    from ecg_anomaly.recordings.io import read_recording
    from ecg_anomaly.recordings.matching import match_beats

    recording = read_recording(path, channel=channel)
    if recording.annotations is None:
        return {"record": Path(path).name, "tp": None, "fn": None, "fp": None}
    found = xqrs_detect(recording.signal, recording.fs, verbose=False)
    match = match_beats(found, recording.annotations.beats().sample, recording.fs)
    return {"record": Path(path).name, "tp": match.tp, "fn": match.fn, "fp": match.fp}


def xqrs_table(
    db: str | os.PathLike,
    records: Sequence[str],
    cache: str | os.PathLike,
    *,
    channel: str | None = None,
    jobs: int = 2,
) -> Any:
    """Counts of every record (a DataFrame), measured where ``cache`` (a CSV) lacks them."""
    import pandas as pd
    from joblib import Parallel, delayed

    cache = Path(cache)
    known = pd.read_csv(cache, dtype={"record": str}) if cache.is_file() else None
    done = set() if known is None else set(known["record"])
    todo = [r for r in records if Path(r).name not in done]
    if todo:
        new = Parallel(n_jobs=jobs)(delayed(xqrs_counts)(Path(db) / r, channel) for r in todo)
        known = pd.concat([known, pd.DataFrame(new)], ignore_index=True)
        known.to_csv(cache, index=False)
    names = {Path(r).name for r in records}
    return known[known["record"].isin(names)].reset_index(drop=True)


def xqrs_gross(table: Any) -> dict[str, Any]:
    """Se and +P of the summed counts, and the number of records."""
    scored = table.dropna(subset=["tp"])
    tp, fn, fp = (int(scored[k].sum()) for k in ("tp", "fn", "fp"))
    return {
        "records": len(scored),
        "tp": tp,
        "fn": fn,
        "fp": fp,
        "sensitivity": tp / (tp + fn) if tp + fn else float("nan"),
        "ppv": tp / (tp + fp) if tp + fp else float("nan"),
    }
