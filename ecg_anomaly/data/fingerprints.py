"""Fingerprints of beats: tell, without the data, whether a beat is one a model was trained on.

A checkpoint carries one fingerprint per training beat (see
:meth:`~ecg_anomaly.data.ECG5000DataModule.state_dict`), so eval and predict can say when they
are given training beats, whatever file they come in.
"""

from __future__ import annotations

import hashlib

import numpy as np


def beat_fingerprints(x: np.ndarray) -> np.ndarray:
    """A 63-bit hash of each beat's float32 values: equal beats, equal fingerprints.

    Args:
        x: Beats ``(n, seq_len)``.

    Returns:
        int64 fingerprints ``(n,)``.
    """
    rows = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        digest = hashlib.blake2b(row.tobytes(), digest_size=8).digest()
        out[i] = int.from_bytes(digest, "little") >> 1
    return out


def training_beats_among(x: np.ndarray, fingerprints: np.ndarray | None) -> int | None:
    """How many of the beats ``x`` are training beats (None: the checkpoint holds no record).

    Args:
        x: Beats ``(n, seq_len)``.
        fingerprints: A checkpoint's training-beat fingerprints, or None.
    """
    if fingerprints is None:
        return None
    return int(np.isin(beat_fingerprints(x), fingerprints).sum())
