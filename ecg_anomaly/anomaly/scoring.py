"""Score a split once: batched, in inference mode, on the model's device, gathered across ranks.

Every consumer of scores (threshold fitting, metrics, ``scores.csv``, plots, eval, predict)
works from one :class:`SplitScores`, made by a :class:`ScoreCollector`: either by
:func:`score_split` looping over a loader, or by the model's test loop feeding the collector
one batch at a time. Either way a split is scored once per run, and its rows come back in file
order whatever the number of processes. Per-beat features of the batches (a recording's
``prematurity``) travel along as :attr:`SplitScores.extras`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from ecg_anomaly.data.labels import ABNORMAL, NORMAL, UNKNOWN


@dataclass(eq=False)
class SplitScores:
    """The anomaly scores of one split, in the order of the rows of its data file.

    Attributes:
        split: The split's name (``train``, ``val``, ``test``, ``all``, a file name).
        scores: Anomaly score per beat (float64), higher = more abnormal.
        labels: ``0`` normal / ``1`` abnormal per beat, or None when the data has no labels.
        classes: The source's class codes (UCR 1-5) per beat, or None.
        rows: Row of each beat in its data file (0-based).
        extras: More per-beat values written beside the scores (e.g. ``shape`` and
            ``prematurity`` when timing is part of the score).
    """

    split: str
    scores: np.ndarray = field(repr=False)
    labels: np.ndarray | None = field(repr=False, default=None)
    classes: np.ndarray | None = field(repr=False, default=None)
    rows: np.ndarray | None = field(repr=False, default=None)
    extras: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.scores)
        if self.rows is None:
            self.rows = np.arange(n)
        for name, value in [
            *((k, getattr(self, k)) for k in ("labels", "classes", "rows")),
            *self.extras.items(),
        ]:
            if value is not None and len(value) != n:
                msg = f"SplitScores.{name} has {len(value)} entries for {n} scores"
                raise ValueError(msg)

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def both_classes(self) -> bool:
        """Whether the split has labelled normal and abnormal beats."""
        return self.labels is not None and bool(
            (self.labels == NORMAL).any() and (self.labels == ABNORMAL).any()
        )

    def labelled(self) -> SplitScores:
        """The beats whose label is known (all of them, unless some are ``UNKNOWN``)."""
        if self.labels is None or (self.labels != UNKNOWN).all():
            return self
        keep = self.labels != UNKNOWN
        classes = None if self.classes is None else self.classes[keep]
        extras = {k: v[keep] for k, v in self.extras.items()}
        return SplitScores(
            self.split, self.scores[keep], self.labels[keep], classes, self.rows[keep], extras
        )

    def normal_scores(self) -> np.ndarray:
        """Scores of the normal beats (every beat when labels are unknown)."""
        return self.scores if self.labels is None else self.scores[self.labels == NORMAL]


#: Batch keys of the integer columns, and the :class:`SplitScores` field each one fills.
_COLUMNS = {"label": "labels", "class": "classes", "row": "rows"}


class ScoreCollector(Metric):
    """Collects per-batch scores, labels, class codes, rows and features; gathers them.

    Args:
        split: Name of the split being collected.
        gather: Gather the batches of every process on :meth:`compute` (distributed runs);
            False for data only this process holds.
    """

    full_state_update = False
    is_differentiable = False
    higher_is_better = None

    def __init__(
        self, split: str = "test", gather: bool = True, features: tuple[str, ...] = ()
    ) -> None:
        super().__init__(sync_on_compute=gather)
        self.split = split
        self.features = tuple(features)
        for name in ("scores", *_COLUMNS.values(), *self.features):
            self.add_state(name, default=[], dist_reduce_fx="cat")
        self._seen = 0

    def update(self, batch: Mapping[str, torch.Tensor]) -> None:
        """Add a batch: ``scores``, optionally ``label``, ``class``, ``row``, and features."""
        scores = batch["scores"].detach().flatten().double()
        n = len(scores)
        if self._seen == 0 and not self.features:  # the first batch says what features come
            self.features = tuple(k for k in batch if k not in ("scores", "x", *_COLUMNS))
            for name in self.features:
                self.add_state(name, default=[], dist_reduce_fx="cat")
        unknown = torch.full((n,), UNKNOWN, dtype=torch.long, device=scores.device)
        defaults = {"label": unknown, "class": unknown}
        defaults["row"] = torch.arange(self._seen, self._seen + n, device=scores.device)
        self._seen += n
        self.scores.append(scores)
        for key, field_name in _COLUMNS.items():
            value = batch.get(key)
            value = defaults[key] if value is None else value.detach().flatten().long()
            getattr(self, field_name).append(value)
        for name in self.features:
            getattr(self, name).append(batch[name].detach().flatten().double())

    def compute(self) -> SplitScores:
        """Every batch of every process, sorted by row."""
        # a list of batches on one process; one tensor once gathered across processes
        if isinstance(self.scores, list) and not self.scores:
            msg = f"no beats were scored for the {self.split!r} split: it is empty"
            raise ValueError(msg)
        names = ("scores", *_COLUMNS.values(), *self.features)
        values = {k: dim_zero_cat(getattr(self, k)).cpu().numpy() for k in names}
        order = np.argsort(values["rows"], kind="stable")
        labels, classes = values["labels"][order], values["classes"][order]
        return SplitScores(
            split=self.split,
            scores=values["scores"][order],
            labels=None if (labels == UNKNOWN).all() else labels,
            classes=None if (classes == UNKNOWN).all() else classes,
            rows=values["rows"][order],
            extras={k: values[k][order] for k in self.features},
        )

    def reset(self) -> None:
        super().reset()
        self._seen = 0


def score_split(
    model: Any, batches: Iterable[Any], split: str, *, gather: bool = True
) -> SplitScores:
    """Score every batch of a split with ``model`` alone (no post-processing) and gather them.

    Args:
        model: An :class:`~ecg_anomaly.models.base.AnomalyModel` (put in eval mode here, and
            back in its former mode afterwards).
        batches: Batches as served by the data module (dicts with ``x``, see
            :mod:`ecg_anomaly.data.batches`), already on the model's device.
        split: The split's name.
        gather: Gather the scores of every process (each scored its shard of the split).

    Returns:
        The split's model scores (from every process under distributed training), with the
        batches' features as extras.
    """
    collector = ScoreCollector(split, gather=gather).to(model.device)
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for batch in batches:
                collector.update(model.score_batch(batch))
    finally:
        model.train(was_training)
    return collector.compute()


def score_beats(model: Any, x: torch.Tensor, split: str, batch_size: int = 16384) -> SplitScores:
    """Score raw beats held in memory on one process, by the model alone.

    Args:
        model: The model, on the device to score on.
        x: Raw beats ``(n, seq_len)``.
        split: A name for the result.
        batch_size: Beats per forward pass.
    """
    batches = (
        {"x": x[i : i + batch_size].to(model.device, non_blocking=True)}
        for i in range(0, len(x), batch_size)
    )
    if len(x) == 0:
        return SplitScores(split, np.empty(0))
    return score_split(model, batches, split, gather=False)
