"""``last.ckpt`` during training: written atomically, restored exactly, kept on Ctrl+C and SIGTERM.

Lightning's ``ModelCheckpoint(save_top_k=0, save_last=True)`` writes ``last.ckpt`` only when
training ends, so a killed run had nothing to resume from. :class:`ResumeCheckpoint` writes it
at the end of every epoch (or of the first epoch after ``every_n_seconds``), through a temporary
file and :func:`os.replace`, so a kill at any moment leaves either the previous complete
checkpoint or the new one. Epoch ends are the points a run resumes from exactly: the checkpoint
holds the model, the optimizer and scheduler, every callback's state (early stopping, the best
weights), the loops' counters (the shuffling follows the epoch) and the random number generators.

On Ctrl+C or SIGTERM (SLURM pre-emption) the last complete epoch's checkpoint stays in place;
the entry point (:mod:`ecg_anomaly.cli`) writes ``failure.json`` saying how to resume.
"""

from __future__ import annotations

import logging
import os
import random
import time
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Checkpoint

log = logging.getLogger(__name__)

LAST = "last.ckpt"


class ResumeCheckpoint(Checkpoint):
    """Writes ``<dirpath>/last.ckpt`` at epoch ends and restores the random state from it.

    A :class:`~lightning.pytorch.callbacks.Checkpoint`, so Lightning runs it after the model's
    own ``on_train_epoch_end`` (which logs the epoch's training loss and records it in the
    model's history): the checkpoint holds the whole epoch.

    Args:
        dirpath: The checkpoint folder (``<run>/checkpoints``).
        every_n_epochs: Write at the end of every n-th epoch (0: only by time).
        every_n_seconds: Also write at the end of the first epoch after this many seconds
            since the last write (None: by epochs only).
    """

    def __init__(
        self,
        dirpath: str | os.PathLike,
        every_n_epochs: int = 1,
        every_n_seconds: float | None = None,
    ) -> None:
        from ecg_anomaly.errors import bad_value

        if not isinstance(every_n_epochs, int) or every_n_epochs < 0:
            raise bad_value(
                "callbacks.checkpoint.every_n_epochs", every_n_epochs, "a whole number >= 0"
            )
        if every_n_seconds is not None and not every_n_seconds > 0:
            raise bad_value("callbacks.checkpoint.every_n_seconds", every_n_seconds, "> 0, or null")
        self.dirpath = Path(dirpath)
        self.every_n_epochs = every_n_epochs
        self.every_n_seconds = every_n_seconds
        self._last_write = time.monotonic()
        self._rng: dict[str, Any] | None = None

    @property
    def last(self) -> Path:
        """The checkpoint file."""
        return self.dirpath / LAST

    def _due(self, trainer: L.Trainer) -> bool:
        epoch = trainer.current_epoch + 1
        by_epoch = self.every_n_epochs > 0 and epoch % self.every_n_epochs == 0
        by_time = (
            self.every_n_seconds is not None
            and time.monotonic() - self._last_write >= self.every_n_seconds
        )
        return by_epoch or by_time

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # after validation, early stopping and the best-weights bookkeeping of this epoch
        if trainer.sanity_checking or not self._due(trainer):
            return
        self.save(trainer)

    def save(self, trainer: L.Trainer) -> Path:
        """Write ``last.ckpt`` atomically (every rank calls this; rank 0 writes)."""
        # The loops count this epoch as finished only after on_train_epoch_end: record it so,
        # or a resume would run the epoch again.
        self._rng = _rng_state()
        tmp = self.dirpath / f".{LAST}.{os.getpid()}.tmp"
        trainer.save_checkpoint(tmp, weights_only=False)
        if trainer.is_global_zero:
            os.replace(tmp, self.last)
        trainer.strategy.barrier("resume-checkpoint")
        self._last_write = time.monotonic()
        return self.last

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self._rng}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if state_dict.get("rng") is not None:
            _set_rng_state(state_dict["rng"])


def _rng_state() -> dict[str, Any]:
    state = {
        "torch": torch.get_rng_state(),
        "numpy": _numpy_state(),
        "python": repr(random.getstate()),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _numpy_state() -> dict[str, Any]:
    # plain values only: checkpoints load with torch.load(weights_only=True)
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "kind": kind,
        "keys": torch.from_numpy(keys.astype(np.int64)),
        "pos": int(pos),
        "has_gauss": int(has_gauss),
        "cached": float(cached),
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    import ast

    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    keys = n["keys"].numpy().astype(np.uint32)
    np.random.set_state((n["kind"], keys, n["pos"], n["has_gauss"], n["cached"]))
    version, internal, gauss = ast.literal_eval(state["python"])
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
