"""Property-based parity with PyTorch: every Tensor op, over random shapes, dims and keywords.

Each test draws shapes and arguments with hypothesis, runs the op in tinygrad_cnn and in
PyTorch on the same float64 (or integer) arrays, and compares the result (values, shape,
dtype) and, for differentiable ops, the gradient of every input for a random δ.
"""
from __future__ import annotations

import operator

import numpy as np
import pytest
from conftest import examples, need
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import tinygrad_cnn as tc

torch = need("torch", allow_module_level=True)
pytestmark = pytest.mark.filterwarnings("ignore:The use of `x.T` on tensors:UserWarning")

SETTINGS = settings(max_examples=examples(40), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TOL = dict(rtol=1e-7, atol=1e-9, equal_nan=True)
TORCH_DTYPES = {np.dtype(np.float16): torch.float16, np.dtype(np.float32): torch.float32,
                np.dtype(np.float64): torch.float64, np.dtype(np.int32): torch.int32,
                np.dtype(np.int64): torch.int64, np.dtype(np.uint8): torch.uint8,
                np.dtype(np.int8): torch.int8, np.dtype(np.int16): torch.int16,
                np.dtype(np.bool_): torch.bool}

shapes = array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)
seeds = st.integers(0, 2**32 - 1)


def values(seed: int, shape: tuple[int, ...], kind: str = "normal") -> np.ndarray:
    """float64 test data: 'normal', 'positive' (away from 0), or 'ties' (small integers, so
    maxima and equal operands repeat)."""
    rng = np.random.default_rng(seed)
    if kind == "ties":
        return rng.integers(-2, 3, shape).astype(np.float64)
    x = rng.standard_normal(shape)
    return np.abs(x) + 0.5 if kind == "positive" else x


def compare(ours, theirs, *arrays, grad: bool = True, seed: int = 0, tol=TOL):
    """Run both on the same arrays; compare values, shape and dtype, then (if `grad`) backward
    the same random δ through both and compare every input's gradient."""
    wants = [grad and a.dtype.kind == "f" for a in arrays]
    ts = [tc.tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]
    ps = [torch.tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]
    out, ref = ours(*ts), theirs(*ps)
    assert out.shape == tuple(ref.shape), (out.shape, ref.shape)
    assert TORCH_DTYPES[out.dtype] == ref.dtype, (out.dtype, ref.dtype)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **tol)
    if grad and ref.requires_grad:
        delta = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
        out.backward(delta)
        ref.backward(torch.tensor(delta))
        for t, p in zip(ts, ps):
            if p.requires_grad:
                expected = p.grad.numpy() if p.grad is not None else np.zeros(p.shape)
                got = t.grad if t.grad is not None else np.zeros(t.shape)
                np.testing.assert_allclose(got, expected, **tol)
    return out


# -- elementwise --------------------------------------------------------------------------------
BINARY = {
    "add": (lambda a, b: a + b, "normal"), "sub": (lambda a, b: a - b, "normal"),
    "mul": (lambda a, b: a * b, "normal"), "div": (lambda a, b: a / b, "positive"),
    "pow": (lambda a, b: a ** b, "positive"), "maximum": (lambda a, b: a.maximum(b), "ties"),
    "minimum": (lambda a, b: a.minimum(b), "ties"), "remainder": (lambda a, b: a % b, "positive"),
    "add_alpha": (lambda a, b: a.add(b, alpha=0.5), "normal"),
    "sub_alpha": (lambda a, b: a.sub(b, alpha=-2), "normal"),
    "rsub": (lambda a, b: 2.5 - a * b, "normal"), "rdiv": (lambda a, b: 1.5 / (a + b), "positive"),
    "rpow": (lambda a, b: 2.0 ** (a - b), "normal"),
    "matmul_like_mul": (lambda a, b: a.mul(b).neg(), "normal"),
}


@SETTINGS
@given(name=st.sampled_from(sorted(BINARY)), seed=seeds,
       shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3))
def test_binary_ops_broadcast_like_pytorch(name, shapes, seed):
    """add, sub, mul, div, pow, maximum, minimum (ties split δ), remainder, alpha=, reflected
    scalar operators — over every broadcastable pair of shapes up to 4-D."""
    fn, kind = BINARY[name]
    a, b = (values(seed + i, s, kind) for i, s in enumerate(shapes.input_shapes))
    compare(fn, fn, a, b, seed=seed)


UNARY = {
    "exp": (lambda x: x.exp(), "normal"), "log": (lambda x: x.log(), "positive"),
    "sqrt": (lambda x: x.sqrt(), "positive"), "rsqrt": (lambda x: x.rsqrt(), "positive"),
    "abs": (lambda x: x.abs(), "normal"), "neg": (lambda x: -x, "normal"),
    "square": (lambda x: x.square(), "normal"), "relu": (lambda x: x.relu(), "ties"),
    "sigmoid": (lambda x: x.sigmoid(), "normal"), "tanh": (lambda x: x.tanh(), "normal"),
    "leaky_relu": (lambda x: x.leaky_relu(0.2) if isinstance(x, tc.Tensor)
                   else torch.nn.functional.leaky_relu(x, 0.2), "normal"),
    "clamp": (lambda x: x.clamp(-1.0, 1.0), "ties"), "clamp_min": (lambda x: x.clamp(min=0.0), "ties"),
    "clamp_max": (lambda x: x.clamp(max=-0.5), "normal"), "clip": (lambda x: x.clip(-0.3, 0.4), "normal"),
    "pow_int": (lambda x: x ** 3, "normal"), "pow_zero": (lambda x: x ** 0, "ties"),
    "pow_half": (lambda x: x ** 0.5, "positive"), "softmax": (lambda x: x.softmax(-1), "normal"),
    "log_softmax": (lambda x: x.log_softmax(0), "normal"), "clone": (lambda x: x.clone() * 2, "normal"),
    "float_cast": (lambda x: x.float().double(), "normal"),
}


@SETTINGS
@given(name=st.sampled_from(sorted(UNARY)), shape=shapes, seed=seeds)
def test_unary_ops_match_pytorch(name, shape, seed):
    """exp, log, sqrt, rsqrt, abs, neg, square, relu (0 at ties), sigmoid, tanh, leaky_relu,
    clamp/clip (δ passes at the bounds), pow by constants (x⁰ has δ 0), softmax, log_softmax,
    clone, float/double casts — on shapes from 0-d to 4-D."""
    fn, kind = UNARY[name]
    tol = dict(rtol=1e-6, atol=1e-7, equal_nan=True) if name == "float_cast" else TOL
    compare(fn, fn, values(seed, shape, kind), seed=seed, tol=tol)


# -- reductions ---------------------------------------------------------------------------------
@st.composite
def shape_and_dims(draw, min_dims=0):
    shape = draw(array_shapes(min_dims=min_dims, max_dims=4, min_side=1, max_side=4))
    n = len(shape)
    choice = draw(st.sampled_from(["none", "int", "tuple"]))
    if choice == "none":
        dim = None
    elif choice == "int" or n == 0:
        dim = draw(st.integers(-max(n, 1), max(n, 1) - 1))
    else:
        axes = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
        dim = tuple(a - n if draw(st.booleans()) else a for a in axes)
    return shape, dim


REDUCTIONS = {
    "sum": (lambda x, d, k: x.sum(d, keepdim=k) if d is not None else x.sum(), "normal"),
    "mean": (lambda x, d, k: x.mean(d, keepdim=k) if d is not None else x.mean(), "normal"),
    "amax": (lambda x, d, k: x.amax(d, keepdim=k) if d is not None else x.amax(), "ties"),
    "amin": (lambda x, d, k: x.amin(d, keepdim=k) if d is not None else x.amin(), "ties"),
    "var": (lambda x, d, k: x.var(d, keepdim=k), "normal"),
    "var_biased": (lambda x, d, k: x.var(d, keepdim=k, unbiased=False), "normal"),
    "var_correction": (lambda x, d, k: x.var(d, keepdim=k, correction=0), "normal"),
    "std": (lambda x, d, k: x.std(d, keepdim=k), "normal"),
    "norm": (lambda x, d, k: x.norm(2, d, k) if d is not None else x.norm(), "positive"),
    "norm_p1": (lambda x, d, k: x.norm(1, d, k) if d is not None else x.norm(1), "positive"),
    "norm_p3": (lambda x, d, k: x.norm(3, d, k) if d is not None else x.norm(3), "positive"),
    "logsumexp": (lambda x, d, k: x.logsumexp(d if d is not None else tuple(range(x.dim())),
                                              keepdim=k), "normal"),
}


@SETTINGS
@given(name=st.sampled_from(sorted(REDUCTIONS)), sd=shape_and_dims(), keepdim=st.booleans(),
       seed=seeds)
def test_reductions_match_pytorch(name, sd, keepdim, seed):
    """sum, mean, amax/amin (tied extrema share δ evenly), var/std (unbiased, biased,
    correction=), norm (p = 2, 1, 3), logsumexp — dim None, int, negative, tuple; keepdim;
    0-d inputs with dim 0/−1."""
    shape, dim = sd
    fn, kind = REDUCTIONS[name]
    x = values(seed, shape, kind)
    if name in ("var", "std", "var_biased", "var_correction"):
        n = int(np.prod([shape[d] for d in (dim if isinstance(dim, tuple) else (dim,))])) \
            if dim is not None and shape else x.size
        assume(n > 1)               # n − 1 = 0: both give nan/inf, compared elsewhere
    compare(lambda t: fn(t, dim, keepdim), lambda t: fn(t, dim, keepdim), x, seed=seed)


@SETTINGS
@given(shape=shapes, data=st.data(), keepdim=st.booleans(), which=st.sampled_from(["max", "min"]),
       seed=seeds)
def test_max_min_with_dim_return_values_and_indices(shape, data, keepdim, which, seed):
    """x.max(dim, keepdim) / x.min(...) → (values, indices) with δ routed to the index, on data
    with ties; x.max() / x.min() → 0-d with ties sharing δ; argmax/argmin with dim and keepdim."""
    n = max(len(shape), 1)
    dim = data.draw(st.integers(-n, n - 1))
    x = values(seed, shape, "ties")
    t = tc.tensor(x, requires_grad=True)
    p = torch.tensor(x, requires_grad=True)
    ours, ref = getattr(t, which)(dim, keepdim=keepdim), getattr(p, which)(dim, keepdim=keepdim)
    np.testing.assert_array_equal(ours.values.data, ref.values.detach().numpy())
    np.testing.assert_array_equal(ours.indices.data, ref.indices.numpy())
    assert ours.indices.dtype == np.int64 and ours[0] is ours.values
    ours.values.sum().backward()
    ref.values.sum().backward()
    np.testing.assert_array_equal(t.grad, p.grad.numpy())
    compare(lambda a: getattr(a, which)(), lambda a: getattr(a, which)(), x, seed=seed)
    arg = "argmax" if which == "max" else "argmin"
    np.testing.assert_array_equal(getattr(tc.tensor(x), arg)(dim=dim, keepdim=keepdim).data,
                                  getattr(torch.tensor(x), arg)(dim=dim, keepdim=keepdim).numpy())
    np.testing.assert_array_equal(getattr(tc.tensor(x), arg)().data, getattr(torch.tensor(x), arg)().numpy())


# -- shape ops ----------------------------------------------------------------------------------
@st.composite
def shape_case(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    n = len(shape)
    op = draw(st.sampled_from(["transpose", "permute", "flatten", "squeeze", "unsqueeze",
                               "reshape", "view", "expand", "flip", "T", "mT", "getitem",
                               "swapaxes", "split", "chunk", "squeeze_all", "select"]))
    d = lambda lo=-n, hi=n - 1: draw(st.integers(lo, hi))  # noqa: E731
    if op == "transpose" or op == "swapaxes":
        args = (d(), d())
    elif op == "permute":
        args = tuple(draw(st.permutations(range(n))))
    elif op == "flatten":
        s = d(0, n - 1)
        args = (s - n if draw(st.booleans()) else s, d(s, n - 1))
    elif op == "unsqueeze":
        args = (d(-n - 1, n),)
    elif op in ("reshape", "view"):
        size = int(np.prod(shape))
        args = ((size,), (-1,), (1, size), (size, -1, 1))[d(0, 3)]
    elif op == "expand":
        args = tuple(draw(st.sampled_from([s if s != 1 else 3, -1])) for s in shape)
        args = (2,) + args if draw(st.booleans()) else args
    elif op == "flip":
        args = tuple(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)))
    elif op in ("squeeze", "select"):
        args = (d(),)
    elif op in ("split", "chunk"):
        args = (d(1, 3), d())
    elif op == "getitem":
        args = (tuple(draw(st.sampled_from([slice(None), slice(1, None), slice(None, None, 2), 0, -1]))
                      for _ in range(d(1, n))),)
    else:
        args = ()
    if op == "mT":
        assume(n >= 2)
    return shape, op, args


def apply_shape(x, op, args):
    if op in ("T", "mT"):
        return getattr(x, op)
    if op == "squeeze_all":
        return x.squeeze()
    if op == "getitem":
        return x[args[0]]
    if op == "select":
        return x.select(args[0], 0)
    if op in ("split", "chunk"):
        return tc.cat(list(getattr(x, op)(*args)), dim=args[1]) * 2 if isinstance(x, tc.Tensor) \
            else torch.cat(list(getattr(x, op)(*args)), dim=args[1]) * 2
    if op in ("reshape", "view"):
        return getattr(x, op)(*args)
    return getattr(x, op)(*args)


@SETTINGS
@given(case=shape_case(), seed=seeds)
def test_shape_ops_match_pytorch(case, seed):
    """transpose/swapaxes (negative dims: the gradient bug), permute, flatten(start, end),
    squeeze(dim)/squeeze(), unsqueeze, reshape/view with −1, expand (−1 and new dims), flip,
    .T, .mT, basic indexing, select, split/chunk (+ cat back) — 1-D to 4-D."""
    shape, op, args = case
    x = values(seed, shape)
    compare(lambda t: apply_shape(t, op, args), lambda t: apply_shape(t, op, args), x, seed=seed)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=3), count=st.integers(1, 3),
       data=st.data(), seed=seeds, stack=st.booleans())
def test_cat_and_stack_match_pytorch(shape, count, data, seed, stack):
    """tinygrad_cnn.cat along any dim (inputs of different sizes along it) and stack at any
    new dim, with δ split back to each input."""
    n = len(shape)
    if stack:
        dim = data.draw(st.integers(-n - 1, n))
        arrays = [values(seed + i, shape) for i in range(count)]
        compare(lambda *ts: tc.stack(ts, dim), lambda *ps: torch.stack(ps, dim), *arrays, seed=seed)
    else:
        dim = data.draw(st.integers(-n, n - 1))
        sizes = data.draw(st.lists(st.integers(1, 3), min_size=count, max_size=count))
        arrays = [values(seed + i, shape[:dim % n] + (s,) + shape[dim % n + 1:])
                  for i, s in enumerate(sizes)]
        compare(lambda *ts: tc.cat(ts, dim=dim), lambda *ps: torch.cat(ps, dim=dim), *arrays, seed=seed)


@st.composite
def matmul_shapes(draw):
    m, k, n = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)).input_shapes
    a = (k,) if draw(st.booleans()) else batch[0] + (m, k)
    b = (k,) if draw(st.booleans()) else batch[1] + (k, n)
    return a, b


@SETTINGS
@given(shapes=matmul_shapes(), seed=seeds)
def test_matmul_matches_pytorch(shapes, seed):
    """a @ b for 1-D @ 1-D, 1-D @ N-D, N-D @ 1-D and batched matrices whose batch dims
    broadcast; both gradients."""
    a, b = values(seed, shapes[0]), values(seed + 1, shapes[1])
    compare(lambda x, y: x @ y, lambda x, y: x @ y, a, b, seed=seed, tol=dict(rtol=1e-7, atol=1e-9))


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3), seed=seeds,
       scalar=st.sampled_from([None, 0.5, 2]))
def test_where_matches_pytorch(shapes, seed, scalar):
    """where(condition, a, b) with all three broadcast, Tensor.where, and a Python-number
    branch (dtype promoted as torch.where)."""
    c = np.random.default_rng(seed).random(shapes.input_shapes[0]) < 0.5
    a, b = values(seed, shapes.input_shapes[1]), values(seed + 1, shapes.input_shapes[2])
    compare(lambda x, y: tc.where(tc.tensor(c), x, y), lambda x, y: torch.where(torch.tensor(c), x, y),
            a, b, seed=seed)
    compare(lambda x, y: x.where(tc.tensor(c), y), lambda x, y: x.where(torch.tensor(c), y), a, b, seed=seed)
    if scalar is not None:
        compare(lambda x: tc.where(tc.tensor(c), x, scalar),
                lambda x: torch.where(torch.tensor(c), x, scalar), a, seed=seed)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), data=st.data(), seed=seeds)
def test_gather_and_masked_fill_match_pytorch(shape, data, seed):
    """gather(dim, index) with an index smaller than the input in the other dims (δ scattered
    back, repeats adding up), and masked_fill with a broadcast mask."""
    n = len(shape)
    dim = data.draw(st.integers(-n, n - 1))
    rng = np.random.default_rng(seed)
    index_shape = tuple(data.draw(st.integers(1, s)) if k != dim % n else data.draw(st.integers(1, 4))
                        for k, s in enumerate(shape))
    index = rng.integers(0, shape[dim], index_shape)
    x = values(seed, shape)
    compare(lambda t: t.gather(dim, tc.tensor(index)), lambda t: t.gather(dim, torch.tensor(index)),
            x, seed=seed)
    mask = rng.random(shape[-1:]) < 0.5
    compare(lambda t: t.masked_fill(tc.tensor(mask), -1.5),
            lambda t: t.masked_fill(torch.tensor(mask), -1.5), x, seed=seed)


# -- dtypes ---------------------------------------------------------------------------------------
DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_, np.float16]
OPERATORS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
             "/": lambda a, b: a / b, "==": lambda a, b: a == b, "<": lambda a, b: a < b,
             ">=": lambda a, b: a >= b, "!=": lambda a, b: a != b, "maximum": lambda a, b: a.maximum(b)
             if hasattr(a, "maximum") else torch.maximum(torch.as_tensor(a), b)}


@SETTINGS
@given(da=st.sampled_from(DTYPES), db=st.sampled_from(DTYPES + [int, float, bool]),
       zero_dim=st.tuples(st.booleans(), st.booleans()), op=st.sampled_from(sorted(OPERATORS)),
       seed=seeds)
def test_dtype_promotion_matches_pytorch(da, db, zero_dim, op, seed):
    """Result dtype (and values) of + − * / == < >= != maximum for every pair of bool, uint8,
    int32, int64, float16, float32, float64 tensors — 0-d or not — and Python int/float/bool
    operands: torch.result_type's rules."""
    rng = np.random.default_rng(seed)
    fn = OPERATORS[op]
    shape_a = () if zero_dim[0] else (3,)
    a = (rng.integers(1, 4, shape_a)).astype(da)
    if db in (int, float, bool):
        b = db(rng.integers(1, 4))
        tb_ours = tb_torch = b
    else:
        shape_b = () if zero_dim[1] else (3,)
        b = rng.integers(1, 4, shape_b).astype(db)
        tb_ours, tb_torch = tc.tensor(b), torch.tensor(b)
    assume(not (op == "maximum" and not hasattr(tb_torch, "dtype")))
    try:
        ref = fn(torch.tensor(a), tb_torch)
    except RuntimeError as err:     # torch refuses (bool subtraction): we refuse too
        with pytest.raises(RuntimeError, match="bool"):
            fn(tc.tensor(a), tb_ours)
        assert "bool" in str(err)
        return
    ours = fn(tc.tensor(a), tb_ours)
    assert TORCH_DTYPES[ours.dtype] == ref.dtype, (da, db, zero_dim, op, ours.dtype, ref.dtype)
    np.testing.assert_allclose(ours.data.astype(np.float64), ref.double().numpy(), rtol=1e-3)


@SETTINGS
@given(data=st.one_of(st.floats(-3, 3), st.integers(-3, 3), st.booleans(),
                      st.lists(st.floats(-3, 3), min_size=1, max_size=3),
                      st.lists(st.integers(-3, 3), min_size=1, max_size=3),
                      st.lists(st.booleans(), min_size=1, max_size=3)),
       fn=st.sampled_from(["exp", "sqrt_abs", "sigmoid", "mean_float", "sum", "neg", "abs", "float",
                           "long", "int", "double", "bool", "half", "div_int", "floordiv", "mod"]))
def test_constructor_and_unary_dtypes_match_pytorch(data, fn):
    """tensor(data) dtype inference (floats → float32, ints → int64, bools → bool) and the
    dtype of unary ops and casts on it (exp of an int → float32, sum of bool → int64, …)."""
    ops = {"exp": lambda t: t.exp(), "sqrt_abs": lambda t: t.abs().sqrt() if t.dtype not in
           (torch.bool, np.bool_) else t.sqrt(), "sigmoid": lambda t: t.sigmoid(),
           "mean_float": lambda t: t.float().mean(), "sum": lambda t: t.sum(), "neg": lambda t: -t,
           "abs": lambda t: t.abs(), "float": lambda t: t.float(), "long": lambda t: t.long(),
           "int": lambda t: t.int(), "double": lambda t: t.double(), "bool": lambda t: t.bool(),
           "half": lambda t: t.half(), "div_int": lambda t: t / 2, "floordiv": lambda t: t // 2,
           "mod": lambda t: t % 2}
    t, p = tc.tensor(data), torch.tensor(data)
    assert TORCH_DTYPES[t.dtype] == p.dtype
    try:
        ref = ops[fn](p)
    except RuntimeError:          # torch refuses (e.g. −bool, bool // 2): so must we
        with pytest.raises((RuntimeError, TypeError, ValueError)):
            ops[fn](t)
            raise RuntimeError("refused by torch") from None
        return
    with np.errstate(all="ignore"):
        ours = ops[fn](t)
    assert TORCH_DTYPES[ours.dtype] == ref.dtype, (data, fn, ours.dtype, ref.dtype)
    np.testing.assert_allclose(ours.data.astype(np.float64), ref.double().numpy(), rtol=2e-3,
                               atol=1e-6, equal_nan=True)


# -- in-place updates -----------------------------------------------------------------------------
INPLACE = {
    "+=": lambda x: operator.iadd(x, 0.5), "-=": lambda x: operator.isub(x, x * 0.1),
    "*=": lambda x: operator.imul(x, 1.5), "/=": lambda x: operator.itruediv(x, 2.0),
    "add_": lambda x: x.add_(x, alpha=-0.5), "sub_": lambda x: x.sub_(0.25, alpha=2),
    "mul_": lambda x: x.mul_(x), "div_": lambda x: x.div_(4.0), "neg_": lambda x: x.neg_(),
    "clamp_": lambda x: x.clamp_(-0.5, 0.5), "clamp_max": lambda x: x.clamp_(max=0.1),
    "fill_": lambda x: x.fill_(0.75), "zero_": lambda x: x.zero_(),
    "setitem": lambda x: x.__setitem__((Ellipsis, 0), 2.0) if x.dim() else x.fill_(2.0),
    "copy_": lambda x: x.copy_(x * 3),
}


@SETTINGS
@given(names=st.lists(st.sampled_from(sorted(INPLACE)), min_size=1, max_size=4), shape=shapes,
       seed=seeds)
def test_in_place_updates_under_no_grad_match_pytorch(names, shape, seed):
    """Sequences of +=, −=, *=, /=, add_/sub_ (alpha=), mul_, div_, neg_, clamp_, fill_, zero_,
    item assignment and copy_ on a leaf that requires grad, under no_grad: same values, the
    same object, still a leaf that requires grad and gets the right gradient afterwards."""
    x = values(seed, shape)
    t, p = tc.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    before = t
    with tc.no_grad(), torch.no_grad():
        for name in names:
            INPLACE[name](t)
            INPLACE[name](p)
    assert t is before and t.requires_grad and t.is_leaf
    np.testing.assert_allclose(t.data, p.detach().numpy(), **TOL)
    (t * t).sum().backward()
    (p * p).sum().backward()
    np.testing.assert_allclose(t.grad, p.grad.numpy(), **TOL)
