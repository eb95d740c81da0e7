"""Batches of beats: dicts of named tensors, sliced from tensors held in memory.

A batch is a dict: ``x`` (raw beats), ``label`` (0 normal / 1 abnormal / -1 unknown),
``class`` (the source's class codes, -1 unknown), ``row`` (each beat's row in its source) and
any per-beat feature a source adds (a recording's ``prematurity``). Every consumer reads the
keys it needs, so a new feature changes no signature.

ECG5000 fits in memory many times over, so batches are slices of tensors that already sit on
the training device: no worker processes, no per-sample ``Dataset.__getitem__`` calls, no
per-epoch copies. Under distributed training each rank takes every ``world_size``-th beat of the
same permutation, so the ranks see disjoint parts (without the padding ``DistributedSampler``
adds, which would count some test beats twice). Training needs every rank to run the same number
of steps (each step all-reduces gradients); ``even=True`` drops the last ``n % world_size``
beats of each epoch's permutation for that (different beats each shuffled epoch).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import torch

#: A batch: named per-beat tensors (``x``, ``label``, ``class``, ``row``, features).
Batch = dict[str, torch.Tensor]


class TensorLoader:
    """Iterate over aligned, named tensors in batches.

    Args:
        tensors: Tensors with the same first dimension, by name (``{"x": beats, ...}``).
        batch_size: Beats per batch.
        shuffle: Draw a new permutation each epoch (from ``seed`` and the epoch number, so all
            ranks agree and runs repeat).
        drop_last: Drop a last, smaller batch.
        seed: Seed of the shuffling.
        rank: This process's rank under distributed training.
        world_size: Number of processes.
        even: Give every rank the same number of beats (for training under DDP).
    """

    def __init__(
        self,
        tensors: Mapping[str, torch.Tensor],
        *,
        batch_size: int,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        even: bool = False,
    ) -> None:
        lengths = {len(t) for t in tensors.values()}
        if len(lengths) != 1:
            msg = "TensorLoader needs one or more tensors with the same number of rows"
            raise ValueError(msg)
        if batch_size < 1:
            msg = f"batch_size must be a positive integer, got {batch_size}"
            raise ValueError(msg)
        self.tensors = dict(tensors)
        self._n = lengths.pop()
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.even = even
        self.epoch = 0
        # Lightning calls ``loader.sampler.set_epoch(epoch)`` before every training epoch, so the
        # shuffling follows the trainer's epoch counter (and repeats after a resume).
        self.sampler = self
        self.batch_sampler = None

    def set_epoch(self, epoch: int) -> None:
        """Shuffle the next pass with the permutation of ``epoch`` (from ``seed + epoch``)."""
        self.epoch = epoch

    def _num_used(self) -> int:
        n = self._n
        return n - n % self.world_size if self.even else n

    def _num_local(self) -> int:
        return len(range(self.rank, self._num_used(), self.world_size))

    def __len__(self) -> int:
        n = self._num_local()
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        n = self._n
        device = next(iter(self.tensors.values())).device
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(n, generator=generator).to(device)
            self.epoch += 1
        else:
            order = None
        if self.world_size > 1:
            base = order if order is not None else torch.arange(n, device=device)
            order = base[self.rank : self._num_used() : self.world_size]
        stop = len(self) * self.batch_size
        for start in range(0, stop, self.batch_size):
            if order is None:
                yield {k: t[start : start + self.batch_size] for k, t in self.tensors.items()}
            else:
                idx = order[start : start + self.batch_size]
                yield {k: t[idx] for k, t in self.tensors.items()}
