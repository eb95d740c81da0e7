"""The latent space of a model projected to 2-D (PCA, t-SNE or UMAP), coloured by label."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.errors import ConfigError, bad_value
from ecg_anomaly.plots._figure import ABNORMAL_COLOR, NORMAL_COLOR, new_figure
from ecg_anomaly.utils.extras import install_command

log = logging.getLogger(__name__)

#: Projections: PCA needs nothing extra, t-SNE scikit-learn (the ``bench`` extra), UMAP
#: ``umap-learn`` (the ``umap`` extra; the Kaggle notebook's latent plot).
METHODS = ("pca", "tsne", "umap")


def _pca(codes: np.ndarray) -> np.ndarray:
    centred = codes - codes.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    out = centred @ vt[:2].T
    return np.pad(out, ((0, 0), (0, 2 - out.shape[1])))  # a 1-D code gets a zero second axis


def project_2d(codes: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """Project latent codes ``(n, d)`` to 2-D.

    Args:
        codes: Latent codes.
        method: One of :data:`METHODS`.
        seed: Seed of t-SNE and UMAP.

    Returns:
        The points ``(n, 2)``.

    Raises:
        ConfigError: An unknown method, or one whose package is not installed (which extra to
            install is in the message).
    """
    if method not in METHODS:
        raise bad_value("latent", method, (*METHODS, None))
    codes = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            install = install_command("bench", "scikit-learn")
            msg = f"the t-SNE latent plot needs scikit-learn: {install}; or choose latent=pca"
            raise ConfigError(msg) from None
        perplexity = float(min(30, max(2, (len(codes) - 1) / 3)))
        return TSNE(2, perplexity=perplexity, random_state=seed).fit_transform(codes)
    if method == "umap":
        try:
            import umap
        except ImportError:
            install = install_command("umap", "umap-learn")
            msg = f"the UMAP latent plot needs umap-learn: {install}; or choose latent=pca"
            raise ConfigError(msg) from None
        n_neighbors = int(min(15, max(2, len(codes) - 1)))
        return umap.UMAP(n_components=2, n_neighbors=n_neighbors, random_state=seed).fit_transform(
            codes
        )
    return _pca(codes)


def plot_latent(codes: np.ndarray, labels: np.ndarray, method: str = "pca", seed: int = 0) -> Any:
    """Scatter of the latent codes projected to 2-D, normal and abnormal beats coloured.

    Args:
        codes: Latent codes ``(n, d)`` (subsample them beforehand: t-SNE grows fast with n).
        labels: 0 normal, 1 abnormal.
        method: Projection, one of :data:`METHODS`.
        seed: Seed of the projection.
    """
    codes, labels = np.asarray(codes), np.asarray(labels)
    points = project_2d(codes, method, seed)
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
    ax.set_title(f"Latent space ({codes.reshape(len(codes), -1).shape[1]}-D code, {names[method]})")
    ax.set_xlabel(f"{names[method]} 1")
    ax.set_ylabel(f"{names[method]} 2")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig
