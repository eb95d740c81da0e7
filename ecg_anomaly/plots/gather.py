"""Gather what the figures of an evaluated split need, from the model and the data module.

The model is asked for what only it can give (:meth:`AnomalyModel.reconstruct`,
:meth:`AnomalyModel.encode`, ``None`` when it has no such thing; its loss history; the training
scores its post-processing was fitted on); the data module for the raw beats, the class
balance, the names of its class codes and, for a recording, the signal. The figures then draw
arrays only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ecg_anomaly.anomaly.evaluation import Evaluation
from ecg_anomaly.anomaly.scoring import score_split
from ecg_anomaly.plots.beats import example_rows
from ecg_anomaly.plots.figure_data import Examples, FigureData


def loss_history(rows: list[dict[str, float]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"train": (epochs, losses), "val": ..., "curve": ...}`` of a model's history.

    Epochs are 0-based; ``curve`` is :class:`~ecg_anomaly.callbacks.LossCurve`'s plot-only loss.
    """
    out = {}
    for stage in ("train", "val", "curve"):
        key = f"{stage}/loss"
        kept = [(row["epoch"], row[key]) for row in rows if key in row]
        if kept:
            epochs, losses = zip(*kept, strict=True)
            out[stage] = (np.asarray(epochs, dtype=np.int64), np.asarray(losses))
    return out


def _train_scores(model: Any, datamodule: Any, main: Evaluation) -> np.ndarray | None:
    """Final scores of the normal training beats: fitted on, tested, or scored now."""
    if main.scores.split == "train":
        return main.scores.normal_scores()
    fitted = model.post.scored.get("train")
    if fitted is not None:
        return fitted.normal_scores()
    if getattr(datamodule, "split_sizes", {}).get("train", 0) == 0:
        return None
    raw = score_split(model, datamodule.loader("train"), "train", gather=False)
    return model.post.apply_split(raw).normal_scores()


@torch.no_grad()
def gather_figure_data(
    model: Any,
    datamodule: Any,
    main: Evaluation,
    *,
    latent: str | None = "pca",
    max_latent_points: int = 2000,
    seed: int = 0,
    notebook: Sequence[str] = (),
) -> FigureData:
    """The :class:`FigureData` of one evaluated split.

    Args:
        model: The evaluated model.
        datamodule: Its data module (``raw_beats``, ``class_counts``, ``class_names``,
            ``recording_view`` are used when it has them).
        main: The evaluation.
        latent: Projection of the latent plot (None: no latent codes gathered).
        max_latent_points: Beats in the latent plot at most.
        seed: Seed of the latent plot's subsample and projection.
        notebook: The recipe's notebook figures to draw too
            (:data:`~ecg_anomaly.plots.notebooks.NOTEBOOK_FIGURES`).
    """
    was_training = model.training
    model.eval()
    try:
        data = _gather(model, datamodule, main, latent, max_latent_points, seed)
        data.notebook = list(notebook)
        if "class_pie" in data.notebook and hasattr(datamodule, "split"):
            data.all_labels = datamodule.split("all")[1].cpu().numpy()
        return data
    finally:
        model.train(was_training)


def _gather(model, datamodule, main, latent, max_latent_points, seed) -> FigureData:
    s = main.scores
    beats = datamodule.raw_beats(s.rows) if hasattr(datamodule, "raw_beats") else None
    data = FigureData(evaluation=main, beats=beats, latent=latent, seed=seed)
    data.train_scores = _train_scores(model, datamodule, main)
    data.loss_history = loss_history(model.history)
    if hasattr(datamodule, "class_counts"):
        data.class_counts = datamodule.class_counts()
    if s.classes is not None:
        data.class_names = getattr(datamodule, "class_names", None)
    view = getattr(datamodule, "recording_view", None)
    if callable(view):
        data.recording = view(s.rows)
    known = s.labelled()
    if beats is None or known.labels is None or not len(known):
        return data
    position = {int(r): i for i, r in enumerate(s.rows)}

    def normalised(rows: np.ndarray) -> torch.Tensor:
        picked = beats[[position[int(r)] for r in rows]]
        return model.normalizer(torch.as_tensor(picked, device=model.device))

    pos = np.asarray(list(example_rows(known.scores, known.labels).values()), dtype=np.int64)
    if len(pos):
        x = normalised(known.rows[pos])
        recon = model.reconstruct(x)
        if recon is not None:
            data.examples = Examples(
                x.cpu().numpy(),
                recon.cpu().numpy(),
                known.labels[pos],
                known.scores[pos],
                known.rows[pos],
            )
    if latent:
        keep = np.arange(len(known))
        if len(keep) > max_latent_points:
            rng = np.random.default_rng(seed)
            keep = np.sort(rng.choice(len(known), max_latent_points, replace=False))
        codes = model.encode(normalised(known.rows[keep]))
        if codes is not None:
            data.codes, data.code_labels = codes.flatten(1).cpu().numpy(), known.labels[keep]
    return data
