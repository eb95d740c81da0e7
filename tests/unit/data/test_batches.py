"""The in-memory batch loader: batching, shuffling, and sharding across ranks."""

from __future__ import annotations

import pytest
import torch

from ecg_anomaly.data.batches import TensorLoader


def _rows(loader: TensorLoader) -> list[int]:
    return [int(v) for batch in loader for v in batch["x"]]


def test_batches_cover_every_row_once_in_order():
    x = torch.arange(10)
    loader = TensorLoader({"x": x}, batch_size=4)
    assert len(loader) == 3
    assert [len(b["x"]) for b in loader] == [4, 4, 2]
    assert _rows(loader) == list(range(10))


def test_drop_last_drops_the_short_batch():
    loader = TensorLoader({"x": torch.arange(10)}, batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert _rows(loader) == list(range(8))


def test_shuffle_is_a_new_permutation_each_epoch_and_repeats_with_the_seed():
    x = torch.arange(20)
    a, b = (
        TensorLoader({"x": x}, batch_size=6, shuffle=True, seed=3),
        TensorLoader({"x": x}, batch_size=6, shuffle=True, seed=3),
    )
    first, second = _rows(a), _rows(a)
    assert sorted(first) == sorted(second) == list(range(20))
    assert first != second
    assert _rows(b) == first


def test_rows_stay_aligned_across_tensors():
    x = torch.arange(7)
    y = x * 10
    for batch in TensorLoader({"x": x, "y": y}, batch_size=3, shuffle=True):
        assert torch.equal(batch["y"], batch["x"] * 10)


def test_evaluation_shards_are_disjoint_and_cover_every_row_without_padding():
    x = torch.arange(11)
    shards = [_rows(TensorLoader({"x": x}, batch_size=2, rank=r, world_size=3)) for r in range(3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8]]
    assert sorted(v for shard in shards for v in shard) == list(range(11))


def test_even_shards_give_every_rank_the_same_number_of_steps():
    # 1025 rows on 2 ranks with batch 512: uneven shards would be 2 and 1 steps, and DDP hangs
    x = torch.arange(1025)
    loaders = [
        TensorLoader({"x": x}, batch_size=512, shuffle=True, rank=r, world_size=2, even=True)
        for r in range(2)
    ]
    assert [len(loader) for loader in loaders] == [1, 1]
    epoch = [_rows(loader) for loader in loaders]
    assert len(epoch[0]) == len(epoch[1]) == 512
    assert not set(epoch[0]) & set(epoch[1])
    uneven = [TensorLoader({"x": x}, batch_size=512, rank=r, world_size=2) for r in range(2)]
    assert [len(loader) for loader in uneven] == [2, 1]


def test_even_is_a_no_op_on_one_process():
    loader = TensorLoader({"x": torch.arange(9)}, batch_size=4, even=True)
    assert _rows(loader) == list(range(9))


@pytest.mark.parametrize("bad", [{"batch_size": 0}])
def test_rejects_bad_arguments(bad):
    with pytest.raises(ValueError, match="batch_size"):
        TensorLoader({"x": torch.arange(3)}, **bad)
    with pytest.raises(ValueError, match="same number of rows"):
        TensorLoader({"x": torch.arange(3), "y": torch.arange(4)}, batch_size=2)
