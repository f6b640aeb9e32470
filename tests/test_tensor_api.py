"""The PyTorch-shaped Tensor API: the fixed bugs (each test fails on the old behaviour), names,
keywords, return types, in-place rules, factories, graph introspection, and a gradient check
of every new differentiable op."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import need

import tinygrad_cnn as tc
from tinygrad_cnn import Tensor, gradcheck, no_grad


def leaf(*shape, seed=0, kind="normal"):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if kind == "positive":
        x = np.abs(x) + 0.5
    return Tensor(x, requires_grad=True)


# -- bugs of the old surface ------------------------------------------------------------------
def test_transpose_with_negative_dims_has_the_right_gradient():
    x = leaf(3, 3, 3)
    weights = np.arange(27.0).reshape(3, 3, 3)
    (x.transpose(-1, 0) * Tensor(weights)).sum().backward()
    np.testing.assert_array_equal(x.grad, weights.transpose(2, 1, 0))


def test_transpose_swaps_two_dims_and_permute_reorders():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.transpose(0, 1).shape == (3, 2) and x.transpose(1, 0).shape == (3, 2)
    np.testing.assert_array_equal(x.transpose(0, 1).data, x.data.T)
    assert Tensor(np.zeros((2, 3, 4))).transpose(0, 2).shape == (4, 3, 2)
    assert Tensor(np.zeros((2, 3, 4))).permute(2, 0, 1).shape == (4, 2, 3)
    assert Tensor(np.zeros((2, 3, 4))).permute((1, 2, 0)).shape == (3, 4, 2)


@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)),
                                    ((2, 1, 2, 3), (5, 3, 4)), ((3,), (2, 3, 4))])
def test_matmul_with_vectors_and_batches_backward(sa, sb):
    a, b = leaf(*sa), leaf(*sb, seed=1)
    assert gradcheck(lambda x, y: x @ y, a, b)


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "max", "min", "argmax", "logsumexp"])
@pytest.mark.parametrize("dim", [0, -1])
def test_reductions_on_a_0d_tensor_accept_dim_0_and_minus_1(op, dim):
    x = Tensor(2.5, requires_grad=True)
    out = getattr(x, op)(dim)
    value = out.values if op in ("max", "min") else out
    assert value.shape == () and value.item() == (0 if op == "argmax" else pytest.approx(2.5))
    with pytest.raises(IndexError, match=f"{op}: dim 1 is out of range for a tensor with 0 dimensions"):
        getattr(x, op)(1)


def test_pow_gradient_at_zero_follows_pytorch():
    x = Tensor([0.0, 2.0], requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])           # d(x⁰)/dx = 0, even at 0
    e = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    (Tensor(0.0) ** e).sum().backward()
    np.testing.assert_array_equal(e.grad, [-np.inf, 0.0, 0.0])  # d(0^b)/db: 0 for b ≥ 0


def test_update_under_no_grad_is_in_place_and_keeps_requires_grad():
    w = Tensor([1.0, 2.0], requires_grad=True)
    buffer = w.data
    (w * w).sum().backward()
    before = w
    with no_grad():
        w -= 0.1 * w.grad
    assert w is before and w.data is buffer and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(w.data, [0.8, 1.6])
    w.grad = None
    (w * 3).sum().backward()                                    # still a leaf of new graphs
    np.testing.assert_allclose(w.grad, [3, 3])


@pytest.mark.parametrize("update", [
    lambda w: w.__iadd__(1.0), lambda w: w.__isub__(1.0), lambda w: w.__imul__(2.0),
    lambda w: w.__itruediv__(2.0), lambda w: w.zero_(), lambda w: w.fill_(3.0),
    lambda w: w.add_(1.0, alpha=2), lambda w: w.mul_(2.0), lambda w: w.clamp_(0.0, 1.0),
    lambda w: w.sub_(w.detach()), lambda w: w.copy_(np.ones(2)), lambda w: w.__setitem__(0, 5.0),
])
def test_in_place_on_a_leaf_that_requires_grad_needs_no_grad(update):
    w = Tensor([0.5, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf tensor that requires grad .* is being used in an "
                                           "in-place operation; update it inside `with no_grad"):
        update(w)
    with no_grad():
        out = update(w)
    assert (out is w or out is None) and w.requires_grad and w._version == 1


def test_in_place_values_and_dtype_rules():
    x = Tensor([1.0, -2.0, 3.0])
    x += 1
    x *= Tensor([2.0, 2.0, 2.0])
    x.sub_(1.0, alpha=2)
    np.testing.assert_array_equal(x.data, [2.0, -4.0, 6.0])
    x.clamp_(max=0.0)
    x[1:] = 7.0
    np.testing.assert_array_equal(x.data, [0.0, 7.0, 7.0])
    assert x.zero_().data.sum() == 0 and x.fill_(2).data.tolist() == [2.0, 2.0, 2.0]
    i = Tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the desired output type"
                                           " int64"):
        i += 0.5
    with pytest.raises(RuntimeError, match=r"a value of shape \(2, 3\) does not broadcast to the written"
                                           r" shape \(3,\)"):
        x += Tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"add: shapes \(3,\) and \(2,\) do not broadcast"):
        x += Tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="shared read-only .* expand"):
        Tensor([1.0]).expand(3).add_(1.0)


def test_in_place_on_a_graph_tensor_is_refused_and_stale_saves_are_detected():
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = w * 2
    with pytest.raises(RuntimeError, match=r"in-place operations on a tensor that is part of the graph"
                                           r" \(grad_fn=mul"):
        h += 1
    x = Tensor([1.0, 2.0])
    y = (x * w).sum()                       # mul saved x for δw
    x += 1                                  # allowed: x does not require grad
    with pytest.raises(RuntimeError, match=r"input 0 \(shape \(2,\)\) of op 'mul' was modified by an"
                                           r" in-place operation"):
        y.backward()


def test_tied_maxima_share_delta_and_max_dim_routes_to_the_index():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [0, 0, 0]])
    x.grad = None
    x.amax(1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    x.grad = None
    values, indices = x.max(1)
    values.sum().backward()
    np.testing.assert_array_equal(indices.data, [1, 0])
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])


# -- same names, same meaning ------------------------------------------------------------------
def test_flatten_size_numel_dim_and_T():
    x = Tensor(np.zeros((2, 3, 4)))
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4) and x.flatten(-2).shape == (2, 12)
    assert Tensor(3.0).flatten().shape == (1,)
    assert x.size() == (2, 3, 4) and x.size(-1) == 4 and x.size(dim=0) == 2
    assert x.numel() == 24 and x.dim() == 3 and len(x) == 2
    assert x.T.shape == (4, 3, 2) and x.mT.shape == (2, 4, 3)
    with pytest.raises(ValueError, match="flatten: start_dim 2 comes after end_dim 1"):
        x.flatten(2, 1)


def test_max_and_min_return_named_tuples():
    x = Tensor([[1.0, 5.0], [7.0, 0.0]])
    out = x.max(1)
    assert type(out).__name__ == "max" and out._fields == ("values", "indices")
    assert out.values.tolist() == [5.0, 7.0] and out.indices.tolist() == [1, 0]
    assert x.max(dim=0, keepdim=True).values.shape == (1, 2)
    assert x.min(0).indices.tolist() == [0, 1] and type(x.min(0)).__name__ == "min"
    assert x.max(axis=1, keepdims=True).values.shape == (2, 1)        # NumPy's spellings
    assert x.max().item() == 7.0 and x.min().item() == 0.0
    np.testing.assert_array_equal(x.max(Tensor([[2.0, 2.0], [2.0, 2.0]])).data, [[2, 5], [7, 2]])
    assert tc.max(x, 1).values.tolist() == [5.0, 7.0] and tc.min(x).item() == 0.0


def test_comparisons_are_boolean_tensors_without_grad_and_hash_is_identity():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([1.0, 0.0, 4.0])
    for out, expected in [(a == b, [1, 0, 0]), (a != b, [0, 1, 1]), (a < b, [0, 0, 1]),
                          (a <= b, [1, 0, 1]), (a > b, [0, 1, 0]), (a >= 2, [0, 1, 1])]:
        assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
        assert out.tolist() == [bool(e) for e in expected]
    assert len({a, b, a}) == 2 and hash(a) == object.__hash__(a)
    assert (a == None) is False                                     # noqa: E711
    with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
        bool(a == b)
    assert bool(Tensor(1.0) == 1.0) and (~(a > 1)).tolist() == [True, False, False]


def test_grad_fn_next_functions_is_leaf_retain_grad_and_hooks():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    h = w * x
    y = h.sum()
    assert w.is_leaf and x.is_leaf and not h.is_leaf
    (mul_node, _), = y.grad_fn.next_functions
    assert mul_node is h.grad_fn and mul_node.name() == "MulBackward0"
    (acc, i), (none, j) = h.grad_fn.next_functions
    assert acc.variable is w and acc.name() == "AccumulateGrad" and none is None and i == j == 0
    h.retain_grad()
    seen = []
    handle = h.register_hook(lambda g: seen.append(g.copy()))
    y.backward()
    np.testing.assert_array_equal(h.grad, [1, 1])
    assert len(seen) == 1
    handle.remove()
    (w * x).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="retain_grad: can't retain the gradient of a tensor that does"
                                           " not require grad"):
        x.retain_grad()
    with pytest.raises(NotImplementedError, match="higher-order gradients are not supported"):
        (w * 2).sum().backward(create_graph=True)


def test_autograd_grad_and_backward_inputs_touch_only_what_is_asked():
    w = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([0.5, 0.5], requires_grad=True)
    h = w * w
    (gw, gh) = tc.autograd.grad((h + b).sum(), [w, h], retain_graph=True)
    np.testing.assert_array_equal(gw.data, [2.0, 4.0])
    np.testing.assert_array_equal(gh.data, [1.0, 1.0])
    assert w.grad is None and b.grad is None
    (h + b).sum().backward(inputs=[b])
    assert w.grad is None and b.grad.tolist() == [1.0, 1.0]
    unused = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad: input 1 \(shape \(1,\)\) was not used"):
        tc.autograd.grad((w * 2).sum(), [w, unused])
    assert tc.autograd.grad((w * 2).sum(), [w, unused], allow_unused=True)[1] is None


# -- dtypes -------------------------------------------------------------------------------------
def test_dtype_promotion_follows_pytorch():
    assert (Tensor(1) + 0.5).dtype == np.float32
    assert (Tensor(3) / Tensor(2)).dtype == np.float32 and (Tensor(3) / Tensor(2)).item() == 1.5
    assert Tensor(2).exp().dtype == np.float32
    assert (Tensor([1, 2]) * 1.5).dtype == np.float32
    assert (Tensor([1, 2]) * 2).dtype == np.int64
    assert Tensor(np.ones(2)).dtype == np.float64 and (Tensor(np.ones(2)) + 1.5).dtype == np.float64
    assert (Tensor([1.0], dtype=np.float32) + Tensor(np.float64(2.0))).dtype == np.float32
    assert (Tensor([1.0], dtype=np.float32) + Tensor([2.0], dtype=np.float64)).dtype == np.float64
    assert Tensor([1.5]).dtype == np.float32 and Tensor([True]).dtype == np.bool_
    assert (Tensor([True]) + Tensor([True])).dtype == np.bool_
    assert (Tensor([7]) // 2).tolist() == [3] and (Tensor([-7.0]) % 3).tolist() == [2.0]
    assert tc.result_type(Tensor([1, 2]), 1.0) == np.float32


def test_casts_keep_the_graph():
    x = Tensor([1.5, -2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64 and y.grad_fn.op == "cast"
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 2.0]
    assert x.long().dtype == np.int64 and x.int().dtype == np.int32 and x.half().dtype == np.float16
    assert x.bool().tolist() == [True, True] and x.float() is x and x.to("cpu") is x
    assert x.to(np.float64).dtype == np.float64 and x.to("float64").dtype == np.float64
    assert x.to(tc.float64).dtype == np.float64 and x.type_as(Tensor([1])).dtype == np.int64
    assert not x.long().requires_grad                 # integers carry no gradient


# -- factories ----------------------------------------------------------------------------------
def test_factories_take_varargs_or_a_tuple_and_torch_keywords():
    assert tc.zeros(2, 3).shape == tc.zeros((2, 3)).shape == (2, 3)
    assert tc.zeros(2).dtype == np.float32 and tc.ones([2, 2], dtype=tc.int64).dtype == np.int64
    assert tc.ones(3, requires_grad=True).requires_grad
    assert tc.full((2,), 7).dtype == np.int64 and tc.full((2,), 7.0).dtype == np.float32
    assert tc.full((2, 2), True).dtype == np.bool_
    assert tc.empty(2, 2).shape == (2, 2)
    assert tc.arange(5).tolist() == [0, 1, 2, 3, 4] and tc.arange(5).dtype == np.int64
    assert tc.arange(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75] and tc.arange(1.0, 3).dtype == np.float32
    assert tc.linspace(0, 1, 5).tolist() == [0, 0.25, 0.5, 0.75, 1]
    np.testing.assert_array_equal(tc.eye(2, 3).data, np.eye(2, 3))
    x = Tensor(np.ones((2, 3), dtype=np.float64))
    for f in (tc.zeros_like, tc.ones_like, tc.rand_like, tc.randn_like):
        assert f(x).shape == (2, 3) and f(x).dtype == np.float64
    assert tc.full_like(x, 2).tolist() == [[2.0] * 3] * 2
    t = tc.tensor([[1, 2]], dtype=tc.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
    r = tc.randint(0, 3, (100,))
    assert r.dtype == np.int64 and set(r.tolist()) <= {0, 1, 2}
    assert tc.randint(5, (3,)).shape == (3,)
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        tc.zeros(2, device="cuda")


def test_manual_seed_makes_rand_and_randn_reproducible():
    tc.manual_seed(7)
    a, b, c = tc.rand(3), tc.randn(2, 2), tc.randint(0, 10, (4,))
    tc.manual_seed(7)
    np.testing.assert_array_equal(a.data, tc.rand(3).data)
    np.testing.assert_array_equal(b.data, tc.randn(2, 2).data)
    np.testing.assert_array_equal(c.data, tc.randint(0, 10, (4,)).data)
    assert ((a.data >= 0) & (a.data < 1)).all()
    g = tc.Generator().manual_seed(3)
    np.testing.assert_array_equal(tc.randn(3, generator=g).data,
                                  tc.randn(3, generator=tc.Generator().manual_seed(3)).data)
    np.testing.assert_array_equal(Tensor.randn(2, seed=1).data, Tensor.randn(2, seed=1).data)


def test_module_level_functions_are_the_methods():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    for name, args in [("sum", (1,)), ("mean", ()), ("exp", ()), ("flatten", ()), ("reshape", (3, 2)),
                       ("transpose", (0, 1)), ("permute", (1, 0)), ("unsqueeze", (0,)),
                       ("squeeze", ()), ("softmax", (1,)), ("clamp", (1.0, 3.0)), ("abs", ()),
                       ("sqrt", ()), ("argmax", ()), ("relu", ()), ("sigmoid", ()), ("tanh", ())]:
        np.testing.assert_array_equal(getattr(tc, name)(x, *args).data, getattr(x, name)(*args).data)
    np.testing.assert_array_equal(tc.matmul(x, x.T).data, x.data @ x.data.T)
    np.testing.assert_array_equal(tc.maximum(x, Tensor(2.0)).data, np.maximum(x.data, 2))
    np.testing.assert_array_equal(tc.where(x > 2, x, Tensor(0.0)).data, np.where(x.data > 2, x.data, 0))
    assert tc.cat([x, x], dim=1).shape == (2, 6) and tc.stack([x, x]).shape == (2, 2, 3)
    assert tc.is_tensor(x) and tc.numel(x) == 6


def test_package_exposes_torch_dtype_names_and_lazy_modules():
    assert tc.float32 == np.float32 and tc.long == np.int64 and tc.float == np.float32
    assert tc.bool == np.bool_ and tc.double == np.float64 and tc.int == np.int32
    code = ("import sys, tinygrad_cnn as tc; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('graphviz', 'matplotlib', 'tqdm', 'threadpoolctl')]; print(heavy); "
            "print(callable(tc.viz.draw_graph)); from tinygrad_cnn import explain; print(callable(explain))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:3] == ["[]", "True", "True"]
    with pytest.raises(AttributeError, match="module 'tinygrad_cnn' has no attribute 'nonexistent'"):
        tc.nonexistent  # noqa: B018


def test_new_factories_take_the_dtype_of_the_tensor():
    x = Tensor(np.ones(2, dtype=np.float64))
    assert x.new_zeros(2, 3).dtype == np.float64 and x.new_zeros((2, 3)).shape == (2, 3)
    assert x.new_ones(2).tolist() == [1.0, 1.0] and x.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert x.new_tensor([1, 2]).dtype == np.float64 and x.new_empty(1).shape == (1,)
    assert x.new_zeros(2, dtype=tc.int64).dtype == np.int64


def test_other_methods():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]] and x.clone() is not x
    assert x.view(4).shape == (4,) and x.view(-1, 1).shape == (4, 1) and x.reshape((1, 4)).shape == (1, 4)
    assert x.unsqueeze(-1).shape == (2, 2, 1) and x.unsqueeze(0).squeeze(0).shape == (2, 2)
    assert x[None].expand(3, -1, -1).shape == (3, 2, 2) and Tensor([1.0]).expand_as(x).shape == (2, 2)
    assert x.flip(0).tolist() == [[3.0, 4.0], [1.0, 2.0]] and x.flip(0, 1).tolist()[0] == [4.0, 3.0]
    assert x.var().item() == pytest.approx(np.var(x.data, ddof=1))
    assert x.std(1, unbiased=False).tolist() == [0.5, 0.5]
    assert x.add(1, alpha=2).tolist() == [[3, 4], [5, 6]] and x.sub(x).sum().item() == 0
    assert x.div(2).tolist() == [[0.5, 1], [1.5, 2]] and x.pow(2).tolist() == [[1, 4], [9, 16]]
    assert x.neg().tolist() == [[-1, -2], [-3, -4]] and (2 ** x).tolist() == [[2, 4], [8, 16]]
    assert x.prod().item() == 24 and x.prod(1).tolist() == [2, 12]
    assert [t.shape for t in x.split(1, 1)] == [(2, 1), (2, 1)] and len(x.chunk(2)) == 2
    assert x.detach().requires_grad is False and x.contiguous() is x
    assert x.argmin().item() == 0 and x.argmax(dim=1, keepdim=True).tolist() == [[1], [1]]
    assert float(Tensor(2.5)) == 2.5 and int(Tensor(3)) == 3 and [1, 2, 3][Tensor(1)] == 2
    assert [r.tolist() for r in x] == [[1.0, 2.0], [3.0, 4.0]] and x.device == "cpu"
    assert np.asarray(x).tolist() == x.tolist()
    assert repr(Tensor(1.0, requires_grad=True)) == "tensor(1., requires_grad=True)"


# -- gradient checks of every new differentiable op ---------------------------------------------
GRADCHECKS = {
    "sqrt": (lambda x: x.sqrt(), "positive"), "abs": (lambda x: x.abs(), "normal"),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), "normal"), "maximum": (lambda x: x.maximum(x.flip(0)), "normal"),
    "minimum": (lambda x: x.minimum(Tensor(np.full(3, 0.1))), "normal"),
    "where": (lambda x: tc.where(x.data > 0, x * 2, x ** 2), "normal"),
    "remainder": (lambda x: (x * 3) % 1.7, "positive"),
    "cast": (lambda x: tc.ops.Cast.apply(x, dtype=np.float64) * 2, "normal"),
    "gather": (lambda x: x.gather(1, np.array([[0, 3, 3], [1, 1, 0]])), "normal"),
    "masked_fill": (lambda x: x.masked_fill(x.data > 0.5, 0.0), "normal"),
    "amax": (lambda x: x.amax(1), "normal"), "amin": (lambda x: x.amin((0, 1)), "normal"),
    "max_dim": (lambda x: x.max(0).values, "normal"),
    "min_dim": (lambda x: x.min(-1, keepdim=True).values, "normal"),
    "permute": (lambda x: x.permute(1, 0), "normal"), "transpose": (lambda x: x.transpose(-1, 0), "normal"),
    "expand": (lambda x: x[:, :1].expand(3, 4), "normal"), "flip": (lambda x: x.flip(1), "normal"),
    "cat": (lambda x: tc.cat([x, x * 2, x[:1]], 0), "normal"),
    "stack": (lambda x: tc.stack([x, x], 1), "normal"),
    "clone": (lambda x: x.clone(), "normal"), "leaky_relu": (lambda x: x.leaky_relu(0.1), "normal"),
    "var": (lambda x: x.var(1), "normal"), "std": (lambda x: x.std(), "normal"),
    "logsumexp": (lambda x: x.logsumexp(0), "normal"), "prod": (lambda x: x.prod(1), "normal"),
    "pow_tensor": (lambda x: x ** x, "positive"), "squeeze": (lambda x: x[:1].squeeze(0), "normal"),
    "getitem_mask": (lambda x: x[x.data > 0], "normal"), "setitem_free": (lambda x: x.unsqueeze(1), "normal"),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck_new_ops(name):
    fn, kind = GRADCHECKS[name]
    x = leaf(3, 4, seed=5, kind=kind) if name not in ("maximum", "minimum") else leaf(3, seed=5)
    assert gradcheck(fn, x)


def test_parity_of_fixed_cases_with_pytorch():
    torch = need("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    t, p = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    t.transpose(-1, 0).flatten().softmax(0)[3].backward()
    p.transpose(-1, 0).flatten().softmax(0)[3].backward()
    np.testing.assert_allclose(t.grad, p.grad.numpy(), rtol=1e-7, atol=1e-12)


MISUSES = [
    lambda L: L.zeros(2, 3) + L.zeros(4, 3), lambda L: L.zeros(2, 3) @ L.zeros(2, 3),
    lambda L: L.zeros(2, 3).view(4, 2), lambda L: L.zeros(2, 3).reshape(-1, -1),
    lambda L: L.zeros(2, 3).sum(2), lambda L: L.zeros(2, 3).transpose(0, 2),
    lambda L: L.zeros(2, 3).unsqueeze(3), lambda L: L.zeros(2, 3).permute(0, 0),
    lambda L: L.zeros(2, 3).permute(1), lambda L: L.zeros(2, 3).expand(4, 3),
    lambda L: L.zeros(2, 3).flatten(1, 0), lambda L: L.zeros(2, 3).item(),
    lambda L: L.zeros(2, 3, 4).t(), lambda L: L.zeros(3).mT,
    lambda L: L.cat([L.zeros(2, 3), L.zeros(2, 4)]), lambda L: L.cat([L.zeros(()), L.zeros(())]),
    lambda L: L.stack([L.zeros(2), L.zeros(3)]), lambda L: L.zeros(2, 3).clamp(),
    lambda L: L.zeros(0, 3).max(0), lambda L: L.zeros(0, 3).amax(0),
    lambda L: L.tensor([1, 2]).mean(), lambda L: L.tensor([1, 2], dtype=L.int64).requires_grad_(),
    lambda L: L.ones(2, requires_grad=True).add_(1), lambda L: L.ones(2, requires_grad=True).numpy(),
    lambda L: L.ones(2).backward(), lambda L: (L.ones(2, requires_grad=True) * 2).backward(),
    lambda L: L.ones(2) - L.tensor([True, False]), lambda L: -L.tensor([True]),
    lambda L: L.zeros(2, 3)[2], lambda L: L.zeros(2, 3).split([1, 1], 1),
    lambda L: L.dot(L.zeros(2, 2), L.zeros(2)), lambda L: L.zeros(2, 3).sum((0, 0)),
    lambda L: L.tensor([1]).__iadd__(0.5), lambda L: L.zeros(2).div(1, rounding_mode="x"),
    lambda L: L.zeros(3).gather(0, L.zeros(2, 2, dtype=L.int64)),
]


@pytest.mark.parametrize("misuse", MISUSES)
def test_misuse_raises_an_exception_of_pytorchs_type(misuse):
    """Every misuse PyTorch refuses is refused here too, with an exception that is an instance of
    PyTorch's exception class (so `pytest.raises(RuntimeError)` written for PyTorch holds)."""
    torch = need("torch")
    with pytest.raises(Exception) as theirs:
        misuse(torch)
    with pytest.raises(theirs.type):
        misuse(tc)
