"""Which beats of an unlabelled training span to train on: the dominant beat morphology.

Training an autoencoder on every beat of a patient's first minutes works while abnormal beats
are rare. A patient with frequent ectopic beats (bigeminy: every second beat) breaks it: the
uniform ectopic beats are learnt as well as the normal ones, reconstruct better than the more
variable normal beats, and the anomaly score inverts (measured in ``docs/recordings.md``).
``method="dominant"`` keeps only the dominant rhythm's beats:

1. premature beats (prematurity above ``max_prematurity``, see
   :func:`~ecg_anomaly.recordings.features.prematurity`) are set aside: ectopic beats come
   early, the dominant rhythm's beats do not, and this is what tells the two apart when they
   are equally many;
2. the rest are clustered by shape (average-linkage hierarchical clustering on the
   correlation distance ``1 - r``, cut at ``max_distance``);
3. the largest cluster is the dominant morphology.
"""

from __future__ import annotations

import warnings

import numpy as np

from ecg_anomaly.errors import ConfigError

METHODS = ("dominant", "all")
#: Beats more premature than this are not training candidates (10 % earlier than the rhythm).
MAX_PREMATURITY = 0.1
#: Clusters are cut at this correlation distance (``1 - r``).
MAX_DISTANCE = 0.3
#: At most this many beats are clustered; the others join the nearest cluster.
MAX_CLUSTERED = 2000


def dominant_cluster(
    x: np.ndarray, max_distance: float = MAX_DISTANCE, seed: int = 0
) -> np.ndarray:
    """Mask of the beats in the largest shape cluster of ``x`` (rows are beats).

    Args:
        x: Beats (or any per-beat shape vectors), shape ``(n, d)``.
        max_distance: Correlation distance at which the cluster tree is cut.
        seed: Seed of the subsample clustered when there are more than :data:`MAX_CLUSTERED`.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if n < 3:
        return np.ones(n, dtype=bool)
    pick = np.arange(n)
    if n > MAX_CLUSTERED:
        pick = np.sort(np.random.default_rng(seed).choice(n, MAX_CLUSTERED, replace=False))
    labels = fcluster(
        linkage(x[pick], method="average", metric="correlation"), max_distance, "distance"
    )
    sizes = np.bincount(labels)
    if n == len(pick):
        return labels == np.argmax(sizes)
    # Assign every beat to the cluster whose mean shape it correlates with best.
    z = _unit_rows(x)
    ids = np.unique(labels)
    centres = _unit_rows(np.stack([x[pick][labels == c].mean(0) for c in ids]))
    nearest = ids[np.argmax(z @ centres.T, axis=1)]
    return nearest == np.argmax(sizes)


def select_training_beats(
    x: np.ndarray,
    prematurity: np.ndarray | None = None,
    method: str = "dominant",
    max_prematurity: float = MAX_PREMATURITY,
    max_distance: float = MAX_DISTANCE,
) -> np.ndarray:
    """Mask of the beats to train on, from unlabelled beats.

    Args:
        x: Shape of each beat, ``(n, d)``: the cut beats, or better their fixed QRS windows
            (``RecordingBeats.qrs``), whose shape does not depend on the RR interval.
        prematurity: Prematurity of each beat (None: timing is not used, and with as many
            ectopic as normal beats the choice becomes a coin toss).
        method: ``"dominant"`` (see the module doc) or ``"all"`` (every beat).
        max_prematurity: Beats more premature than this are left out.
        max_distance: Correlation distance at which shape clusters are cut.

    Returns:
        Boolean mask of length ``n``.

    Raises:
        ConfigError: Unknown ``method``.
    """
    n = len(x)
    if method == "all":
        return np.ones(n, dtype=bool)
    if method != "dominant":
        msg = f"unknown training-beat selection {method!r}; choose one of {', '.join(METHODS)}"
        raise ConfigError(msg)
    candidates = np.ones(n, dtype=bool)
    if prematurity is not None:
        candidates = ~(np.asarray(prematurity) > max_prematurity)
        if candidates.sum() < max(3, n // 10):  # hardly any regular beat: timing cannot help
            candidates = np.ones(n, dtype=bool)
    keep = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(candidates)
    keep[idx[dominant_cluster(np.asarray(x)[idx], max_distance)]] = True
    if n and keep.sum() < 0.3 * n:
        warnings.warn(
            f"the dominant beat shape covers only {keep.sum()} of {n} training beats; the "
            "training span may be noisy or hold several rhythms",
            stacklevel=2,
        )
    return keep


def _unit_rows(x: np.ndarray) -> np.ndarray:
    c = x - x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(c, axis=1, keepdims=True)
    return c / np.where(norm > 0, norm, 1.0)
