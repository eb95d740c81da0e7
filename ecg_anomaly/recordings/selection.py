"""Which beats of an unlabelled training span to train on: the dominant rhythm's typical beats.

Training an autoencoder on every beat of a patient's first minutes works while abnormal beats
are rare. A patient with frequent ectopic beats (bigeminy: every second beat) breaks it: the
uniform ectopic beats are learnt as well as the normal ones, reconstruct better than the more
variable normal beats, and the anomaly score inverts (measured in ``docs/recordings.md``).
``method="dominant"`` keeps only the dominant rhythm's typical beats, with no labels:

1. **Timing.** Beats that come early (more than ``max_prematurity`` = 20 % earlier than the
   rhythm, taken as the 90th percentile of the 33 RR intervals around the beat, see
   :func:`rhythm_prematurity`) and beats followed by a pause (the next RR interval more than
   ``1 + max_pause`` times the previous one: the compensatory pause after an ectopic beat) are
   set aside. Ectopic beats come early and are followed by a pause, the dominant rhythm's beats
   are neither; this is what tells the two apart when they are equally many, or when the
   ectopic beats are the majority (the rhythm is the slow one, not the common one).
2. **Shape.** The rest are clustered by shape (average-linkage hierarchical clustering on the
   correlation distance ``1 - r``, cut at ``max_distance``); the largest cluster is the
   dominant morphology.
3. **Typical shape.** That cut is loose (it must hold a noisy patient's normal beats together),
   so intermediate shapes join it: fusion beats, ectopic beats close to normal. Each beat's
   correlation distance to the cluster's median beat is compared with the cluster's own
   spread, and beats farther than ``max_spread`` robust standard deviations (median + k x
   1.4826 x MAD) are left out; twice, the second time around the median of the beats kept.
   The cut is relative, so it adapts to a noisy patient as to a clean one, and to any sampling
   rate.
4. **Intermediate shapes.** A fusion beat is partly normal, partly ectopic: its difference from
   the median beat points towards another shape cluster of the span (all beats clustered,
   premature ones included, clusters of at least 1 % of the beats). Beats leaning that way by
   more than ``max_toward`` robust standard deviations of the chosen beats are left out
   (:func:`toward_other_shapes`). Along one direction a slight mixture stands out that the
   distance in all 64 directions at once hides in the noise.
"""

from __future__ import annotations

import warnings

import numpy as np

from ecg_anomaly.errors import ConfigError

METHODS = ("dominant", "all")
#: Beats more premature than this are not training candidates (20 % earlier than the rhythm).
MAX_PREMATURITY = 0.2
#: Beats whose next RR interval is more than ``1 + MAX_PAUSE`` times their previous one (a
#: compensatory pause follows them) are not training candidates.
MAX_PAUSE = 0.2
#: Quantile of the neighbouring RR intervals that stands for the rhythm: a high one, so that the
#: rhythm is the slow one even where most beats come early (0.5, the local median, as
#: :func:`~ecg_anomaly.recordings.features.prematurity`, holds only while fewer than half do).
RHYTHM_QUANTILE = 0.9
#: Beats on each side whose RR intervals give the rhythm (longer than the score's
#: :data:`~ecg_anomaly.recordings.features.LOCAL_BEATS`: runs of premature beats last longer
#: than 8 beats).
RHYTHM_BEATS = 16
#: Clusters are cut at this correlation distance (``1 - r``).
MAX_DISTANCE = 0.3
#: Beats farther from the dominant cluster's median beat than this many robust standard
#: deviations of the cluster's distances are left out.
MAX_SPREAD = 3.0
#: Beats that lean from the dominant median beat towards another shape cluster by more than
#: this many robust standard deviations are left out (intermediate shapes: fusion beats).
MAX_TOWARD = 2.5
#: Smallest share of the span's beats (at least 3 beats) a shape cluster needs to count as
#: another shape that intermediate beats lean towards (fewer are noise or single artefacts).
MIN_OTHER_SHARE = 0.01
#: Rounds of the typical-shape cut (each around the median of the beats the last one kept).
SPREAD_ROUNDS = 2
#: At most this many beats are clustered; the others join the nearest cluster.
MAX_CLUSTERED = 2000
#: The smallest robust standard deviation of the distances (identical synthetic beats have 0).
MIN_SCALE = 1e-4


def rhythm_prematurity(
    rr_prev: np.ndarray,
    quantile: float = RHYTHM_QUANTILE,
    local_beats: int = RHYTHM_BEATS,
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """How much earlier than the local rhythm each beat comes: ``max(0, 1 - RR_prev / ref)``.

    ``ref`` is the ``quantile`` of the RR intervals of the ``local_beats`` beats on each side
    and the beat itself (NaN intervals ignored). With the median (0.5) and 8 beats this is
    :func:`~ecg_anomaly.recordings.features.prematurity`, which holds while at most half the
    neighbouring beats are premature. The default 0.9 of 33 intervals stays on the slow
    rhythm while at least 4 of the 33 are its: MIT-BIH 232, whose atrial premature beats are
    three in four, in runs of up to 20, is read right. Its price: a beat of an irregular rhythm
    (atrial fibrillation) or between frequent compensatory pauses comes early against the
    longest intervals around it and is set aside (measured in ``docs/recordings.md``).

    Args:
        rr_prev: RR interval before each beat (seconds), NaN where unknown.
        quantile: Quantile of the neighbouring intervals that stands for the rhythm.
        local_beats: Beats on each side that give the local rhythm.
        reference: Mask of the intervals that may stand for the rhythm (None: all).

    Returns:
        The prematurity of each beat, in ``[0, 1)`` (0 where unknown).
    """
    rr_prev = np.asarray(rr_prev, dtype=np.float64)
    if len(rr_prev) == 0:
        return rr_prev.copy()
    usable = rr_prev if reference is None else np.where(reference, rr_prev, np.nan)
    padded = np.pad(usable, local_beats, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * local_beats + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows of a 1-beat span
        ref = np.nanquantile(windows, quantile, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = 1.0 - rr_prev / ref
    return np.where(np.isfinite(value), np.clip(value, 0.0, None), 0.0)


def followed_by_pause(
    rr_prev: np.ndarray, rr_next: np.ndarray, max_pause: float = MAX_PAUSE
) -> np.ndarray:
    """Mask of the beats whose next RR interval exceeds ``(1 + max_pause)`` x their previous one.

    An ectopic beat's early onset is usually followed by a (compensatory) pause; a beat of a
    regular rhythm has about equal intervals on both sides. Unknown intervals (NaN) count as
    no pause.
    """
    rr_prev = np.asarray(rr_prev, dtype=np.float64)
    rr_next = np.asarray(rr_next, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.asarray(rr_next > (1.0 + max_pause) * rr_prev)


def shape_clusters(x: np.ndarray, max_distance: float = MAX_DISTANCE, seed: int = 0) -> np.ndarray:
    """Shape cluster of each beat (average linkage on the correlation distance, cut there).

    Args:
        x: Beats (or any per-beat shape vectors), shape ``(n, d)``.
        max_distance: Correlation distance at which the cluster tree is cut.
        seed: Seed of the subsample clustered when there are more than :data:`MAX_CLUSTERED`
            beats; the others join the cluster whose mean shape they correlate with best.

    Returns:
        Cluster labels ``1..k`` of length ``n`` (all 1 for fewer than 3 beats).
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if n < 3:
        return np.ones(n, dtype=np.int64)
    pick = np.arange(n)
    if n > MAX_CLUSTERED:
        pick = np.sort(np.random.default_rng(seed).choice(n, MAX_CLUSTERED, replace=False))
    labels = fcluster(
        linkage(x[pick], method="average", metric="correlation"), max_distance, "distance"
    ).astype(np.int64)
    if n == len(pick):
        return labels
    ids = np.unique(labels)
    centres = _unit_rows(np.stack([x[pick][labels == c].mean(0) for c in ids]))
    return ids[np.argmax(_unit_rows(x) @ centres.T, axis=1)]


def dominant_cluster(
    x: np.ndarray, max_distance: float = MAX_DISTANCE, seed: int = 0
) -> np.ndarray:
    """Mask of the beats in the largest shape cluster of ``x`` (see :func:`shape_clusters`)."""
    n = len(x)
    if n < 3:
        return np.ones(n, dtype=bool)
    labels = shape_clusters(x, max_distance, seed)
    return labels == np.argmax(np.bincount(labels))


def typical_shapes(
    x: np.ndarray,
    core: np.ndarray,
    max_spread: float = MAX_SPREAD,
    rounds: int = SPREAD_ROUNDS,
) -> np.ndarray:
    """Mask of the beats whose shape is typical of the ``core`` beats.

    A beat is typical when its correlation distance to the core's median beat is at most the
    core's median distance plus ``max_spread`` robust standard deviations (1.4826 x MAD) of the
    core's distances. After each round the beats kept become the core.

    Args:
        x: Beats (or any per-beat shape vectors), shape ``(n, d)``.
        core: Boolean mask of the beats that define the typical shape (e.g. the dominant
            cluster); at least one.
        max_spread: Robust standard deviations allowed.
        rounds: How many times the cut is made.

    Returns:
        Boolean mask of length ``n`` (beats outside the core may be typical too).
    """
    x = np.asarray(x, dtype=np.float64)
    unit = _unit_rows(x)
    keep = np.asarray(core, dtype=bool)
    for _ in range(rounds):
        if keep.sum() < 3:
            break
        template = _unit_rows(np.median(x[keep], axis=0)[None, :])[0]
        distance = 1.0 - unit @ template
        centre = np.median(distance[keep])
        scale = max(1.4826 * np.median(np.abs(distance[keep] - centre)), MIN_SCALE)
        keep = distance <= centre + max_spread * scale
    return keep


def toward_other_shapes(
    x: np.ndarray,
    chosen: np.ndarray,
    others: list[np.ndarray],
    max_toward: float = MAX_TOWARD,
) -> np.ndarray:
    """Mask of the beats that lean from the chosen beats' shape towards one of ``others``.

    A fusion beat is partly the dominant beat, partly an ectopic one: its difference from the
    dominant median beat points towards the ectopic beats' median. Along that one direction the
    noise of the chosen beats is small, so a slight mixture stands out where its distance (in
    all directions at once) does not. A beat leans when its projection on the direction exceeds
    the chosen beats' median projection by ``max_toward`` robust standard deviations.

    Args:
        x: Beats (or any per-beat shape vectors), shape ``(n, d)``.
        chosen: Boolean mask of the beats that define the dominant shape (at least 3).
        others: Boolean masks of other shape clusters' beats.
        max_toward: Robust standard deviations allowed towards each other shape.

    Returns:
        Boolean mask of length ``n``.
    """
    unit = _unit_rows(np.asarray(x, dtype=np.float64))
    chosen = np.asarray(chosen, dtype=bool)
    leaning = np.zeros(len(unit), dtype=bool)
    if chosen.sum() < 3:
        return leaning
    centre = _unit_rows(np.median(unit[chosen], axis=0)[None, :])[0]
    for other in others:
        direction = _unit_rows(np.median(unit[other], axis=0)[None, :])[0] - centre
        norm = np.linalg.norm(direction)
        if norm == 0:
            continue
        along = (unit - centre) @ (direction / norm)
        mid = np.median(along[chosen])
        scale = max(1.4826 * np.median(np.abs(along[chosen] - mid)), MIN_SCALE)
        leaning |= along > mid + max_toward * scale
    return leaning


def select_training_beats(
    x: np.ndarray,
    prematurity: np.ndarray | None = None,
    method: str = "dominant",
    max_prematurity: float = MAX_PREMATURITY,
    max_distance: float = MAX_DISTANCE,
    *,
    rr_prev: np.ndarray | None = None,
    rr_next: np.ndarray | None = None,
    max_pause: float = MAX_PAUSE,
    max_spread: float | None = MAX_SPREAD,
    max_toward: float | None = MAX_TOWARD,
    rhythm_quantile: float = RHYTHM_QUANTILE,
) -> np.ndarray:
    """Mask of the beats to train on, from unlabelled beats (see the module doc).

    Args:
        x: Shape of each beat, ``(n, d)``: the cut beats, or better their fixed QRS windows
            (``RecordingBeats.qrs``), whose shape does not depend on the RR interval.
        prematurity: Prematurity of each beat, used when ``rr_prev`` is not given (None and no
            ``rr_prev``: timing is not used, and with as many ectopic as normal beats the
            choice becomes a coin toss).
        method: ``"dominant"`` (see the module doc) or ``"all"`` (every beat).
        max_prematurity: Beats more premature than this are left out.
        max_distance: Correlation distance at which shape clusters are cut.
        rr_prev: RR interval before each beat (seconds, NaN where unknown): the prematurity is
            then :func:`rhythm_prematurity` of it.
        rr_next: RR interval after each beat: with ``rr_prev``, beats followed by a pause
            (:func:`followed_by_pause`) are left out.
        max_pause: See :func:`followed_by_pause`.
        max_spread: See :func:`typical_shapes` (None: the whole dominant cluster is kept).
        max_toward: See :func:`toward_other_shapes` (None: intermediate shapes are kept).
        rhythm_quantile: See :func:`rhythm_prematurity`.

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
    x = np.asarray(x)
    shapes = shape_clusters(x, max_distance)  # of all the span's beats, premature ones included
    candidates = np.ones(n, dtype=bool)
    if rr_prev is not None:
        prematurity = rhythm_prematurity(
            rr_prev, rhythm_quantile, reference=_between_common_shapes(shapes)
        )
    if prematurity is not None:
        candidates &= ~(np.asarray(prematurity) > max_prematurity)
    if rr_prev is not None and rr_next is not None:
        candidates &= ~followed_by_pause(rr_prev, rr_next, max_pause)
    if candidates.sum() < max(3, n // 10):  # hardly any regular beat: timing cannot help
        candidates = np.ones(n, dtype=bool)
    idx = np.flatnonzero(candidates)
    chosen = dominant_cluster(x[idx], max_distance)
    if max_spread is not None and chosen.any():
        chosen = typical_shapes(x[idx], chosen, max_spread)
    keep = np.zeros(n, dtype=bool)
    keep[idx[chosen]] = True
    if max_toward is not None and keep.sum() >= 3:
        keep &= ~toward_other_shapes(x, keep, _other_shapes(shapes, keep), max_toward)
    if n and keep.sum() < 0.3 * n:
        warnings.warn(
            f"the dominant beat shape covers only {keep.sum()} of {n} training beats; the "
            "training span may be noisy or hold several rhythms",
            stacklevel=2,
        )
    return keep


def _between_common_shapes(shapes: np.ndarray) -> np.ndarray:
    """Mask of the RR intervals before a beat whose both ends have the most common shape.

    An interval next to a beat of another shape is an ectopic beat's coupling interval or its
    compensatory pause: neither is the rhythm.
    """
    if len(shapes) == 0:
        return np.ones(0, dtype=bool)
    common = shapes == np.argmax(np.bincount(shapes))
    return common & np.r_[False, common[:-1]]


def _other_shapes(shapes: np.ndarray, chosen: np.ndarray) -> list[np.ndarray]:
    """Masks of the shape clusters of at least :data:`MIN_OTHER_SHARE`, but the chosen one."""
    mine = np.argmax(np.bincount(shapes[chosen]))
    least = max(3, MIN_OTHER_SHARE * len(shapes))
    return [shapes == c for c in np.unique(shapes) if c != mine and (shapes == c).sum() >= least]


def _unit_rows(x: np.ndarray) -> np.ndarray:
    c = x - x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(c, axis=1, keepdims=True)
    return c / np.where(norm > 0, norm, 1.0)
