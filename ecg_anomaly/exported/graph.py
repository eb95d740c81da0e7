"""The detector as one graph: raw beats in, scores and flags out (see :mod:`ecg_anomaly.export`).

:class:`ExportedDetector` is what :meth:`~ecg_anomaly.models.base.AnomalyModel.processed_batch`
runs, in operators every runtime has: the model's normaliser, its anomaly score, the
post-processing's score terms (:class:`TimingScore` for a recording's timing) and the decision
``score >= threshold`` in float64, the fitted threshold baked in as a constant.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ecg_anomaly.errors import ConfigError

#: Names of the graph's inputs and outputs.
BEATS, PREMATURITY, QRS_DISTANCE = "beats", "prematurity", "qrs_distance"
OUTPUTS = ("scores", "flags")


class TimingScore(nn.Module):
    """:class:`~ecg_anomaly.recordings.timing.TimingTerm` in operators every runtime has.

    The same numbers as the term's ``forward``: the median and top of the reference are computed
    once here (the term computes them per batch, with a branch a graph cannot hold), and the
    empirical CDF's ``searchsorted`` (no ONNX operator) is a binary search unrolled into a fixed
    number of gather-and-compare steps. With ``qrs`` (the term's fitted ``[median, spread]``
    of the training beats' QRS distances and its ``qrs_spread``, ``qrs_onset``, ``qrs_scale``)
    the QRS part's excess is added as the term adds it.
    """

    def __init__(
        self,
        reference: torch.Tensor,
        scale: float,
        qrs: tuple[torch.Tensor, float, float, float] | None = None,
    ) -> None:
        super().__init__()
        self.scores_qrs = qrs is not None
        if qrs is not None:
            (mid, spread), qrs_spread, onset, qrs_scale = qrs[0].detach().double().cpu(), *qrs[1:]
            self.register_buffer("qrs_mid", mid.clone())
            self.register_buffer("qrs_unit", (qrs_spread * spread).clone())
            self.register_buffer("qrs_onset", torch.tensor(float(onset), dtype=torch.float64))
            self.register_buffer("qrs_scale", torch.tensor(float(qrs_scale), dtype=torch.float64))
        reference = reference.detach().double().flatten().cpu()
        top, mid = reference[-1], torch.quantile(reference, 0.5)
        self.register_buffer("reference", reference)
        self.register_buffer("top", top.clone())
        self.register_buffer("spread", top - mid if top > mid else torch.ones_like(top))
        # a float64 tensor: torch's ONNX exporter stores a Python float as float32 first
        self.register_buffer("scale", torch.tensor(float(scale), dtype=torch.float64))

    def count_at_most(self, values: torch.Tensor) -> torch.Tensor:
        """Reference entries <= each value: ``searchsorted(reference, values, right=True)``."""
        n = self.reference.numel()
        lo = torch.zeros_like(values, dtype=torch.long)
        hi = torch.full_like(lo, n)
        for _ in range(n.bit_length()):  # each step halves every beat's interval [lo, hi]
            active = lo < hi
            mid = torch.div(lo + hi, 2, rounding_mode="floor")
            right = active & (self.reference[mid.clamp(max=n - 1)] <= values)
            lo = torch.where(right, mid + 1, lo)
            hi = torch.where(active & ~right, mid, hi)
        return lo

    def forward(
        self,
        scores: torch.Tensor,
        prematurity: torch.Tensor,
        qrs_distance: torch.Tensor | None = None,
    ) -> torch.Tensor:
        shape = scores.double()
        # int64 / int: float32, then float64 when added, exactly as the term computes its CDF
        cdf = self.count_at_most(shape) / self.reference.numel()
        by_shape = cdf + torch.clamp(shape - self.top, min=0.0) / self.spread
        score = by_shape + prematurity.double() / self.scale
        if self.scores_qrs and qrs_distance is not None:
            by_qrs = torch.nan_to_num((qrs_distance.double() - self.qrs_mid) / self.qrs_unit)
            score = score + torch.clamp(by_qrs - self.qrs_onset, min=0.0) / self.qrs_scale
        return score


def exportable_term(term: nn.Module) -> nn.Module:
    """The graph form of a fitted score term.

    Raises:
        ConfigError: A term with no graph form (a new term needs one here).
    """
    from ecg_anomaly.recordings.timing import TimingTerm

    if type(term) is TimingTerm:
        qrs = None
        if term.scores_qrs:
            qrs = (term.qrs_reference, term.qrs_spread, term.qrs_onset, term.qrs_scale)
        return TimingScore(term.reference, term.scale, qrs)
    msg = (
        f"the score term {term.name!r} ({type(term).__name__}) has no exportable form yet; "
        "add one to ecg_anomaly/export.py (exportable_term)"
    )
    raise ConfigError(msg)


class ExportedDetector(nn.Module):
    """A model and its post-processing as one module: raw beats in, ``(scores, flags)`` out.

    Args:
        model: A loaded :class:`~ecg_anomaly.models.base.AnomalyModel` with a fitted threshold
            (``ecg_anomaly.checkpoints.load_model``).

    Raises:
        ConfigError: The model has no threshold, or a score term that cannot be exported.
    """

    def __init__(self, model: Any) -> None:
        super().__init__()
        if not model.post.fitted:
            msg = (
                "the model has no fitted threshold, so the graph could not flag beats: give one "
                "with threshold=manual threshold.value=<score> (Python: model.post.set_thresholds)"
            )
            raise ConfigError(msg)
        self.model = model
        self.terms = nn.ModuleList(
            exportable_term(t) for t in model.post.terms.values() if t.fitted
        )
        # a graph constant of the same float64 value the saved post-processing holds
        self.register_buffer("threshold", model.post.threshold.detach().double().cpu().clone())

    @property
    def seq_len(self) -> int:
        return int(self.model.normalizer.shift.numel())

    @property
    def input_names(self) -> tuple[str, ...]:
        """``("beats",)``; ``("beats", "prematurity")`` with the timing term (and ``qrs_distance``).

        ``qrs_distance`` is the third input when the timing term scores the QRS too.

        The timing term is the only one with a graph form (see :func:`exportable_term`).
        """
        if not len(self.terms):
            return (BEATS,)
        if any(t.scores_qrs for t in self.terms):
            return BEATS, PREMATURITY, QRS_DISTANCE
        return BEATS, PREMATURITY

    def forward(
        self,
        beats: torch.Tensor,
        prematurity: torch.Tensor | None = None,
        qrs_distance: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # float32 model scores, as model.score gives them; terms and decision in float64
        scores = self.model.anomaly_score(self.model.normalizer(beats.float())).float().double()
        for term in self.terms:
            scores = term(scores, prematurity, qrs_distance)
        return scores, (scores >= self.threshold).long()

    def example_inputs(self, n: int = 2, seed: int = 0) -> tuple[torch.Tensor, ...]:
        """Beats inside the normaliser's range (and prematurities in [0, 0.3) where needed)."""
        gen = torch.Generator().manual_seed(seed)
        beats = self.model.normalizer.inverse(torch.rand(n, self.seq_len, generator=gen))
        beats = beats.float().detach().cpu()
        if len(self.input_names) == 1:
            return (beats,)
        early = 0.3 * torch.rand(n, generator=gen, dtype=torch.float64)
        if len(self.input_names) == 2:
            return beats, early
        return beats, early, 2.0 * torch.rand(n, generator=gen, dtype=torch.float64)
