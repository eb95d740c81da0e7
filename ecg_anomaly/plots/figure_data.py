"""The arrays every figure of a run is drawn from (:class:`FigureData`), gathered once.

Whoever builds it asks the model for what it can give (:meth:`AnomalyModel.reconstruct`,
:meth:`AnomalyModel.encode`), so drawing never guesses a model's output shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecg_anomaly.anomaly.evaluation import Evaluation


@dataclass
class Examples:
    """Beats shown against their reconstruction (normalised), one per class."""

    x: np.ndarray
    recon: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    rows: np.ndarray


@dataclass
class RecordingView:
    """One recording's signal and the scored beats on it (for strips and scores over time).

    Attributes:
        signal: The (cleaned) samples of the recording.
        fs: Sampling rate in Hz.
        units: Units of the samples (``mV``), or "".
        time: Each scored beat's R-peak time in seconds (NaN for beats of other recordings).
        symbols: Each scored beat's annotation symbol (``""`` where none).
        name: The recording's name.
    """

    signal: np.ndarray = field(repr=False)
    fs: float
    units: str
    time: np.ndarray = field(repr=False)
    symbols: np.ndarray = field(repr=False)
    name: str = ""


@dataclass
class FigureData:
    """Everything the figures of one evaluated split need, as arrays.

    Attributes:
        evaluation: The evaluated split (scores, labels, classes, rows, flags, thresholds).
        beats: Raw beats of the split, in the evaluation's row order (None: no beat plots).
        examples: Normalised beats and reconstructions (autoencoders only).
        codes: Latent codes of (a subsample of) the labelled beats, with ``code_labels``.
        code_labels: Labels of the beats in ``codes``.
        train_scores: Scores of the normal training beats (the training-loss histogram).
        loss_history: Per-epoch losses, ``{"train": (epochs, losses), "val": ...}``.
        class_counts: Beats per class in each split, for the class-balance plot.
        class_names: Names of the source's class codes (UCR: 1 normal, 2 R-on-T PVC, ...).
        recording: The recording behind the beats (recordings only).
        latent: Projection of the latent plot.
        seed: Seed of the latent projection.
        notebook: The recipe's notebook figures to draw too (``notebook_figures``).
        all_labels: Labels of every beat of the source (the Kaggle notebook's class pie).
    """

    evaluation: Evaluation
    beats: np.ndarray | None = None
    examples: Examples | None = None
    codes: np.ndarray | None = None
    code_labels: np.ndarray | None = None
    train_scores: np.ndarray | None = None
    loss_history: dict[str, Any] = field(default_factory=dict)
    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    class_names: dict[int, str] | None = None
    recording: RecordingView | None = None
    latent: str | None = "pca"
    seed: int = 0
    notebook: list[str] = field(default_factory=list)
    all_labels: np.ndarray | None = None
