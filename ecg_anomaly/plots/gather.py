"""Gather what the figures of an evaluated split need, from the model and the data module.

The model is asked for what only it can give (:meth:`AnomalyModel.reconstruct`,
:meth:`AnomalyModel.encode`, ``None`` when it has no such thing); the data module for the raw
beats, the class balance and the names of its class codes. The figures then draw arrays only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ecg_anomaly.anomaly.evaluation import Evaluation
from ecg_anomaly.plots.beats import example_rows
from ecg_anomaly.plots.report import Examples, FigureData


@torch.no_grad()
def gather_figure_data(
    model: Any,
    datamodule: Any,
    main: Evaluation,
    *,
    train_scores: np.ndarray | None = None,
    loss_history: dict[str, Any] | None = None,
    latent: str | None = "pca",
    max_latent_points: int = 2000,
    seed: int = 0,
) -> FigureData:
    """The :class:`FigureData` of one evaluated split.

    Args:
        model: The evaluated model (in eval mode).
        datamodule: Its data module (``raw_beats``, ``class_counts``, ``class_names`` are used
            when it has them).
        main: The evaluation.
        train_scores: Scores of the normal training beats (the training-loss histogram).
        loss_history: Per-epoch losses.
        latent: Projection of the latent plot (None: no latent codes gathered).
        max_latent_points: Beats in the latent plot at most.
        seed: Seed of the latent plot's subsample and projection.
    """
    s = main.scores
    beats = datamodule.raw_beats(s.rows) if hasattr(datamodule, "raw_beats") else None
    data = FigureData(evaluation=main, beats=beats, latent=latent, seed=seed)
    data.train_scores = train_scores
    data.loss_history = loss_history or {}
    if hasattr(datamodule, "class_counts"):
        data.class_counts = datamodule.class_counts()
    if s.classes is not None:
        data.class_names = getattr(datamodule, "class_names", None)
    if beats is None or s.labels is None:
        return data

    def normalised(rows: np.ndarray) -> torch.Tensor:
        return model.normalizer(torch.as_tensor(beats[rows], device=model.device))

    pos = np.asarray(list(example_rows(s.scores, s.labels).values()), dtype=np.int64)
    if len(pos):
        x = normalised(pos)
        recon = model.reconstruct(x)
        if recon is not None:
            data.examples = Examples(
                x.cpu().numpy(), recon.cpu().numpy(), s.labels[pos], s.scores[pos], s.rows[pos]
            )
    if latent:
        keep = np.arange(len(s))
        if len(keep) > max_latent_points:
            rng = np.random.default_rng(seed)
            keep = np.sort(rng.choice(len(s), max_latent_points, replace=False))
        codes = model.encode(normalised(keep))
        if codes is not None:
            data.codes, data.code_labels = codes.flatten(1).cpu().numpy(), s.labels[keep]
    return data
