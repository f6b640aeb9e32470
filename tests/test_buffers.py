"""Reused buffers (tinygrad_cnn/buffers.py): a block is given again only when nothing holds it."""
from __future__ import annotations

import numpy as np

from tinygrad_cnn import Tensor, buffers
from tinygrad_cnn.models import LeNet5
from tinygrad_cnn.optim import SGD

SHAPE = (300, 100)            # 120,000 bytes of float32: above buffers.MIN_BYTES


def address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def test_a_released_block_is_given_again():
    a = buffers.empty(SHAPE, np.float32)
    where = address(a)
    del a
    b = buffers.empty(SHAPE, np.float32)
    assert address(b) == where and b.shape == SHAPE and b.dtype == np.float32


def test_a_block_is_never_given_while_it_or_a_view_of_it_is_held():
    a = buffers.empty(SHAPE, np.float32)
    view = a[10:20, ::2]
    where = address(a)
    del a
    b = buffers.empty(SHAPE, np.float32)
    assert address(b) != where                  # the view still holds the block
    del view
    c = buffers.empty(SHAPE, np.float32)
    assert address(c) == where
    assert address(b) != address(c)


def test_same_size_other_dtype_and_shape_share_blocks():
    a = buffers.empty(SHAPE, np.float32)
    where = address(a)
    del a
    b = buffers.empty((SHAPE[0] * SHAPE[1] // 2,), np.float64)
    assert address(b) == where and b.dtype == np.float64


def test_small_arrays_come_from_numpy_and_are_not_held():
    before = buffers.cached_bytes()
    small = buffers.empty((10, 10), np.float32)
    assert small.base is None and buffers.cached_bytes() == before


def test_clear_lets_free_blocks_go_and_keeps_held_ones():
    buffers.clear()
    before = buffers.cached_bytes()              # blocks other code still holds
    held = buffers.empty((500, 100), np.float32)
    free = buffers.empty((600, 100), np.float32)
    assert buffers.cached_bytes() == before + held.nbytes + free.nbytes
    del free
    buffers.clear()
    assert buffers.cached_bytes() == before + held.nbytes
    held[...] = 1.0                             # still valid memory


def test_outputs_a_user_keeps_are_not_overwritten_by_later_steps():
    rng = np.random.default_rng(0)
    model = LeNet5(seed=0)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = rng.standard_normal((40, 1, 28, 28)).astype(np.float32)
    kept = model.c1(Tensor(x)).data             # a conv output in a reused block
    copy = kept.copy()
    for _ in range(3):
        batch = rng.standard_normal((40, 1, 28, 28)).astype(np.float32)
        loss = model.loss(model(Tensor(batch)), rng.integers(0, 10, 40))
        opt.zero_grad()
        loss.backward()
        opt.step()
    np.testing.assert_array_equal(kept, copy)
