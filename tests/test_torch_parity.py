"""Forward values and every input's gradient agree with PyTorch (float64, tolerance 1e-8).

PyTorch is only a test reference, never a dependency: the module is skipped when it is absent.
"""
import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor

torch = pytest.importorskip("torch", reason="PyTorch is not installed: parity tests need it "
                                            "(pip install torch==2.13.0)")
TF = torch.nn.functional
TOL = dict(rtol=1e-8, atol=1e-8)


def compare(ours, theirs, *arrays, labels=None):
    """Run both on the same float64 arrays, backward the same random δ, compare everything."""
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    ps = [torch.tensor(a, requires_grad=True) for a in arrays]
    extra_t = () if labels is None else (labels,)
    extra_p = () if labels is None else (torch.tensor(labels),)
    out, ref = ours(*ts, *extra_t), theirs(*ps, *extra_p)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TOL)
    delta = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(delta)
    ref.backward(torch.tensor(delta))
    for i, (t, p) in enumerate(zip(ts, ps)):
        np.testing.assert_allclose(t.grad, p.grad.numpy(), **TOL, err_msg=f"input {i}")


@pytest.fixture
def rng():
    return np.random.default_rng(2026)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", [
    ((2, 3, 9, 8), (4, 3, 3, 2), 1, 0, 1), ((2, 2, 11, 10), (3, 2, 5, 5), 2, 2, 1),
    ((1, 3, 10, 9), (2, 3, 3, 3), 3, 1, 1), ((2, 2, 12, 11), (3, 2, 3, 3), 1, 1, 2),
    ((1, 2, 9, 13), (2, 2, 2, 3), (2, 1), (0, 1), (1, 2)),
])
def test_conv2d(rng, xs, ws, stride, padding, dilation):
    compare(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation),
            lambda x, w, b: TF.conv2d(x, w, b, stride, padding, dilation),
            rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0]))


@pytest.mark.parametrize("k, s, p", [(2, None, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), (1, 0))])
def test_pooling(rng, k, s, p):
    x = rng.standard_normal((2, 3, 9, 8))
    compare(lambda t: F.max_pool2d(t, k, s, p), lambda t: TF.max_pool2d(t, k, s, p), x)
    compare(lambda t: F.avg_pool2d(t, k, s, p), lambda t: TF.avg_pool2d(t, k, s, p), x)


def test_subsample_equals_scaled_avg_pool(rng):
    x, beta, bias = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal(3), rng.standard_normal(3)
    compare(lambda t, b_, c: F.subsample(t, b_, c, 2),
            lambda t, b_, c: 4 * TF.avg_pool2d(t, 2) * b_.view(1, -1, 1, 1) + c.view(1, -1, 1, 1),
            x, beta, bias)


def test_linear_matmul(rng):
    compare(F.linear, TF.linear, rng.standard_normal((5, 4)), rng.standard_normal((3, 4)),
            rng.standard_normal(3))
    compare(lambda a, b: a @ b, lambda a, b: a @ b,
            rng.standard_normal((2, 1, 3, 4)), rng.standard_normal((5, 4, 2)))
    compare(lambda a, b: a @ b, lambda a, b: a @ b, rng.standard_normal(4), rng.standard_normal((4, 3)))


@pytest.mark.parametrize("ours, theirs", [
    (F.relu, torch.relu), (F.sigmoid, torch.sigmoid), (F.tanh, torch.tanh),
    (lambda t: F.softmax(t, 1), lambda t: torch.softmax(t, 1)),
    (lambda t: F.log_softmax(t, 0), lambda t: torch.log_softmax(t, 0)),
    (lambda t: t.exp(), torch.exp), (lambda t: (t * t + 1).log(), lambda t: (t * t + 1).log()),
    (lambda t: t.amax(dim=1), lambda t: t.amax(dim=1)),
    (lambda t: t.max(dim=1).values, lambda t: t.max(dim=1).values),
    (lambda t: t.mean(axis=0), lambda t: t.mean(0)),
    (lambda t: t.sum(axis=(0, 1), keepdims=True), lambda t: t.sum((0, 1), keepdim=True)),
    (lambda t: t.transpose(1, 0).reshape(-1, 2)[1:], lambda t: t.permute(1, 0).reshape(-1, 2)[1:]),
])
def test_unary(rng, ours, theirs):
    compare(ours, theirs, rng.standard_normal((4, 6)))


@pytest.mark.parametrize("fn", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
                                lambda a, b: a / b, lambda a, b: (a * a) ** b])
def test_broadcasting_binary(rng, fn):
    compare(fn, fn, rng.standard_normal((3, 1, 4)) + 3, rng.standard_normal((2, 1)) + 3)


def test_losses(rng):
    labels = np.array([0, 4, 2, 2, 1])
    compare(F.cross_entropy, TF.cross_entropy, rng.standard_normal((5, 5)) * 4, labels=labels)
    compare(F.mse_loss, TF.mse_loss, rng.standard_normal((5, 3)), rng.standard_normal((5, 3)))
    compare(F.squared_error, lambda y, t: 0.5 * ((y - t) ** 2).sum() / y.shape[0],
            rng.standard_normal((5, 3)), rng.standard_normal((5, 3)))


def test_lenet_like_network(rng):
    """A whole conv net at once: parameter gradients through conv, pool, linear and the loss."""
    x = rng.standard_normal((3, 1, 28, 28))
    params = [rng.standard_normal(s) * 0.2 for s in [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,),
                                                     (10, 400), (10,)]]
    labels = np.array([3, 1, 7])

    def net(conv, pool, relu, linear, loss, x, w1, b1, w2, b2, w3, b3, t):
        h = pool(relu(conv(x, w1, b1, 1, 2)), 2)
        h = pool(relu(conv(h, w2, b2, 1, 0)), 2)
        return loss(linear(h.reshape(h.shape[0], -1), w3, b3), t)

    compare(lambda *a: net(F.conv2d, F.max_pool2d, F.relu, F.linear, F.cross_entropy, *a),
            lambda *a: net(TF.conv2d, TF.max_pool2d, torch.relu, TF.linear, TF.cross_entropy, *a),
            x, *params, labels=labels)
