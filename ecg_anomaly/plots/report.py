"""The run report: ``scores.csv``, every plot in ``plots/`` and a ``report.md`` embedding them.

Training runs write it from :class:`~ecg_anomaly.callbacks.report.ReportCallback` after
testing; ``ecg-anomaly-eval`` writes the same for the split it evaluates.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.detector import write_scores_csv

log = logging.getLogger(__name__)

#: Title of each plot in ``report.md``, in order; the file is ``plots/<key>.png``.
PLOT_TITLES = {
    "beats": "Example normal and abnormal beats",
    "reconstruction": "Input vs reconstruction",
    "loss": "Training and validation loss",
    "score_histogram": "Score distribution and threshold",
    "confusion_matrix": "Confusion matrix",
    "roc": "ROC curve",
    "pr": "Precision-recall curve",
    "latent": "Latent space",
}


@torch.inference_mode()
def _batched(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, size: int = 8192
) -> np.ndarray:
    parts = [fn(x[i : i + size]).float().cpu() for i in range(0, len(x), size)]
    return torch.cat(parts).numpy() if parts else np.empty(0, np.float32)


def _format(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def _markdown(
    title: str, summary: str, metrics: Mapping[str, Any], plots: Mapping[str, Path], out_dir: Path
) -> str:
    lines = [f"# {title}", "", summary, "", "## Metrics", "", "| metric | value |", "|---|---:|"]
    lines += [f"| {k} | {_format(v)} |" for k, v in metrics.items()]
    lines += ["", "## Plots", ""]
    for key, path in plots.items():
        rel = path.relative_to(out_dir).as_posix()
        lines += [f"### {PLOT_TITLES[key]}", "", f"![{PLOT_TITLES[key]}]({rel})", ""]
    lines += [
        "## Files",
        "",
        "- `scores.csv`: one row per beat: `index` (row in the data file), `label` (0 normal, "
        "1 abnormal, where known), `score` (higher = more abnormal), `flag` (predicted label: "
        "1 = abnormal, score >= threshold).",
        "",
    ]
    return "\n".join(lines)


def write_report(
    out_dir: str | os.PathLike,
    *,
    model: Any,
    x: torch.Tensor,
    labels: np.ndarray | None,
    metrics: Mapping[str, Any],
    scores: np.ndarray | None = None,
    index: np.ndarray | None = None,
    title: str = "Run report",
    split: str = "test",
    loss_csv: str | os.PathLike | None = None,
    latent: str | None = "pca",
    max_latent_points: int = 2000,
    seed: int = 0,
) -> dict[str, Path]:
    """Score ``x`` and write ``scores.csv``, ``plots/*.png`` and ``report.md`` into ``out_dir``.

    Args:
        out_dir: The run folder.
        model: A trained :class:`~ecg_anomaly.models.base.AnomalyModel` with a threshold.
        x: Raw beats of the split, ``(n, seq_len)``.
        labels: Their labels (0 normal, 1 abnormal), or None when unknown.
        metrics: The metrics table of the report (e.g. ``test/accuracy``).
        scores: The beats' scores, if already computed (else ``x`` is scored here).
        index: Row of each beat in the data file (default ``0..n-1``).
        title: Heading of ``report.md``.
        split: Name of the scored split, for the text.
        loss_csv: A CSVLogger ``metrics.csv`` for the loss curves (skipped when None/missing).
        latent: Latent-space projection (``pca``, ``tsne``, ``umap``) or None for no plot;
            skipped for models without an ``encode`` method.
        max_latent_points: Beats in the latent plot at most.
        seed: Seed of the latent plot's subsample and projection.

    Returns:
        The files written, by name (``scores``, ``report`` and each plot's key).
    """
    from ecg_anomaly.plots import beats, curves
    from ecg_anomaly.plots import latent as latent_plots
    from ecg_anomaly.plots import scores as score_plots

    started = time.perf_counter()
    out_dir = Path(out_dir)
    plot_dir = out_dir / "plots"
    was_training = model.training
    model.eval()
    x = x.to(model.threshold.device)
    scores = _batched(model.score, x) if scores is None else np.asarray(scores, np.float32)
    threshold = float(model.threshold)
    flags = (scores >= threshold).astype(np.int64)
    x_np = x.cpu().numpy()
    files: dict[str, Path] = {
        "scores": write_scores_csv(out_dir / "scores.csv", scores, flags, labels, index)
    }
    plots: dict[str, Path | None] = {}
    both = labels is not None and (labels == NORMAL).any() and (labels == ABNORMAL).any()
    if labels is not None:
        plots["beats"] = beats.plot_example_beats(x_np, labels, plot_dir / "beats.png")
        plots["reconstruction"] = _reconstruction(model, x, labels, scores, index, plot_dir)
    if loss_csv is not None:
        plots["loss"] = curves.plot_loss_curves(loss_csv, plot_dir / "loss.png")
    plots["score_histogram"] = score_plots.plot_score_histogram(
        scores, labels, threshold, plot_dir / "score_histogram.png"
    )
    if labels is not None:
        tn, fp, fn, tp = (
            int(((flags == p) & (labels == t)).sum()) for t, p in ((0, 0), (0, 1), (1, 0), (1, 1))
        )
        plots["confusion_matrix"] = score_plots.plot_confusion_matrix(
            tn, fp, fn, tp, plot_dir / "confusion_matrix.png"
        )
    if both:
        plots["roc"] = curves.plot_roc(scores, labels, plot_dir / "roc.png")
        plots["pr"] = curves.plot_pr(scores, labels, plot_dir / "pr.png")
    if latent and labels is not None and callable(getattr(model, "encode", None)):
        plots["latent"] = _latent(
            model, x, labels, latent_plots, latent, max_latent_points, seed, plot_dir
        )
    model.train(was_training)
    written = {k: v for k, v in plots.items() if v is not None}
    n = len(scores)
    if labels is None:
        counts = f"{n} unlabelled beats"
    else:
        n_normal, n_abnormal = int((labels == NORMAL).sum()), int((labels == ABNORMAL).sum())
        counts = f"{n} beats: {n_normal} normal, {n_abnormal} abnormal"
    summary = (
        f"Model `{type(model).__name__}`, scored on the **{split}** split ({counts}); "
        f"threshold {threshold:.6g}, {int(flags.sum())} beats flagged. The positive class of "
        "every metric is **abnormal** (label 1); a beat is flagged abnormal when its score is "
        "at or above the threshold."
    )
    report = out_dir / "report.md"
    report.write_text(_markdown(title, summary, metrics, written, out_dir))
    files |= written | {"report": report}
    log.info("Report written to %s in %.1f s", report, time.perf_counter() - started)
    return files


def _reconstruction(model, x, labels, scores, index, plot_dir) -> Path | None:
    from ecg_anomaly.plots.beats import plot_reconstructions

    # Autoencoders only (forward returns a reconstruction of the normalised beats); only the
    # beat shown for each class is reconstructed: the one of median score.
    rows = []
    for cls in (NORMAL, ABNORMAL):
        members = np.flatnonzero(labels == cls)
        if len(members):
            rows.append(members[np.argsort(scores[members], kind="stable")[len(members) // 2]])
    rows = np.asarray(rows)
    with torch.inference_mode():
        x_norm = model.normalizer(x[torch.as_tensor(rows, device=x.device)])
        recon = model(x_norm)
    if isinstance(recon, tuple | list) and recon:
        recon = recon[0]  # (reconstruction, mu, logvar) of a variational autoencoder
    if not isinstance(recon, torch.Tensor) or recon.shape != x_norm.shape:
        log.info(
            "skipping the reconstruction plot: %s.forward returns no reconstruction",
            type(model).__name__,
        )
        return None
    return plot_reconstructions(
        x_norm.cpu().numpy(),
        recon.float().cpu().numpy(),
        labels[rows],
        scores[rows],
        plot_dir / "reconstruction.png",
        index=(rows if index is None else np.asarray(index)[rows]),
    )


def _latent(model, x, labels, latent_plots, method, max_points, seed, plot_dir) -> Path | None:
    if len(x) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(x), max_points, replace=False))
        x, labels = x[torch.as_tensor(keep, device=x.device)], labels[keep]
    try:
        codes = _batched(lambda b: model.encode(model.normalizer(b)).flatten(1), x)
    except (AttributeError, NotImplementedError, TypeError) as err:
        log.info("skipping the latent-space plot: %s", err)
        return None
    return latent_plots.plot_latent(
        codes, labels, plot_dir / "latent.png", method, max_points, seed
    )
