"""The latent space of a model projected to 2-D (PCA, t-SNE or UMAP), coloured by label."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.plots._figure import ABNORMAL_COLOR, NORMAL_COLOR, new_figure, save

log = logging.getLogger(__name__)

#: Projections: PCA needs nothing extra, t-SNE scikit-learn (the ``bench`` extra), UMAP
#: ``umap-learn`` (the ``umap`` extra).
METHODS = ("pca", "tsne", "umap")


def _pca(codes: np.ndarray) -> np.ndarray:
    centred = codes - codes.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    out = centred @ vt[:2].T
    return np.pad(out, ((0, 0), (0, 2 - out.shape[1])))  # a 1-D code gets a zero second axis


def project_2d(codes: np.ndarray, method: str = "pca", seed: int = 0) -> tuple[np.ndarray, str]:
    """Project latent codes ``(n, d)`` to 2-D.

    Args:
        codes: Latent codes.
        method: One of :data:`METHODS`; an optional one that is not installed falls back to PCA
            with a warning.
        seed: Seed of t-SNE and UMAP.

    Returns:
        ``(points, method used)``.
    """
    if method not in METHODS:
        msg = f"unknown projection {method!r}; choose one of {', '.join(METHODS)}"
        raise ValueError(msg)
    codes = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            warnings.warn(
                "t-SNE needs scikit-learn (pip install ecg-anomaly[bench]); using PCA", stacklevel=2
            )
        else:
            perplexity = float(min(30, max(2, (len(codes) - 1) / 3)))
            return TSNE(2, perplexity=perplexity, random_state=seed).fit_transform(codes), "tsne"
    if method == "umap":
        try:
            import umap
        except ImportError:
            warnings.warn(
                "UMAP needs umap-learn (pip install ecg-anomaly[umap]); using PCA", stacklevel=2
            )
        else:
            return umap.UMAP(n_components=2, random_state=seed).fit_transform(codes), "umap"
    return _pca(codes), "pca"


def plot_latent(
    codes: np.ndarray,
    labels: np.ndarray,
    path: str | os.PathLike,
    method: str = "pca",
    max_points: int = 2000,
    seed: int = 0,
) -> Path:
    """Scatter of the latent codes projected to 2-D, normal and abnormal beats coloured.

    Args:
        codes: Latent codes ``(n, d)``.
        labels: 0 normal, 1 abnormal.
        path: The PNG to write.
        method: Projection, one of :data:`METHODS`.
        max_points: Subsample to at most this many beats (t-SNE grows fast with n).
        seed: Seed of the subsample and the projection.
    """
    codes, labels = np.asarray(codes), np.asarray(labels)
    if len(codes) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(codes), max_points, replace=False))
        codes, labels = codes[keep], labels[keep]
    points, used = project_2d(codes, method, seed)
    names = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
    fig, ax = new_figure(width=5.5, height=4.8)
    for cls, name, color in (
        (NORMAL, "normal", NORMAL_COLOR),
        (ABNORMAL, "abnormal", ABNORMAL_COLOR),
    ):
        part = points[labels == cls]
        if len(part):
            ax.scatter(
                part[:, 0], part[:, 1], s=8, alpha=0.6, color=color, label=f"{name} (n={len(part)})"
            )
    ax.set_title(f"Latent space ({codes.reshape(len(codes), -1).shape[1]}-D code, {names[used]})")
    ax.set_xlabel(f"{names[used]} 1")
    ax.set_ylabel(f"{names[used]} 2")
    ax.legend()
    ax.grid(alpha=0.3)
    return save(fig, path)
