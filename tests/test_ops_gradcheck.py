"""Every op's VJP against central finite differences, in float64 (gradcheck)."""
import numpy as np
import pytest
from conftest import leaf

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, gradcheck

CONV_CASES = [  # (x shape, w shape, stride, padding, dilation)
    ((2, 3, 7, 6), (4, 3, 3, 2), 1, 0, 1),          # non-square kernel and input
    ((2, 2, 8, 7), (3, 2, 3, 3), 2, 1, 1),          # stride 2, padding 1
    ((1, 2, 10, 9), (2, 2, 3, 2), 3, 2, 1),         # stride 3, padding 2, leftover rows
    ((2, 2, 9, 8), (3, 2, 3, 3), 1, 1, 2),          # dilation 2
    ((1, 3, 9, 11), (2, 3, 2, 3), (2, 3), (1, 0), (2, 1)),  # per-axis pairs
]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CONV_CASES)
def test_conv2d_gradcheck(rng, xs, ws, stride, padding, dilation):
    x, w, b = leaf(rng, *xs), leaf(rng, *ws), leaf(rng, ws[0])
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation), x, w, b)


def test_conv2d_without_bias_gradcheck(rng):
    x, w = leaf(rng, 2, 2, 5, 5), leaf(rng, 3, 2, 2, 2)
    assert gradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1), x, w)


@pytest.mark.parametrize("kernel, stride, padding", [
    (2, None, 0),        # non-overlapping
    (3, 1, 1),           # overlapping windows add up, padding
    ((3, 2), (2, 1), 0),  # non-square, overlapping on one axis
    (3, 2, 1),
])
def test_max_pool2d_gradcheck(rng, kernel, stride, padding):
    x = leaf(rng, 2, 3, 7, 6)
    assert gradcheck(lambda x: F.max_pool2d(x, kernel, stride, padding), x)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 1, 1), ((3, 2), (2, 1), (1, 0))])
def test_avg_pool2d_gradcheck(rng, kernel, stride, padding):
    x = leaf(rng, 2, 3, 7, 6)
    assert gradcheck(lambda x: F.avg_pool2d(x, kernel, stride, padding), x)


def test_subsample_gradcheck(rng):
    x, beta, bias = leaf(rng, 2, 3, 6, 7), leaf(rng, 3), leaf(rng, 3)
    assert gradcheck(lambda x, b_, c: F.subsample(x, b_, c, kernel_size=2), x, beta, bias)


def test_linear_gradcheck(rng):
    x, w, b = leaf(rng, 5, 4), leaf(rng, 3, 4), leaf(rng, 3)
    assert gradcheck(F.linear, x, w, b)
    assert gradcheck(lambda x, w: F.linear(x, w), x, w)


@pytest.mark.parametrize("sa, sb", [((3, 4), (4, 2)), ((2, 3, 4), (4, 5)), ((4,), (4, 3)),
                                    ((3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2))])
def test_matmul_gradcheck(rng, sa, sb):
    assert gradcheck(lambda a, b: a @ b, leaf(rng, *sa), leaf(rng, *sb))


@pytest.mark.parametrize("fn", [F.relu, F.sigmoid, F.tanh, lambda t: F.softmax(t, axis=1),
                                lambda t: F.log_softmax(t, axis=0)])
def test_activation_gradcheck(rng, fn):
    x = leaf(rng, 4, 5)
    x.data[np.abs(x.data) < 1e-3] = 0.5   # keep relu away from its kink
    assert gradcheck(fn, x)


def test_cross_entropy_gradcheck(rng):
    logits = leaf(rng, 6, 4, scale=3.0)
    labels = np.array([0, 3, 1, 1, 2, 3])
    assert gradcheck(lambda z: F.cross_entropy(z, labels), logits)


@pytest.mark.parametrize("loss", [F.mse_loss, F.squared_error])
def test_squared_error_gradcheck(rng, loss):
    y, t = leaf(rng, 5, 3), leaf(rng, 5, 3)
    assert gradcheck(loss, y, t)


@pytest.mark.parametrize("fn, sa, sb", [
    (lambda a, b: a + b, (3, 4), (4,)),          # broadcasting sums back over axis 0
    (lambda a, b: a - b, (3, 1), (1, 4)),        # broadcasting on both sides
    (lambda a, b: a * b, (2, 3, 4), (3, 1)),
    (lambda a, b: a / b, (3, 4), (3, 4)),
    (lambda a, b: (a * a + 1.5) ** b, (3, 4), (4,)),
])
def test_elementwise_gradcheck(rng, fn, sa, sb):
    a, b = leaf(rng, *sa), leaf(rng, *sb)
    b.data[np.abs(b.data) < 0.3] = 0.7                  # keep division well conditioned
    assert gradcheck(fn, a, b)


def test_unary_and_scalar_gradcheck(rng):
    x = leaf(rng, 3, 4)
    assert gradcheck(lambda t: (-t).exp() * 2.0 - 1.0, x)
    assert gradcheck(lambda t: (t * t + 1.0).log() / 3.0, x)
    assert gradcheck(lambda t: 2.0 / (t * t + 1.0) + 3.0 - t, x)
    assert gradcheck(lambda t: t ** 3, x)


def test_fan_out_gradcheck(rng):
    """A tensor used several times gets the sum of every path's contribution."""
    x = leaf(rng, 3, 4)
    assert gradcheck(lambda t: (t * t + t.relu() * t.sigmoid() + t).sum(axis=1), x)


@pytest.mark.parametrize("fn", [
    lambda t: t.sum(), lambda t: t.sum(axis=1), lambda t: t.sum(axis=(0, 2), keepdims=True),
    lambda t: t.mean(), lambda t: t.mean(axis=-1, keepdims=True),
    lambda t: t.max(), lambda t: t.amax(dim=1), lambda t: t.amax(dim=(0, 2), keepdim=True),
    lambda t: t.max(dim=1).values,
])
def test_reduction_gradcheck(rng, fn):
    assert gradcheck(fn, leaf(rng, 2, 3, 4))


@pytest.mark.parametrize("fn", [
    lambda t: t.reshape(4, -1), lambda t: t.flatten(1), lambda t: t.permute(2, 0, 1),
    lambda t: t.transpose(0, 2),
    lambda t: t.T, lambda t: t[1:, ::2], lambda t: t[np.array([0, 0, 1])],
])
def test_shape_gradcheck(rng, fn):
    assert gradcheck(fn, leaf(rng, 2, 3, 4))


def test_small_cnn_end_to_end_gradcheck(rng):
    """conv → relu → max pool → flatten → linear → cross-entropy, every parameter at once."""
    x = Tensor(rng.standard_normal((2, 1, 8, 8)))
    w1, b1 = leaf(rng, 3, 1, 3, 3), leaf(rng, 3)
    w2, b2 = leaf(rng, 4, 12, scale=0.3), leaf(rng, 4)
    labels = np.array([1, 3])

    def net(w1, b1, w2, b2):
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=1)), 3, stride=3)
        return F.cross_entropy(F.linear(h.flatten(1), w2, b2), labels)

    assert gradcheck(net, w1, b1, w2, b2)


# -- the conv/pool/loss/normalisation ops added for PyTorch parity ----------------------------
@pytest.mark.parametrize("xs, ws, kw", [
    ((2, 4, 6, 5), (6, 2, 3, 2), dict(groups=2, stride=2, padding=1)),
    ((1, 6, 7, 7), (3, 2, 3, 3), dict(groups=3, dilation=2)),
    ((2, 2, 6, 6), (3, 2, 3, 3), dict(padding="same")),
    ((2, 2, 6, 7), (3, 2, 2, 3), dict(padding="same", dilation=(1, 2))),
    ((2, 2, 6, 6), (3, 2, 3, 3), dict(padding="valid")),
])
def test_conv2d_groups_and_string_padding_gradcheck(rng, xs, ws, kw):
    x, w, b = leaf(rng, *xs), leaf(rng, *ws), leaf(rng, ws[0])
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), x, w, b)


def test_conv1d_gradcheck(rng):
    x, w, b = leaf(rng, 2, 4, 9), leaf(rng, 6, 2, 3), leaf(rng, 6)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2), x, w, b)


@pytest.mark.parametrize("xs, ws, kw", [
    ((2, 3, 4, 5), (3, 2, 3, 3), dict()),
    ((2, 4, 3, 4), (4, 1, 3, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ((1, 2, 3, 3), (2, 3, 2, 2), dict(stride=(2, 3), dilation=2, output_padding=(1, 0))),
])
def test_conv_transpose2d_gradcheck(rng, xs, ws, kw):
    x, w, b = leaf(rng, *xs), leaf(rng, *ws), leaf(rng, ws[1] * kw.get("groups", 1))
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), x, w, b)


@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1, dilation=2),
                                dict(kernel_size=(2, 3), stride=2, ceil_mode=True),
                                dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)])
def test_max_pool2d_keywords_gradcheck(rng, kw):
    x = Tensor(rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 10.0, requires_grad=True)  # no ties
    assert gradcheck(lambda t: F.max_pool2d(t, **kw), x)


@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
                                dict(kernel_size=3, stride=2, ceil_mode=True),
                                dict(kernel_size=2, padding=1, ceil_mode=True, count_include_pad=False),
                                dict(kernel_size=2, divisor_override=3)])
def test_avg_pool2d_keywords_gradcheck(rng, kw):
    assert gradcheck(lambda t: F.avg_pool2d(t, **kw), leaf(rng, 2, 3, 7, 8))


@pytest.mark.parametrize("size", [(1, 1), (3, 2), (5, 8)])
def test_adaptive_pool2d_gradcheck(rng, size):
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, size), leaf(rng, 2, 3, 7, 8))
    x = Tensor(rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 10.0, requires_grad=True)
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, size), x)


def test_max_unpool2d_gradcheck(rng):
    x = Tensor(rng.permutation(2 * 2 * 6 * 6).reshape(2, 2, 6, 6) * 1.0)
    pooled, idx = F.max_pool2d(x, 2, return_indices=True)
    assert gradcheck(lambda t: F.max_unpool2d(t, idx, 2), leaf(rng, *pooled.shape))


@pytest.mark.parametrize("pad, mode", [((1, 2), "constant"), ((1, 0, -1, 2), "constant"),
                                       ((2, 1, 1, 2), "reflect"), ((2, 3, 0, 1), "replicate"),
                                       ((1, 2, 2, 0), "circular")])
def test_pad_gradcheck(rng, pad, mode):
    assert gradcheck(lambda t: F.pad(t, pad, mode=mode), leaf(rng, 2, 3, 4, 5))


def test_dropout_gradcheck(rng):
    from tinygrad_cnn import random
    x = leaf(rng, 4, 5)

    def fn(t):
        random.manual_seed(3)            # the same mask at every evaluation
        return F.dropout(t, 0.4)

    assert gradcheck(fn, x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_gradcheck(rng, reduction):
    logits, weight = leaf(rng, 4, 3, 2, scale=2.0), Tensor(rng.uniform(0.5, 2, 3))
    labels = np.array([[0, 2], [1, -100], [2, 2], [0, 1]])
    assert gradcheck(lambda z: F.cross_entropy(z, labels, weight, reduction=reduction,
                                               label_smoothing=0.2), logits)
    probs = Tensor(rng.dirichlet(np.ones(3), 4), requires_grad=True)
    assert gradcheck(lambda z, p: F.cross_entropy(z, p, reduction=reduction, label_smoothing=0.1),
                     leaf(rng, 4, 3), probs)
    assert gradcheck(lambda z: F.nll_loss(z, labels, weight, reduction=reduction), logits)
    y, t = leaf(rng, 3, 4), leaf(rng, 3, 4)
    y.data[np.abs(y.data - t.data) < 1e-3] += 0.1          # |y − t| away from its kink
    assert gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), y, t)
    assert gradcheck(lambda a, b: F.l1_loss(a, b, reduction=reduction), y, t)
    p = Tensor(rng.uniform(0.1, 0.9, (3, 4)), requires_grad=True)
    q = Tensor(rng.uniform(0, 1, (3, 4)), requires_grad=True)
    w, pos_weight = Tensor(rng.uniform(0.5, 2, 4)), Tensor(rng.uniform(0.5, 3, 4))
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b, w, reduction=reduction), p, q)
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(
        a, b, w, reduction=reduction, pos_weight=pos_weight), y, q)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 5), (2, 3, 4, 3)])
def test_batch_norm_gradcheck(rng, training, shape):
    x, gamma, beta = leaf(rng, *shape), leaf(rng, 3), leaf(rng, 3)
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    assert gradcheck(lambda x, g, b: F.batch_norm(x, mean.copy(), var.copy(), g, b, training=training),
                     x, gamma, beta)
