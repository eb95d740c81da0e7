"""WFDB interoperability: wfdb's ``Record`` and ``Annotation`` objects in, annotations out.

:func:`recording_from_wfdb` turns what ``wfdb.rdrecord`` / ``wfdb.rdann`` return into a
:class:`~ecg_anomaly.recordings.io.Recording`, so ``Detector.detect`` takes them as they are.
:func:`write_flag_annotations` writes the flagged beats so WFDB viewers and
``wfdb.rdann`` show them. The file is ``<record>.flag`` in the run folder (annotator ``flag``):
one annotation per flagged beat, at its R peak, with the beat's type as its symbol (``V``
ventricular, ``S`` supraventricular, as the timing term types it; ``Q``, unclassified, for a
flag it leaves untyped or any flag of a model that scores by shape only) and its score as the
auxiliary note (``score=1.234``). Read it back with ``wfdb.rdann("<run>/<record>", "flag")``;
open it beside the record in a WFDB viewer by copying it next to the record's ``.hea``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ecg_anomaly.errors import DataFormatError

#: The annotator name (the file's extension).
ANNOTATOR = "flag"


def annotations_from(annotations: Any) -> Any:
    """Our :class:`~ecg_anomaly.recordings.annotations.Annotations` from wfdb's, or as given."""
    from ecg_anomaly.recordings.annotations import Annotations

    if annotations is None or isinstance(annotations, Annotations):
        return annotations
    if hasattr(annotations, "sample") and hasattr(annotations, "symbol"):
        return Annotations(np.asarray(annotations.sample), np.asarray(annotations.symbol, str))
    msg = (
        f"annotations: expected a wfdb.Annotation (wfdb.rdann) or ecg_anomaly's Annotations, "
        f"got {type(annotations).__name__}"
    )
    raise DataFormatError(msg)


def recording_from_wfdb(record: Any, annotations: Any = None, channel: str | int | None = None):
    """A :class:`~ecg_anomaly.recordings.io.Recording` from a ``wfdb.Record`` (one channel).

    Args:
        record: What ``wfdb.rdrecord`` returns (physical signal ``p_signal``).
        annotations: A ``wfdb.Annotation`` or ours, or None.
        channel: Channel name or 0-based index (default: ``MLII`` if present, else the first).
    """
    from ecg_anomaly.recordings.formats import pick_channel
    from ecg_anomaly.recordings.io import recording_from_array

    if getattr(record, "p_signal", None) is None:
        msg = "the wfdb Record holds no physical signal (p_signal): read it with physical=True"
        raise DataFormatError(msg)
    names = tuple(str(n) for n in (record.sig_name or []))
    index = pick_channel(names, channel, str(getattr(record, "record_name", "the record")))
    return recording_from_array(
        record.p_signal[:, index],
        float(record.fs),
        annotations=annotations_from(annotations),
        channel=names[index],
        source=str(getattr(record, "record_name", "the record")),
        units=(record.units or [""] * len(names))[index] or "",
    )


def write_flag_annotations(out_dir: Path, record: str, beats: Any, fs: float) -> Path | None:
    """Write ``<out_dir>/<record>.flag`` from the per-beat table (``sample``, ``flag``, ...).

    Args:
        out_dir: The run folder.
        record: The record's name (the file's stem).
        beats: The per-beat table (``beats.csv`` as a DataFrame).
        fs: The record's sampling rate.

    Returns:
        The annotation file (written atomically: a temporary folder, then renamed); None when
        no beat is flagged (WFDB has no empty annotation file).
    """
    import wfdb

    from ecg_anomaly.recordings.formats import quiet_wfdb

    flagged = beats[beats["flag"] == 1]
    if flagged.empty:
        return None
    types = flagged["type"].to_numpy() if "type" in flagged else np.full(len(flagged), "")
    symbols = [t if t else "Q" for t in types]
    notes = [f"score={s:.4g}" for s in flagged["score"].to_numpy()]
    target = Path(out_dir) / f"{record}.{ANNOTATOR}"
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".wfdb-") as tmp, quiet_wfdb():
        wfdb.wrann(
            record,
            ANNOTATOR,
            np.asarray(flagged["sample"], dtype=np.int64),
            symbol=symbols,
            aux_note=notes,
            fs=fs,
            write_dir=tmp,
        )
        shutil.move(os.path.join(tmp, target.name), target)
    return target
