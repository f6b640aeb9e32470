"""Tests that pin conv/linear/elementwise op values, VJPs and argument-check messages found unpinned
by mutation testing.

Each test names the behaviour it pins: values and δ checked against PyTorch on batches large enough
to be split into several chunks, the dtype an op promotes its operands to, or a whole error message.
Kept in one file so that the mutation run's fast selection picks them all up.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, no_grad

try:   # imported here, not in the test: mutmut forks its workers after collection, and an import
    import torch as _torch  # noqa: F401  # of torch in every forked worker exceeds its time limit
except ImportError:
    _torch = None


def _rng(seed=0):
    return np.random.default_rng(seed)


# -- conv.py: Conv2d on batches split into several chunks ---------------------------------------


def _conv2d_and_deltas(x, w, b, delta):
    tx, tw, tb = (Tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(tx, tw, tb)
    out.backward(delta)
    return out.data, tx.grad, tw.grad, tb.grad


def _conv2d_of_a_batch_is_that_of_its_parts(x, w, b, part):
    """conv2d of the whole batch and the δ of x, w, b equal those of batches of `part` samples
    (each small enough for one chunk): values and δx stacked, δW and δb summed."""
    delta = _rng(1).standard_normal((len(x), len(w), x.shape[2] - 4, x.shape[3] - 4)).astype(x.dtype)
    whole = _conv2d_and_deltas(x, w, b, delta)
    parts = [_conv2d_and_deltas(x[i:i + part], w, b, delta[i:i + part]) for i in range(0, len(x), part)]
    np.testing.assert_allclose(whole[0], np.concatenate([p[0] for p in parts]), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(whole[1], np.concatenate([p[1] for p in parts]), rtol=1e-5, atol=1e-5)
    for i in (2, 3):
        total = sum(p[i].astype(np.float64) for p in parts)
        np.testing.assert_allclose(whole[i], total, rtol=1e-4, atol=1e-4 * np.abs(total).max())


def test_conv2d_of_a_batch_of_many_unequal_chunks_is_that_of_its_parts():
    # 1 channel under a 5×5 kernel: the columns are rebuilt in backward, chunk by chunk; 640 samples
    # make 18 chunks, the last ones one sample shorter than the first
    rng = _rng()
    x = rng.standard_normal((640, 1, 28, 28)).astype(np.float32)
    w = rng.standard_normal((4, 1, 5, 5)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    _conv2d_of_a_batch_is_that_of_its_parts(x, w, b, 32)


@pytest.mark.parametrize("height, width", [(28, 5), (5, 28)])
def test_conv2d_of_a_batch_with_one_output_row_or_column_is_that_of_its_parts(height, width):
    rng = _rng()
    x = rng.standard_normal((900, 1, height, width)).astype(np.float32)
    w = rng.standard_normal((2, 1, 5, 5)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    _conv2d_of_a_batch_is_that_of_its_parts(x, w, b, 300)


def test_conv2d_with_a_constant_bias_gives_delta_to_input_and_weight_like_pytorch():
    from conftest import need

    torch = need("torch")
    rng = _rng()
    x, w, b = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    tx, tw = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    px, pw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    F.conv2d(tx, tw, Tensor(b)).sum().backward()
    torch.nn.functional.conv2d(px, pw, torch.tensor(b)).sum().backward()
    np.testing.assert_allclose(tx.grad, px.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tw.grad, pw.grad.numpy(), rtol=1e-12)


# -- conv.py: Conv2d promotes mixed dtypes; values and δ computed in the wider one ---------------


@pytest.mark.parametrize("x_dtype, w_dtype, b_dtype", [(np.float64, np.float32, np.float32),
                                                       (np.float32, np.float64, np.float32),
                                                       (np.float32, np.float32, np.float64)])
@pytest.mark.parametrize("recording", [True, False])
def test_conv2d_of_mixed_dtypes_computes_in_float64(x_dtype, w_dtype, b_dtype, recording):
    # a float32 product of float32 x and weight only adds a float64 bias: float32 precision there
    tol = 1e-12 if np.float64 in (x_dtype, w_dtype) else 1e-5
    from conftest import need

    torch = need("torch")
    rng = _rng()
    for shape in ((2, 3, 6, 6), (2, 1, 7, 7)):          # columns kept for δW / built again
        weight_shape = (4, shape[1], 3 if shape[1] > 1 else 5, 3 if shape[1] > 1 else 5)
        x = rng.standard_normal(shape).astype(x_dtype)
        w = rng.standard_normal(weight_shape).astype(w_dtype)
        b = rng.standard_normal(4).astype(b_dtype)
        tx, tw = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
        if recording:
            out = F.conv2d(tx, tw, Tensor(b))
        else:
            with no_grad():
                out = F.conv2d(tx, tw, Tensor(b))
        ref = torch.nn.functional.conv2d(*(torch.tensor(a.astype(np.float64)) for a in (x, w, b)))
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.data, ref.numpy(), rtol=tol, atol=tol)


def test_conv2d_delta_of_a_float64_input_under_a_float32_weight_is_exact():
    from conftest import need

    torch = need("torch")
    rng = _rng()
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    delta = rng.standard_normal((2, 4, 4, 4))
    tx = Tensor(x, requires_grad=True)
    F.conv2d(tx, Tensor(w, requires_grad=True)).backward(delta)
    px = torch.tensor(x, requires_grad=True)
    torch.nn.functional.conv2d(px, torch.tensor(w.astype(np.float64))).backward(torch.tensor(delta))
    assert tx.grad.dtype == np.float64
    np.testing.assert_allclose(tx.grad, px.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_conv2d_of_float32_gives_float32_values_and_deltas():
    rng = _rng()
    x = Tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    seen = []
    x.register_hook(lambda delta: seen.append(np.asarray(delta).dtype))
    w.register_hook(lambda delta: seen.append(np.asarray(delta).dtype))
    out = F.conv2d(x, w)
    out.sum().backward()
    assert out.dtype == np.float32
    assert seen == [np.float32, np.float32] or sorted(map(str, seen)) == ["float32", "float32"]


@pytest.mark.parametrize("channels, kernel", [(3, 3), (1, 5)])
def test_conv2d_of_float32_gives_the_same_values_whether_or_not_grad_is_recorded(channels, kernel):
    rng = _rng()
    x = rng.standard_normal((4, channels, 12, 12)).astype(np.float32)
    w = Tensor(rng.standard_normal((8, channels, kernel, kernel)).astype(np.float32), requires_grad=True)
    recorded = F.conv2d(Tensor(x), w)
    with no_grad():
        unrecorded = F.conv2d(Tensor(x), w)
    np.testing.assert_array_equal(recorded.data, unrecorded.data)
