"""Tests that pin loss, pooling and batch-norm values and VJPs found unpinned by mutation testing,
compared with PyTorch.

Each test names the behaviour it pins: the value and the δ of every input (seen by a hook, before
`.grad` casts it to the input's dtype) against PyTorch's, on inputs that reach the branch at stake
(all targets ignored, zero total weight, taps past 255, windows whose maximum lies in the padding).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor

try:   # imported here, not in the test: mutmut forks its workers after collection, and an import
    import torch as _torch  # noqa: F401  # of torch in every forked worker exceeds its time limit
except ImportError:
    _torch = None


def _torch():
    from conftest import need

    return need("torch")


def _run(fn, arrays, requires, cotangent=None):
    """fn(*tensors) (no warning allowed), its δ of each input that requires grad as the hooks see it,
    and PyTorch's."""
    torch = _torch()
    ours = [Tensor(a, requires_grad=r) for a, r in zip(arrays, requires)]
    seen: dict[int, np.ndarray] = {}
    for i, t in enumerate(ours):
        if t.requires_grad:
            t.register_hook(lambda d, i=i: seen.__setitem__(i, np.asarray(d)))
    theirs = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, requires)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(F, *ours)
        out.backward(cotangent)
    ref = fn(torch.nn.functional, *theirs)
    ref.backward(None if cotangent is None else torch.tensor(cotangent))
    return out, ref, [(seen[i], theirs[i].grad.numpy()) for i, t in enumerate(ours) if t.requires_grad]


def _check(fn, arrays, requires, reduction, dtype, rtol):
    rng = np.random.default_rng(7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        probe = fn(F, *[Tensor(a) for a in arrays])
    cot = rng.standard_normal(probe.shape).astype(dtype) if reduction == "none" else None
    out, ref, grads = _run(fn, arrays, requires, cot)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=rtol)
    for ours, theirs in grads:
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol)


# -- loss.py: the losses keep the input dtype in value and δ, and match PyTorch --------------------
_R = np.random.default_rng(3)
_X, _Y = _R.standard_normal((4, 3)), _R.standard_normal((4, 3))
_P = 1 / (1 + np.exp(-_X))
_PT = _R.uniform(0.05, 0.95, (4, 3))
_LABELS = np.array([0, 2, 1, 2])
_PROBS = np.exp(_Y) / np.exp(_Y).sum(axis=1, keepdims=True)
_W3 = np.array([0.5, 2.0, 1.5])

LOSSES = {
    "mse": (lambda f, x, t, r: f.mse_loss(x, t, reduction=r), lambda d: (_X.astype(d), _Y.astype(d)), True),
    "l1": (lambda f, x, t, r: f.l1_loss(x, t, reduction=r), lambda d: (_X.astype(d), _Y.astype(d)), True),
    "bce": (lambda f, x, t, r: f.binary_cross_entropy(x, t, reduction=r),
            lambda d: (_P.astype(d), _PT.astype(d)), True),
    "bce_weight": (lambda f, x, t, w, r: f.binary_cross_entropy(x, t, weight=w, reduction=r),
                   lambda d: (_P.astype(d), _PT.astype(d), _W3.astype(d)), True),
    "bce_logits": (lambda f, x, t, w, p, r: f.binary_cross_entropy_with_logits(
        x, t, weight=w, pos_weight=p, reduction=r),
        lambda d: (_X.astype(d), _PT.astype(d), _W3.astype(d), _W3[::-1].astype(d)), True),
    "cross_entropy_labels": (lambda f, x, t, w, r: f.cross_entropy(
        x, t, weight=w, ignore_index=1, label_smoothing=0.2, reduction=r),
        lambda d: (_X.astype(d), _LABELS, _W3.astype(d)), False),
    "cross_entropy_probs": (lambda f, x, t, w, r: f.cross_entropy(x, t, weight=w, label_smoothing=0.1,
                                                                   reduction=r),
                            lambda d: (_X.astype(d), _PROBS.astype(d), _W3.astype(d)), True),
    "nll": (lambda f, x, t, w, r: f.nll_loss(x, t, weight=w, reduction=r),
            lambda d: (_X.astype(d), _LABELS, _W3.astype(d)), False),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", list(LOSSES))
def test_losses_keep_the_dtype_and_match_pytorch_in_value_and_vjp(name, reduction, dtype):
    fn, make, target_grad = LOSSES[name]
    arrays = make(dtype)
    requires = [True, target_grad] + [False] * (len(arrays) - 2)
    _check(lambda f, *a: fn(f, *a, reduction), arrays, requires, reduction, dtype,
           1e-5 if dtype == np.float32 else 1e-10)


def test_cross_entropy_smoothing_over_a_zero_total_weight_is_not_finite_and_silent():
    # nan, as PyTorch (its 0/0 label term plus inf; test_pytorch_edge_cases compares the values)
    x, t, w = np.zeros((2, 2)), np.array([0, 0]), np.array([0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.cross_entropy(Tensor(x), t, weight=w, label_smoothing=0.5)
    assert not np.isfinite(out.item())


def test_cross_entropy_of_a_single_class_with_an_ignored_target_matches_pytorch():
    x = np.array([[0.5], [-1.0], [2.0]])
    out, ref, [(ours, theirs)] = _run(lambda f, x, t: f.cross_entropy(x, t, ignore_index=-1),
                                      [x, np.array([0, -1, 0])], [True, False])
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    np.testing.assert_array_equal(ours, theirs)


# -- pool.py: max pooling (padding, argmax width, indices) ---------------------------------------
def test_max_pool2d_of_negative_int8_never_takes_the_padding():
    x = np.full((1, 1, 3, 3), -5, np.int8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.max_pool2d(Tensor(x), 2, padding=1)
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out.data, np.full((1, 1, 2, 2), -5))


def test_max_pool2d_indices_of_int64_beyond_float_precision_name_the_true_maximum():
    x = np.array([[[[2**53, 2**53 + 1]]]], np.int64)
    out, idx = F.max_pool2d(Tensor(x), (1, 2), return_indices=True)
    assert out.item() == 2**53 + 1
    assert idx.item() == 1


def test_max_pool2d_vjp_of_one_padded_window_covering_the_input_matches_pytorch():
    x = np.random.default_rng(0).standard_normal((2, 1, 3, 3)).astype(np.float32)
    out, ref, [(ours, theirs)] = _run(lambda f, x: f.max_pool2d(x, 3, padding=1), [x], [True],
                                      np.array([5.0, -2.0], np.float32).reshape(2, 1, 1, 1))
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dilation", [(1, 1), (2, 2), (1, 2), (2, 1), (3, 1)])
def test_max_pool2d_indices_of_minus_inf_windows_name_their_first_inside_tap_as_pytorch(dilation):
    torch = _torch()
    x = np.full((1, 1, 9, 10), -np.inf)
    x[0, 0, 6, 7] = 1.0
    kw = dict(kernel_size=(4, 5), stride=1, padding=2, dilation=dilation)
    _, idx = F.max_pool2d(Tensor(x), return_indices=True, **kw)
    _, ref = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(idx.data, ref.numpy())


# -- pool.py: float32 stays float32 through pooling and unpooling --------------------------------
_X4 = np.random.default_rng(5).standard_normal((2, 3, 5, 7)).astype(np.float32)
POOLS = {
    "max_pool2d": lambda f, x: f.max_pool2d(x, 2, 1),
    "max_pool2d_tiles": lambda f, x: f.max_pool2d(x[:, :, :4, :6], 2),
    "adaptive_avg_pool2d": lambda f, x: f.adaptive_avg_pool2d(x, (3, 4)),
    "adaptive_max_pool2d": lambda f, x: f.adaptive_max_pool2d(x, (3, 4)),
    "max_unpool2d": lambda f, x: f.max_unpool2d(*f.max_pool2d(x, 2, return_indices=True), 2,
                                                output_size=(5, 7)),
}


@pytest.mark.parametrize("name", list(POOLS))
def test_pooling_keeps_float32_and_matches_pytorch_in_value_and_vjp(name):
    _check(POOLS[name], [_X4], [True], "none", np.float32, 1e-6)


# -- norm.py: batch normalisation ----------------------------------------------------------------
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_keeps_float32_and_matches_pytorch_with_running_stats(training):
    torch = _torch()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    gamma, beta = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    stats = [rng.standard_normal(3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)]
    ref_stats = [torch.tensor(s.copy()) for s in stats]
    fn = lambda f, x, g, b, s: f.batch_norm(x, *s, g, b, training=training, momentum=0.3)  # noqa: E731
    cot = rng.standard_normal(x.shape).astype(np.float32)
    out, ref, grads = _run(lambda f, x, g, b: fn(f, x, g, b, stats if f is F else ref_stats),
                           [x, gamma, beta], [True, True, True], cot)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    for ours, theirs in grads:
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    for s, r in zip(stats, ref_stats):
        np.testing.assert_allclose(s, r.numpy(), rtol=1e-6)
