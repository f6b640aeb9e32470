"""The vectorised ops agree with the loop-by-loop reference formulas."""
import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, reference


def run(fn, *arrays):
    """Forward with every input requiring grad, backward a random δ: (out, δ, input grads)."""
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    delta = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(delta)
    return out.data, delta, [t.grad for t in ts]


@pytest.mark.parametrize("seed", range(6))
def test_conv2d_matches_reference(seed):
    rng = np.random.default_rng(seed)
    n, c, o = rng.integers(1, 3), rng.integers(1, 4), rng.integers(1, 4)
    kh, kw = rng.integers(1, 4, size=2)
    stride, padding, dilation = int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.integers(1, 3))
    h = int(rng.integers(dilation * (kh - 1) + 1, 10))
    w = int(rng.integers(dilation * (kw - 1) + 1, 10))
    x, wt, b = rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c, kh, kw)), rng.standard_normal(o)

    out, delta, (dx, dw, db) = run(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation), x, wt, b)
    np.testing.assert_allclose(out, reference.conv2d_forward(x, wt, b, stride, padding, dilation), atol=1e-12)
    rdx, rdw, rdb = reference.conv2d_backward(x, wt, delta, stride, padding, dilation)
    np.testing.assert_allclose(dx, rdx, atol=1e-12)
    np.testing.assert_allclose(dw, rdw, atol=1e-12)
    np.testing.assert_allclose(db, rdb, atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_grouped_conv2d_matches_reference(seed):
    rng = np.random.default_rng(100 + seed)
    g = int(rng.integers(2, 4))
    n, cg, og = int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
    k, stride, padding, dilation = (int(rng.integers(lo, hi)) for lo, hi in ((1, 4), (1, 3), (0, 2), (1, 3)))
    h = w = int(rng.integers(dilation * (k - 1) + 1, 9))
    x, wt = rng.standard_normal((n, g * cg, h, w)), rng.standard_normal((g * og, cg, k, k))
    b = rng.standard_normal(g * og)
    out, delta, (dx, dw, db) = run(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, g),
                                   x, wt, b)
    np.testing.assert_allclose(out, reference.conv2d_forward(x, wt, b, stride, padding, dilation, g),
                               atol=1e-12)
    for ours, ref in zip((dx, dw, db), reference.conv2d_backward(x, wt, delta, stride, padding, dilation, g)):
        np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_small_conv_columns_are_kept_for_backward_and_large_ones_built_again():
    """A 1-channel conv's columns (25 per pixel) are kept while 4 MiB or less in all."""
    from tinygrad_cnn.ops import conv

    w = Tensor(np.ones((6, 1, 5, 5), np.float32), requires_grad=True)
    small = F.conv2d(Tensor(np.ones((8, 1, 28, 28), np.float32)), w, padding=2)
    large = F.conv2d(Tensor(np.ones((64, 1, 28, 28), np.float32)), w, padding=2)
    assert 8 * 25 * 784 * 4 <= conv.KEEP_BYTES < 64 * 25 * 784 * 4
    assert small.grad_fn.saved_tensors[1].shape == (25, 8, 784)
    assert large.grad_fn.saved_tensors[1] is None


@pytest.mark.parametrize("seed", range(6))
def test_conv_transpose2d_matches_reference_and_is_conv2d_input_vjp(seed):
    """conv_transpose2d(δ, W) is conv2d's δx, and conv2d(δ, W) is conv_transpose2d's δx."""
    rng = np.random.default_rng(200 + seed)
    g = int(rng.integers(1, 3))
    n, cg, og = int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
    k, stride, padding, dilation = (int(rng.integers(lo, hi)) for lo, hi in ((1, 4), (1, 4), (0, 2), (1, 3)))
    output_padding = int(rng.integers(0, max(stride, dilation)))
    h = w = int(rng.integers(2, 6))
    x, wt = rng.standard_normal((n, g * cg, h, w)), rng.standard_normal((g * cg, og, k, k))
    b = rng.standard_normal(g * og)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=g, dilation=dilation)
    out, delta, (dx, dw, db) = run(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), x, wt, b)
    np.testing.assert_allclose(out, reference.conv_transpose2d_forward(x, wt, b, **kw), atol=1e-12)
    # its input-VJP is the loop conv2d of δ with the same weight
    conv_of_delta = reference.conv2d_forward(delta, wt, None, stride, padding, dilation, g)
    np.testing.assert_allclose(dx, conv_of_delta[:, :, :h, :w], atol=1e-12)
    np.testing.assert_allclose(db, delta.sum(axis=(0, 2, 3)), atol=1e-12)
    # and conv2d's input-VJP of a δ shaped like `out` is this op applied to δ
    y = Tensor(rng.standard_normal(out.shape), requires_grad=True)
    F.conv2d(y, Tensor(wt), None, stride, padding, dilation, g).backward(x)
    np.testing.assert_allclose(y.grad, reference.conv_transpose2d_forward(x, wt, None, **kw), atol=1e-12)


@pytest.mark.parametrize("k, stride, padding, dilation, ceil_mode", [
    (2, None, 0, 1, False), (3, 1, 1, 1, False), (3, 2, 1, 2, True), (2, 3, 1, 1, True),
    (3, 2, 0, 2, False)])
def test_pooling_variants_match_reference(k, stride, padding, dilation, ceil_mode):
    x = np.random.default_rng(k * 10 + padding).permutation(2 * 3 * 9 * 8).reshape(2, 3, 9, 8) * 1.0
    out, delta, (dx,) = run(lambda t: F.max_pool2d(t, k, stride, padding, dilation, ceil_mode), x)
    ref, where = reference.max_pool2d_forward(x, k, stride, padding, dilation, ceil_mode)
    np.testing.assert_array_equal(out, ref)
    ref_dx = reference.max_pool2d_backward(x, delta, k, stride, padding, dilation, ceil_mode)
    np.testing.assert_allclose(dx, ref_dx, atol=1e-12)
    _, idx = F.max_pool2d(Tensor(x), k, stride, padding, dilation, ceil_mode, return_indices=True)
    np.testing.assert_array_equal(idx.data, where[..., 0] * x.shape[3] + where[..., 1])
    for include in (True, False):
        for divisor in (None, 5):
            kw = dict(ceil_mode=ceil_mode, count_include_pad=include, divisor_override=divisor)
            out, delta, (dx,) = run(lambda t, kw=kw: F.avg_pool2d(t, k, stride, padding, **kw), x)
            ref = reference.avg_pool2d_forward(x, k, stride, padding, **kw)
            np.testing.assert_allclose(out, ref, atol=1e-12)
            ref_dx = reference.avg_pool2d_backward(x, delta, k, stride, padding, **kw)
            np.testing.assert_allclose(dx, ref_dx, atol=1e-12)


@pytest.mark.parametrize("size", [(1, 1), (3, 2), (4, 5), (9, 8)])
def test_adaptive_avg_pool2d_matches_reference(size):
    x = np.random.default_rng(5).standard_normal((2, 3, 9, 8))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(Tensor(x), size).data,
                               reference.adaptive_avg_pool2d_forward(x, size), atol=1e-12)


@pytest.mark.parametrize("k, stride, padding", [(2, None, 0), (3, 1, 1), (3, 2, 1), (2, 1, 0)])
def test_pooling_matches_reference(k, stride, padding):
    x = np.random.default_rng(k + 10 * (stride or 0)).standard_normal((2, 3, 7, 8))
    out, delta, (dx,) = run(lambda t: F.max_pool2d(t, k, stride, padding), x)
    np.testing.assert_allclose(out, reference.max_pool2d_forward(x, k, stride, padding)[0])
    np.testing.assert_allclose(dx, reference.max_pool2d_backward(x, delta, k, stride, padding), atol=1e-12)

    out, delta, (dx,) = run(lambda t: F.avg_pool2d(t, k, stride, padding), x)
    np.testing.assert_allclose(out, reference.avg_pool2d_forward(x, k, stride, padding), atol=1e-12)
    np.testing.assert_allclose(dx, reference.avg_pool2d_backward(x, delta, k, stride, padding), atol=1e-12)


def test_max_pool_ties_route_to_first_maximum():
    x = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 0], [0, 0]])


def test_max_pool_overlapping_windows_add_up():
    # the centre 9 is the maximum of all four 2x2 windows of a 3x3 map
    x = Tensor(np.array([[[[1., 2, 3], [4, 9, 5], [6, 7, 8]]]]), requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


def test_mean_pool_preserves_the_sum_of_the_sensitivity_map():
    x = Tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 4)), requires_grad=True)
    delta = np.arange(8.0).reshape(1, 2, 2, 2)
    F.avg_pool2d(x, 2).backward(delta)
    assert x.grad.sum() == pytest.approx(delta.sum())
    np.testing.assert_allclose(x.grad[0, 0], np.kron(delta[0, 0], np.ones((2, 2))) / 4)


def test_weight_grad_of_identity_conv_is_window_sum():
    """Identity activation and E = Σ net make δ all ones, so ∂E/∂W[o,c,m,q] is the
    sum of the input window that W[o,c,m,q] touches and ∂E/∂b[o] the number of outputs."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5, 5))
    w = Tensor(rng.standard_normal((2, 3, 3, 3)), requires_grad=True)
    b = Tensor(np.zeros(2), requires_grad=True)
    F.conv2d(Tensor(x), w, b).sum().backward()
    for m in range(3):
        for q in range(3):
            window_sum = x[:, :, m:m + 3, q:q + 3].sum(axis=(0, 2, 3))   # per input channel
            np.testing.assert_allclose(w.grad[0, :, m, q], window_sum)
            np.testing.assert_allclose(w.grad[1, :, m, q], window_sum)
    np.testing.assert_allclose(b.grad, [2 * 3 * 3, 2 * 3 * 3])


def test_3x3_input_2x2_filter_full_correlation():
    """δx of a 3×3 input and a 2×2 filter: the 2×2 δ padded to 4×4, correlated with rot180(W)."""
    x = Tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    w = Tensor(np.array([[[[1., 2], [3, 4]]]]))
    delta = np.array([[[[1., 10], [100, 1000]]]])
    F.conv2d(x, w).backward(delta)
    expected = np.array([[1, 12, 20], [103, 1234, 2040], [300, 3400, 4000]], dtype=float)
    np.testing.assert_array_equal(x.grad[0, 0], expected)
