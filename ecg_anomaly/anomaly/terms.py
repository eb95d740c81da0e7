"""Score terms: per-beat evidence the post-processing adds to a model's own score.

A term reads per-beat features of the batches (a recording's ``prematurity``), is fitted on
the training beats, and is saved with the model (its fitted values as buffers, its settings in
the post-processor's extra state); :func:`build_term` rebuilds a saved one, only from a class of
this package. The recordings' :class:`~ecg_anomaly.recordings.timing.TimingTerm` is one.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from ecg_anomaly.anomaly.scoring import SplitScores

#: Where the classes of saved score terms may live (a checkpoint names them).
_TERM_PACKAGE = "ecg_anomaly."


class ScoreTerm(nn.Module):
    """A part added to a model's score from per-beat features (e.g. a recording's timing).

    Subclasses name the batch features they read, store what they fit as buffers, and say how to
    rebuild themselves (:meth:`settings`, passed back to the constructor).
    """

    #: The term's name: its buffers are saved under ``post.terms.<name>``.
    name: ClassVar[str] = "term"
    #: The per-beat features (batch keys) the term reads.
    features: ClassVar[tuple[str, ...]] = ()

    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` has been called (an unfitted term leaves scores unchanged)."""
        raise NotImplementedError

    def settings(self) -> dict[str, Any]:
        """Constructor arguments (plain values) that rebuild this term."""
        return {}

    def fit(self, scores: torch.Tensor, features: Mapping[str, torch.Tensor]) -> None:
        """Fit on the model scores and features of the normal training beats."""
        raise NotImplementedError

    def forward(
        self, scores: torch.Tensor, features: Mapping[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The combined score and the parts worth keeping per beat (written to the files)."""
        raise NotImplementedError

    def metrics(self, split: SplitScores, flags: np.ndarray) -> dict[str, Any]:
        """Metrics only this term can give (unprefixed), e.g. from typed flags."""
        return {}

    def columns(self, split: SplitScores, flags: np.ndarray) -> dict[str, np.ndarray]:
        """Per-beat columns only this term can give (e.g. each flagged beat's type)."""
        return {}

    def describe(self) -> str:
        """The term in words, for ``metrics.json``."""
        return self.name

    def prepare_load(self, state_dict: Mapping[str, torch.Tensor], prefix: str) -> None:
        """Give each buffer the saved one's shape before loading (fitted sizes vary)."""
        for name, buffer in list(self.named_buffers(recurse=False)):
            saved = state_dict.get(prefix + name)
            if saved is not None and saved.shape != buffer.shape:
                setattr(self, name, torch.empty_like(saved, device=buffer.device))


def build_term(spec: dict[str, Any]) -> ScoreTerm:
    """A saved score term from its settings, only from a class of this package."""
    path = str(spec.pop("class", ""))
    module_name, _, name = path.rpartition(".")
    refused = f"a checkpoint names the score term {path!r}; only ecg_anomaly's terms are loaded"
    if not module_name.startswith(_TERM_PACKAGE):
        raise ValueError(refused)
    cls = getattr(importlib.import_module(module_name), name, None)
    if not (isinstance(cls, type) and issubclass(cls, ScoreTerm)):
        raise ValueError(refused)
    return cls(**spec)
