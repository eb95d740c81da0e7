"""Post-processing, owned by the model: score terms, threshold rules and their values, the decision.

Every model holds a :class:`PostProcessor` (``model.post``), as anomalib's models hold theirs:

- **score terms** (:class:`~ecg_anomaly.anomaly.terms.ScoreTerm`) add per-beat evidence to the
  model's own score, e.g. a recording's beat timing
  (:class:`~ecg_anomaly.recordings.timing.TimingTerm`);
- **threshold rules** (:mod:`ecg_anomaly.anomaly.thresholds`) fit the deciding threshold and any
  extra one on the scored splits they name;
- **the decision** ``score >= threshold`` (:func:`~ecg_anomaly.anomaly.evaluation.flag`).

Fitted values are buffers and the settings are the module's extra state, so a checkpoint
carries the whole post-processing: a loaded model, tested by a plain ``Trainer.test`` or asked
for flags by ``predict``, decides exactly as the run that trained it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ecg_anomaly.anomaly import thresholds as rules
from ecg_anomaly.anomaly.evaluation import DECIDING, Evaluation, evaluate, flag
from ecg_anomaly.anomaly.scoring import SplitScores
from ecg_anomaly.anomaly.terms import ScoreTerm, build_term
from ecg_anomaly.data.labels import NORMAL
from ecg_anomaly.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PostProcessor(nn.Module):
    """Score terms, threshold rules and their fitted values, and the decision.

    Args:
        threshold: The rule that fits the deciding threshold (None: keep the fitted value, e.g.
            of a loaded model; a model needs one to be fitted).
        extra: More rules, reported beside the deciding one (``test/<name>/...``).
        terms: Score terms added to the model's score, in order.
    """

    def __init__(
        self,
        threshold: rules.Threshold | None = None,
        extra: Mapping[str, rules.Threshold] | None = None,
        terms: Sequence[ScoreTerm] = (),
    ) -> None:
        super().__init__()
        # float64: a threshold equal to the largest training score must flag that beat
        self.register_buffer("threshold", torch.tensor(math.nan, dtype=torch.float64))
        self.extra = nn.Module()
        self.terms = nn.ModuleDict()
        for term in terms:
            self.add_term(term)
        self.rules: dict[str, rules.Threshold] = {}
        self.set_rules(threshold, extra)
        #: The splits scored when fitting, final scores (for figures and the val evaluation).
        self.scored: dict[str, SplitScores] = {}

    # -- settings --------------------------------------------------------------------------

    def set_rules(
        self,
        threshold: rules.Threshold | None,
        extra: Mapping[str, rules.Threshold] | None = None,
    ) -> None:
        """Replace the rules (fitted values stay until :meth:`fit`)."""
        named = {} if threshold is None else {DECIDING: threshold}
        for name, rule in (extra or {}).items():
            if rule is None:
                continue
            if not _NAME.match(name) or name == DECIDING:
                msg = f"threshold name {name!r} must be a Python identifier other than 'threshold'"
                raise ConfigError(msg)
            named[name] = rule
        self.rules = named

    def add_term(self, term: ScoreTerm) -> None:
        """Add (or replace) a score term."""
        self.terms[term.name] = term

    @property
    def fitted(self) -> bool:
        """Whether a deciding threshold has been fitted (or set)."""
        return not math.isnan(float(self.threshold))

    @property
    def thresholds(self) -> dict[str, float]:
        """Every fitted threshold: ``"threshold"`` (deciding) first, then the extras by name."""
        out = {DECIDING: float(self.threshold)}
        return out | {k: float(v) for k, v in self.extra.named_buffers()}

    def set_thresholds(self, deciding: float, extra: Mapping[str, float] | None = None) -> None:
        """Store the deciding threshold and extra ones (buffers: saved in checkpoints)."""
        self.threshold.fill_(float(deciding))
        for name, value in (extra or {}).items():
            self.extra.register_buffer(
                name, torch.tensor(float(value), dtype=torch.float64, device=self.threshold.device)
            )

    def describe(self) -> dict[str, Any]:
        """What decides, in words (``threshold_rule``, ``score_terms`` in ``metrics.json``)."""
        out: dict[str, Any] = {}
        if DECIDING in self.rules:
            out["threshold_rule"] = self.rules[DECIDING].describe()
        out["score_terms"] = [t.describe() for t in self.terms.values()]
        return out

    def splits_needed(self) -> set[str]:
        """The splits fitting scores: ``train`` (terms, figures) and each rule's ``fit_on``."""
        return {"train"} | {r.fit_on for r in self.rules.values() if r.fit_on is not None}

    def check_splits(self, sizes: Mapping[str, int]) -> None:
        """Refuse, before training, a rule whose split is empty.

        Raises:
            ConfigError: Naming the rule, the split and how to give it beats.
        """
        for rule in self.rules.values():
            if rule.fit_on is not None and sizes.get(rule.fit_on, 1) == 0:
                msg = (
                    f"{type(rule).__name__} is fitted on the {rule.fit_on!r} split, which is "
                    "empty; give it beats with data.val_size=0.25 (or choose another threshold)"
                )
                raise ConfigError(msg)

    # -- scores ----------------------------------------------------------------------------

    def apply(self, batch: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The final scores of a scored batch (``scores`` plus features): each term added.

        Returns:
            The batch with ``scores`` replaced by the final scores and each term's parts added.
        """
        out = dict(batch)
        for term in self.terms.values():
            if term.fitted:
                out["scores"], parts = term(out["scores"], out)
                out |= parts
        return out

    def apply_split(self, split: SplitScores) -> SplitScores:
        """:meth:`apply` on a whole scored split (NumPy arrays in and out)."""
        if not any(t.fitted for t in self.terms.values()):
            return split
        device = self.threshold.device
        batch = {"scores": torch.as_tensor(split.scores, device=device)}
        batch |= {k: torch.as_tensor(v, device=device) for k, v in split.extras.items()}
        out = self.apply(batch)
        extras = {k: v.cpu().numpy() for k, v in out.items() if k != "scores"}
        scores = out["scores"].double().cpu().numpy()
        return SplitScores(split.split, scores, split.labels, split.classes, split.rows, extras)

    def flag(self, scores: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
        """1 (abnormal) where ``score >= threshold``, else 0.

        Raises:
            RuntimeError: No threshold has been fitted.
        """
        if not self.fitted:
            msg = "the model has no threshold yet: fit one (train it, or post.fit) before flagging"
            raise RuntimeError(msg)
        return flag(scores, self.threshold if isinstance(scores, torch.Tensor) else self.value)

    @property
    def value(self) -> float:
        """The deciding threshold as a float."""
        return float(self.threshold)

    # -- fitting and evaluating ------------------------------------------------------------

    def fit(self, model_scores: Mapping[str, SplitScores], labels_known: bool = True) -> list[str]:
        """Fit the terms, then every rule, on scored splits.

        Args:
            model_scores: Splits scored by the model alone (features in ``extras``); ``train``
                fits the terms, each rule takes the split it names.
            labels_known: False when the training beats' labels must not be used (a new
                patient's beats, presumed normal): terms and rules then use every training beat.

        Returns:
            Warnings about the fit, in plain words (e.g. a threshold that flags every beat).
        """
        splits = dict(model_scores)
        train = splits.get("train")
        if train is not None and not labels_known:
            splits["train"] = train = SplitScores(
                "train", train.scores, rows=train.rows, extras=train.extras
            )
        if train is not None and self.terms:
            keep = np.ones(len(train), bool) if train.labels is None else train.labels == NORMAL
            device = self.threshold.device
            features = {k: torch.as_tensor(v[keep], device=device) for k, v in train.extras.items()}
            for term in self.terms.values():
                term.fit(torch.as_tensor(train.scores[keep], device=device), features)
        self.scored = {k: self.apply_split(v) for k, v in splits.items()}
        values = {}
        for name, rule in self.rules.items():
            values[name] = rule.fit(self.scored.get(rule.fit_on) if rule.fit_on else None)
        deciding = values.pop(DECIDING, float(self.threshold))
        self.set_thresholds(deciding, values)
        return self._fit_warnings()

    def _fit_warnings(self) -> list[str]:
        train, rule = self.scored.get("train"), self.rules.get(DECIDING)
        if train is None or rule is None or rule.fit_on != "train" or not len(train):
            return []
        share = float((train.normal_scores() >= self.value).mean())
        if share not in (0.0, 1.0):
            return []
        what = "every" if share == 1.0 else "no"
        return [
            f"the threshold {self.value:.6g} flags {what} normal training beat: it cannot "
            "tell normal beats from abnormal ones; check the threshold's settings"
        ]

    def evaluate(self, split: SplitScores) -> Evaluation:
        """Flags and metrics of a split of final scores, the terms' own metrics included."""
        evaluation = evaluate(split, self.thresholds)
        for term in self.terms.values():
            if term.fitted:
                extra = term.metrics(split, evaluation.deciding_flags)
                evaluation.metrics.update({f"{split.split}/{k}": v for k, v in extra.items()})
        return evaluation

    def columns(self, evaluation: Evaluation) -> dict[str, np.ndarray]:
        """The terms' per-beat columns of an evaluation (for ``scores.csv`` / ``beats.csv``)."""
        out: dict[str, np.ndarray] = {}
        for term in self.terms.values():
            if term.fitted:
                out |= term.columns(evaluation.scores, evaluation.deciding_flags)
        return out

    # -- what a checkpoint holds -----------------------------------------------------------

    def get_extra_state(self) -> dict[str, Any]:
        return {
            "rules": {name: rule.settings() for name, rule in self.rules.items()},
            "terms": {
                name: {"class": f"{type(t).__module__}.{type(t).__qualname__}", **t.settings()}
                for name, t in self.terms.items()
            },
        }

    def set_extra_state(self, state: Any) -> None:
        saved = dict(state or {})
        built = {k: rules.from_settings(v) for k, v in saved.get("rules", {}).items()}
        self.set_rules(built.pop(DECIDING, None), built)

    def _load_from_state_dict(self, state_dict, prefix, *args: Any, **kwargs: Any) -> None:
        # Terms and extra thresholds are created when fitting: make room for the saved ones
        # before their buffers are loaded (children load after this module).
        state = state_dict.get(f"{prefix}_extra_state") or {}
        for name, spec in dict(state.get("terms", {})).items():
            if name not in self.terms:
                self.add_term(build_term(dict(spec)))
        extra = f"{prefix}extra."
        for key, value in state_dict.items():
            if key.startswith(extra):
                self.extra.register_buffer(key[len(extra) :], torch.empty_like(value))
        for name, term in self.terms.items():
            term.prepare_load(state_dict, f"{prefix}terms.{name}.")
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        shown = ", ".join(f"{k}={v:.6g}" for k, v in self.thresholds.items())
        return f"{shown}, rules={sorted(self.rules)}"
