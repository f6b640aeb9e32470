"""Tensor API, graph recording and backward semantics (PyTorch's where they overlap)."""
import gc
import tracemalloc
import warnings

import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import Function, Tensor, no_grad


def test_constructor_dtypes_and_properties():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert t.dtype == np.float32 and t.shape == (2, 2) and t.ndim == 2 and t.grad is None
    assert Tensor([1, 2, 3]).dtype == np.int64
    assert Tensor(np.zeros(3, dtype=np.float64)).dtype == np.float64
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor(3.5).item() == 3.5
    src = np.ones(3)
    t = Tensor(src)
    src[0] = 7
    assert t.data[0] == 1.0                      # the constructor copies
    assert t.numpy() is t.data
    with pytest.raises(TypeError, match="floating-point"):
        Tensor([1, 2], requires_grad=True)


def test_float32_stays_float32_through_a_cnn():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 1, 8, 8)).astype(np.float32))
    w = Tensor(rng.standard_normal((3, 1, 3, 3)).astype(np.float32), requires_grad=True)
    fc = Tensor(rng.standard_normal((4, 12)).astype(np.float32), requires_grad=True)
    h = F.avg_pool2d(F.sigmoid(F.conv2d(x, w, padding=1)), 3, stride=3)
    z = F.tanh(F.linear(h.flatten(1), fc)) * 2 + 1
    loss = F.cross_entropy(z, np.array([0, 3])) + F.mse_loss(z, np.zeros((2, 4), np.float32))
    for node in loss.graph():
        assert node.output_dtype == np.float32, node
    loss.backward()
    assert w.grad.dtype == np.float32 and fc.grad.dtype == np.float32


def test_operators_with_scalars_arrays_and_broadcasting():
    a = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    out = (2 * a + b - 1) / 2 + np.ones(3) - (-a) * b ** 2
    expected = (2 * a.data + b.data - 1) / 2 + 1 + a.data * b.data ** 2
    np.testing.assert_allclose(out.data, expected)
    out.sum().backward()
    np.testing.assert_allclose(a.grad, np.ones((2, 3)) + b.data ** 2)
    np.testing.assert_allclose(b.grad, 0.5 * 2 + (2 * a.data * b.data).sum(axis=0))
    r = 1.0 - a
    np.testing.assert_allclose(r.data, 1.0 - a.data)
    np.testing.assert_allclose((np.ones(3) * a).data, a.data)   # ndarray on the left


def test_fan_out_accumulates_every_use():
    x = Tensor(np.array([2.0, -3.0]), requires_grad=True)
    y = x * x + x * 3 + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 4)


def test_leaf_grad_accumulates_across_backward_calls_until_reset():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [6, 6])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [3, 3])


def test_second_backward_through_released_graph_raises():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="already released.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 4 * x.data)


def test_backward_on_non_scalar_needs_grad():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()
    (x * 2).backward(np.full((2, 3), 0.5))
    np.testing.assert_allclose(x.grad, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"grad of shape \(3,\).*\(2, 3\)"):
        (x * 2).backward(np.ones(3))


def test_backward_without_requires_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(2)).sum().backward()


def test_deep_chain_has_no_recursion_limit():
    x = Tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.sum().backward()
    assert x.grad[0] == 1.0
    assert len(y.graph()) == 100_000


def test_no_grad_records_nothing():
    x = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad

    @no_grad()
    def double(t):
        return t * 2

    assert double(x).grad_fn is None
    assert (x * 2).grad_fn is not None      # recording is back on


def test_graph_is_inspectable_in_topological_order():
    x = Tensor(np.ones((1, 1, 6, 6)))
    w = Tensor(np.ones((2, 1, 3, 3)), requires_grad=True)
    w.name = "conv1.weight"
    out = F.max_pool2d(F.relu(F.conv2d(x, w, stride=1, padding=1)), 2).sum()
    graph = out.graph()
    assert [n.op for n in graph.nodes] == ["conv2d", "relu", "max_pool2d", "sum"]
    conv = graph.nodes[0]
    assert {k: conv.attrs[k] for k in ("stride", "padding", "dilation")} == {
        "stride": (1, 1), "padding": (1, 1), "dilation": (1, 1)}
    assert conv.inputs[0] is x and conv.inputs[1] is w and conv.output_shape == (1, 2, 6, 6)
    assert graph.nodes[2].attrs["kernel_size"] == (2, 2) and graph.nodes[2].output_shape == (1, 2, 3, 3)
    assert "δx = conv_transpose2d(δ, W)" in conv.formula
    text = str(graph)
    assert "conv1.weight" in text and "%2 = conv2d(%0, %1; stride=1, padding=1" in text
    positions = {id(t): i for i, t in enumerate(graph.tensors)}
    for t in graph.tensors:                  # every input stands before its op's output
        if t.grad_fn:
            assert all(positions[id(i)] < positions[id(t)] for i in t.grad_fn.inputs)


def test_backward_records_grad_norm_and_retain_grad_keeps_sensitivity_map():
    x = Tensor(np.array([[1.0, -2.0, 3.0]]), requires_grad=True)
    h = (x * 2).retain_grad()
    y = F.relu(h).sum()
    y.backward()
    np.testing.assert_allclose(h.grad, [[1, 0, 1]])
    assert h.grad_fn.grad_norm == pytest.approx(np.sqrt(2))


def test_hook_can_replace_gradient():
    x = Tensor(np.ones(2), requires_grad=True)
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g.copy()) or g * 10)
    h.sum().backward()
    np.testing.assert_allclose(seen[0], [1, 1])
    np.testing.assert_allclose(x.grad, [30, 30])


def test_custom_function_plugs_into_graph_backward_and_gradcheck():
    from tinygrad_cnn import gradcheck

    class Cube(Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x ** 3

        def backward(self, grad):
            """δx = 3x² ∘ δ"""
            (x,) = self.saved_tensors
            return 3 * x * x * grad

    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.op == "cube" and y.grad_fn.formula == "δx = 3x² ∘ δ"
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3, 12])
    assert gradcheck(Cube.apply, Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True))


def test_custom_function_with_wrong_gradient_shape_is_reported():
    class Broken(Function):
        def forward(self, x):
            return x.sum()

        def backward(self, grad):
            return np.ones(3)

    x = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"broken.backward returned a gradient of shape \(3,\) for input"
                                           r" 0 of shape \(2, 2\)"):
        Broken.apply(x).backward()


def test_detach_item_repr_and_factories():
    x = Tensor.randn(2, 3, requires_grad=True, seed=0)
    np.testing.assert_array_equal(x.data, Tensor.randn(2, 3, seed=0).data)
    d = (x * 2).detach()
    assert d.grad_fn is None and not d.requires_grad
    assert "grad_fn=mul" in repr(x * 2)
    assert repr(Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert Tensor.zeros(2, 2).data.sum() == 0 and Tensor.ones(3).data.sum() == 3
    with pytest.raises(ValueError, match="one-element"):
        x.item()
    assert (x.argmax(axis=1).data == x.data.argmax(axis=1)).all()
    assert (x.argmax(dim=1).data == x.data.argmax(axis=1)).all()


def test_extreme_values_are_finite_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            z = Tensor(np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=np.float32), requires_grad=True)
            loss = F.cross_entropy(z, np.array([1, 0]))
            loss.backward()
            assert np.isfinite(loss.item()) and np.isfinite(z.grad).all()
            assert loss.item() == pytest.approx((2e4 + (2e4 + np.log(2))) / 2, rel=1e-6)
            s = Tensor(np.array([1e4, -1e4, 0.0]), requires_grad=True)
            y = F.sigmoid(s)
            y.sum().backward()
            np.testing.assert_allclose(y.data, [1.0, 0.0, 0.5])
            assert np.isfinite(s.grad).all()


def test_memory_does_not_grow_over_training_steps():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((4, 1, 3, 3)).astype(np.float32), requires_grad=True)
    fc = Tensor(rng.standard_normal((10, 4 * 13 * 13)).astype(np.float32) * 0.01, requires_grad=True)
    x = Tensor(rng.standard_normal((16, 1, 28, 28)).astype(np.float32))
    labels = rng.integers(0, 10, 16)

    def step():
        loss = F.cross_entropy(F.linear(F.max_pool2d(F.relu(F.conv2d(x, w)), 2).flatten(1), fc), labels)
        loss.backward()
        w.data -= 0.01 * w.grad
        fc.data -= 0.01 * fc.grad
        w.grad = fc.grad = None

    for _ in range(3):
        step()
    gc.collect()
    tracemalloc.start()
    step()
    first = tracemalloc.get_traced_memory()[0]
    for _ in range(20):
        step()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after - first < 200_000, f"memory grew by {after - first} bytes over 20 steps"
