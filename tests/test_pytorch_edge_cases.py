"""Tests that pin PyTorch 2.13's behaviour at the edges where the mutation round found the package
deviating (docs/testing.md, "Bugs the survivors showed, fixed"):

* `size(dim)` and `select` of a 0-d tensor raise IndexError;
* integer division and remainder by zero raise (RuntimeError, and ZeroDivisionError), while float
  division keeps giving ±inf and nan silently;
* subtracting two bools (bool tensors, Python or NumPy bools beside a bool tensor) is refused with
  PyTorch's advice, `^` / logical_xor();
* `sum`/`cumsum`/`prod` compute in the dtype they are given, and `prod` of integers is int64;
* `flatten` with a size-0 dim outside the flattened range;
* `fill_`/`full`/`new_full` round a Python int once to float32 (and refuse one beyond 64 bits);
* the logsumexp gradient of slices that hold ±inf;
* `max_unpool2d` names an out-of-range index (the first), also a negative one;
* cross-entropy 'mean' over a zero total class weight is nan, also with label smoothing;
* the lr schedulers move each group's lr on from its current value (resumed with `last_epoch`,
  or two on one optimizer).

Each compares with PyTorch where the API matches, and pins our whole error message.
"""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from conftest import need

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor
from tinygrad_cnn.checks import ArgumentError, DimensionError, IntegerDivisionError
from tinygrad_cnn.optim import SGD, lr_scheduler
from tinygrad_cnn.tensor import DtypeError

try:   # imported here, not in the test: mutmut forks its workers after collection, and an import
    import torch as _torch  # noqa: F401  # of torch in every forked worker exceeds its time limit
except ImportError:
    _torch = None


# -- size / select of a 0-d tensor -------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, -1, 1, -2])
def test_size_of_a_dim_of_a_0d_tensor_raises_index_error_like_pytorch(dim):
    torch = need("torch")
    with pytest.raises(IndexError):
        torch.tensor(1.0).size(dim)
    with pytest.raises(DimensionError) as caught:
        Tensor(1.0).size(dim)
    assert isinstance(caught.value, IndexError)
    assert str(caught.value) == (f"size: dim {dim} is out of range for a 0-d tensor, which has no "
                                 "dimensions; expected a tensor with at least 1 dimension")
    assert Tensor(1.0).size() == tuple(torch.tensor(1.0).size()) == ()


def test_select_of_a_0d_tensor_raises_index_error_like_pytorch():
    torch = need("torch")
    with pytest.raises(IndexError):
        torch.tensor(1.0).select(0, 0)
    with pytest.raises(DimensionError) as caught:
        Tensor(1.0).select(0, 0)
    assert str(caught.value) == ("select: dim 0 is out of range for a 0-d tensor, which has no "
                                 "dimensions; expected a tensor with at least 1 dimension")


# -- integer division by zero ------------------------------------------------------------------

INTEGER_DIVISIONS = {
    "div_trunc": lambda L, a, b: L.div(a, b, rounding_mode="trunc"),
    "div_floor": lambda L, a, b: L.div(a, b, rounding_mode="floor"),
    "floor_divide": lambda L, a, b: a.floor_divide(b),
    "floordiv_operator": lambda L, a, b: a // b,
    "floordiv_by_a_python_zero": lambda L, a, b: a // 0,
    "reflected_floordiv": lambda L, a, b: 7 // b,
    "remainder": lambda L, a, b: L.remainder(a, b),
    "mod_operator": lambda L, a, b: a % b,
    "reflected_mod": lambda L, a, b: 7 % b,
}


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
@pytest.mark.parametrize("case", sorted(INTEGER_DIVISIONS))
def test_integer_division_by_zero_raises_like_pytorch(case, dtype):
    torch = need("torch")
    call = INTEGER_DIVISIONS[case]
    a, b = np.array([5, 6, 7], dtype=dtype), np.array([2, 0, 3], dtype=dtype)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call(torch, torch.tensor(a), torch.tensor(b))
    with pytest.raises(IntegerDivisionError) as caught:
        call(tg, Tensor(a), Tensor(b))
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, ZeroDivisionError)


def test_integer_division_by_zero_names_the_op_the_divisor_and_the_remedy():
    with pytest.raises(ZeroDivisionError) as caught:
        Tensor([[5, 6], [7, 8]]) // Tensor([[0, 1], [0, 2]])
    assert str(caught.value) == ("floor_divide: integer division by zero: the int64 divisor of shape "
                                 "(2, 2) has 2 zero elements; expected nonzero divisors, or "
                                 "floating-point operands for ±inf and nan")
    with pytest.raises(ZeroDivisionError) as caught:
        Tensor([5, 6]).div(0, rounding_mode="trunc")
    assert str(caught.value) == ("div: integer division by zero: the int64 divisor of shape () has 1 "
                                 "zero element; expected nonzero divisors, or floating-point operands "
                                 "for ±inf and nan")


SILENT_DIVISIONS = [
    lambda L: L.div(L.tensor([1, -2, 0]), 0.0, rounding_mode="floor"),     # promoted to float
    lambda L: L.div(L.tensor([1.0, -2.0, 0.0]), L.tensor([0.0, 0.0, 0.0]), rounding_mode="trunc"),
    lambda L: L.tensor([1.0, -2.0, 0.0]) // 0,
    lambda L: L.tensor(np.zeros(0, np.int64)) // 0,                      # nothing to divide
    lambda L: L.tensor(np.zeros(0, np.int64)) % 0,
]


def test_only_a_nonempty_integer_division_by_zero_raises_like_pytorch():
    torch = need("torch")
    for call in (lambda L: L.tensor([4, 5]) // L.tensor([1, 0]), lambda L: L.tensor([4, 5]) % 0):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            call(torch)
        with pytest.raises(ZeroDivisionError):
            call(tg)
    for call in SILENT_DIVISIONS:       # floats give ±inf and nan, silently
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = call(tg)
        theirs = call(torch)
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
        np.testing.assert_array_equal(ours.data, theirs.numpy())


# -- subtraction of two bools ------------------------------------------------------------------

TWO_BOOLS = ("sub: subtraction, the `-` operator, with two bool tensors is not supported; use `^` or "
             "logical_xor() instead")


@pytest.mark.parametrize("subtract", [
    lambda L: L.tensor([True, False]) - L.tensor([True, True]),
    lambda L: L.tensor([True, False]).sub(L.tensor([True, True])),
    lambda L: L.tensor([True, False]) - True,
    lambda L: True - L.tensor([True, False]),
    lambda L: L.tensor([True, False]).sub_(True),
])
def test_subtraction_of_two_bools_is_refused_like_pytorch_and_suggests_xor(subtract):
    torch = need("torch")
    with pytest.raises(RuntimeError, match=r"with two bool tensors is not supported. Use the `\^`"):
        subtract(torch)
    with pytest.raises(DtypeError) as caught:
        subtract(tg)
    assert str(caught.value) == TWO_BOOLS


@pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")   # torch's side hands this to NumPy
@pytest.mark.parametrize("other", [np.array([True, False]), np.array(True)])
def test_a_bool_tensor_minus_a_numpy_bool_array_is_refused_as_two_bools(other):
    torch = need("torch")
    with pytest.raises(TypeError):          # PyTorch hands it to NumPy, which refuses bool − bool
        torch.tensor([True, True]) - other
    with pytest.raises(TypeError) as caught:
        Tensor([True, True]) - other
    assert str(caught.value) == TWO_BOOLS


# -- sum / cumsum / prod with a dtype ----------------------------------------------------------


def _dtype_name(t):
    return str(t.dtype).removeprefix("torch.")


@pytest.mark.parametrize("source", ["int32", "int64", "uint8", "int8", "bool", "float32"])
@pytest.mark.parametrize("dtype", ["int32", "int16", "uint8", "int64", "float64", "bool"])
@pytest.mark.parametrize("dim", [None, 0])
def test_sum_with_a_dtype_gives_that_dtype_like_pytorch(source, dtype, dim):
    torch = need("torch")
    x = np.array([[1, 0, 3], [4, 5, 0]], dtype=source)
    kwargs = {"dtype": getattr(torch, dtype)} if dim is None else {"dim": dim, "dtype": getattr(torch, dtype)}
    theirs = torch.tensor(x).sum(**kwargs)
    ours = Tensor(x).sum(**{**kwargs, "dtype": dtype})
    assert ours.dtype == np.dtype(_dtype_name(theirs))
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("source", ["int32", "uint8", "bool", "float32"])
@pytest.mark.parametrize("dtype", ["int32", "int16", "uint8", "float64"])
def test_cumsum_with_a_dtype_gives_that_dtype_like_pytorch(source, dtype):
    torch = need("torch")
    x = np.array([[1, 0, 3], [4, 5, 0]], dtype=source)
    theirs = torch.tensor(x).cumsum(1, dtype=getattr(torch, dtype))
    ours = Tensor(x).cumsum(1, dtype=dtype)
    assert ours.dtype == np.dtype(_dtype_name(theirs))
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_cumsum_to_bool_is_not_implemented_like_pytorch():
    torch = need("torch")
    with pytest.raises(NotImplementedError):
        torch.tensor([1, 0, 2]).cumsum(0, dtype=torch.bool)
    with pytest.raises(NotImplementedError) as caught:
        Tensor([1, 0, 2]).cumsum(0, dtype="bool")
    assert str(caught.value) == ("cumsum: dtype=bool is not implemented (as in PyTorch); expected a "
                                 "numeric dtype")


@pytest.mark.parametrize("source", ["int32", "uint8", "int8", "bool", "float32"])
@pytest.mark.parametrize("dtype", [None, "int32", "int16", "float64", "bool"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_of_integers_is_int64_and_takes_a_dtype_like_pytorch(source, dtype, dim):
    torch = need("torch")
    x = np.array([[1, 2, 3], [4, 5, 1]], dtype=source)
    tk = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    ok = {} if dtype is None else {"dtype": dtype}
    theirs = torch.tensor(x).prod(**tk) if dim is None else torch.tensor(x).prod(dim, **tk)
    ours = Tensor(x).prod(**ok) if dim is None else Tensor(x).prod(dim, **ok)
    assert ours.dtype == np.dtype(_dtype_name(theirs))
    np.testing.assert_array_equal(ours.data, theirs.numpy())


# -- flatten with size-0 dims ------------------------------------------------------------------


@pytest.mark.parametrize("shape, start, end", [((0, 2, 3), 1, -1), ((2, 3, 0), 0, 1), ((2, 0, 3), 0, 0),
                                               ((0, 2, 3), 0, 1), ((2, 3, 0, 4), 0, 1),
                                               ((2, 3, 0, 4), 1, 3), ((3, 0), 1, 1)])
def test_flatten_with_a_size_0_dim_outside_the_range_matches_pytorch(shape, start, end):
    torch = need("torch")
    x = np.zeros(shape, np.float32)
    ours, theirs = Tensor(x).flatten(start, end), torch.tensor(x).flatten(start, end)
    assert ours.shape == tuple(theirs.shape)


# -- fill_ / full / new_full with a Python int above 2**53 -------------------------------------

LARGE_INTS = [2**53 + 1, 2**60 + 2**36 + 1, -(2**60 + 2**36 + 1), 2**62 + 2**38 + 1,
              (2**24 - 2) * 2**39 + 2**38 + 1, 2**63 - 1, -2**63, 2**63 + 2**39 + 1, 2**64 - 1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("value", LARGE_INTS)
def test_filling_a_float_tensor_with_a_large_int_rounds_once_like_pytorch(value, dtype):
    torch = need("torch")
    theirs = torch.zeros(2, dtype=getattr(torch, dtype)).fill_(value).numpy()
    filled = Tensor(np.zeros(2, dtype)).fill_(value)
    full = tg.full((2,), value, dtype=dtype)
    new_full = Tensor(np.zeros(1, dtype)).new_full((2,), value)
    for ours in (filled, full, new_full):
        assert ours.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(ours.data, theirs)


@pytest.mark.parametrize("value", [2**64, -2**63 - 1, 2**70])
def test_filling_a_float_tensor_with_an_int_beyond_64_bits_raises_overflow_error_like_pytorch(value):
    torch = need("torch")
    with pytest.raises(OverflowError):
        torch.zeros(2).fill_(value)
    with pytest.raises(OverflowError) as caught:
        Tensor(np.zeros(2, np.float32)).fill_(value)
    assert str(caught.value) == (f"fill_: the Python int ({value.bit_length()} bits) does not fit in "
                                 "int64 or uint64; expected an int in [-2**63, 2**64)")
    with pytest.raises(OverflowError):
        tg.full((2,), value, dtype="float32")


# -- logsumexp gradient of slices holding infinities -------------------------------------------

INF = float("inf")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("row", [[1.0, 100.0, INF], [1.0, 2.0, INF], [INF, INF, 1.0], [-INF, -INF, -INF],
                                 [-INF, 1.0, 2.0], [INF, -INF, 1.0], [INF, -INF, 100.0],
                                 [300.0, 89.0, INF], [100.0, 200.0, -INF], [-INF, -INF, 100.0]])
def test_logsumexp_value_and_gradient_with_infinities_match_pytorch(row, dtype):
    torch = need("torch")
    x = np.array([row, [1.0, 2.0, 3.0]], dtype=dtype)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # NumPy warns about the inf − inf it computes
        out = ours.logsumexp(1)
        out.backward(np.array([1.0, 0.5], dtype))
    ref = theirs.logsumexp(1)
    ref.backward(torch.tensor([1.0, 0.5], dtype=getattr(torch, dtype)))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-6, atol=0)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6, atol=0)   # nan where nan, 0 where 0


# -- max_unpool2d with an index out of range ---------------------------------------------------


@pytest.mark.parametrize("indices, first", [([[0, 1], [-1, 3]], -1), ([[-5, 1], [16, 3]], -5),
                                            ([[0, -1], [-3, 3]], -1), ([[0, 1], [16, 3]], 16),
                                            ([[0, 1], [2, -16]], -16)])
def test_max_unpool2d_names_an_out_of_range_index_even_a_negative_one_like_pytorch(indices, first):
    torch = need("torch")
    x, idx = np.arange(1.0, 5.0).reshape(1, 1, 2, 2), np.array(indices).reshape(1, 1, 2, 2)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.max_unpool2d(torch.tensor(x), torch.tensor(idx), 2)
    named = int(re.search(r"invalid max index: (-?\d+)", str(theirs.value)).group(1))
    assert not 0 <= named < 16       # which bad index PyTorch names varies from call to call
    with pytest.raises(ArgumentError) as caught:
        F.max_unpool2d(Tensor(x), Tensor(idx), 2)
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, ValueError)
    assert str(caught.value) == f"max_unpool2d: index {first} is out of range for an output plane of 4×4"


# -- cross-entropy over a zero total class weight ----------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("weight, target", [([0.0, 0.0, 1.0, 1.0], [0, 1, 1]),   # the targets' weights are 0
                                            ([0.0, 0.0, 0.0, 0.0], [0, 3, 1]),
                                            ([0.0, 0.0, 1.0, 1.0], [0, -100, 1])])
def test_cross_entropy_over_a_zero_total_class_weight_matches_pytorch(weight, target, smoothing, reduction):
    torch = need("torch")
    z = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    kwargs = {"reduction": reduction, "label_smoothing": smoothing}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = F.cross_entropy(Tensor(z), Tensor(target), weight=Tensor(weight), **kwargs)
    theirs = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(target),
                                               weight=torch.tensor(weight), **kwargs)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6, atol=1e-7)   # nan for 'mean'
    assert (reduction == "mean") == bool(np.isnan(ours.data).all())


# -- lr schedulers resumed with last_epoch, or chained -----------------------------------------

SCHEDULERS = {
    "StepLR": {"step_size": 2, "gamma": 0.5},
    "MultiStepLR": {"milestones": [1, 3, 4, 4], "gamma": 0.5},
    "ExponentialLR": {"gamma": 0.5},
    "CosineAnnealingLR": {"T_max": 5},
    "CosineAnnealingLR_eta_min": {"T_max": 3, "eta_min": 0.01},
    "LambdaLR": {"lr_lambda": lambda e: 1 / (e + 1)},
}


def _optimizer(module, lr, initial_lr=None):
    if module is None:
        opt = SGD([Tensor(np.zeros(1, np.float32), requires_grad=True)], lr=lr)
    else:
        opt = module.optim.SGD([module.nn.Parameter(module.zeros(1))], lr=lr)
    if initial_lr is not None:
        opt.param_groups[0]["initial_lr"] = initial_lr
    return opt


def _rates(module, opt, make, steps):
    sched = make(module.optim.lr_scheduler if module is not None else lr_scheduler, opt)
    rates = [(opt.param_groups[0]["lr"], sched.get_last_lr()[0], sched.last_epoch)]
    for _ in range(steps):
        opt.step()
        sched.step()
        rates.append((opt.param_groups[0]["lr"], sched.get_last_lr()[0], sched.last_epoch))
    return rates


def _same_rates(ours, theirs):
    assert [r[2] for r in ours] == [r[2] for r in theirs]
    np.testing.assert_allclose([r[:2] for r in ours], [r[:2] for r in theirs], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("last_epoch", [0, 2, 3, 7])
@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_resumed_with_last_epoch_moves_on_from_the_groups_lr_like_pytorch(name, last_epoch):
    torch = need("torch")
    cls, kwargs = name.split("_")[0], SCHEDULERS[name]

    def make(module, opt):
        return getattr(module, cls)(opt, last_epoch=last_epoch, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # PyTorch's warnings about the order of step() calls
        theirs = _rates(torch, _optimizer(torch, 0.1, initial_lr=0.3), make, 6)
    _same_rates(_rates(None, _optimizer(None, 0.1, initial_lr=0.3), make, 6), theirs)


def test_two_schedulers_on_one_optimizer_chain_like_pytorch():
    torch = need("torch")

    def rates(module):
        opt = _optimizer(module if module is not None else None, 0.1)
        m = module.optim.lr_scheduler if module is not None else lr_scheduler
        decay, cosine = m.ExponentialLR(opt, gamma=0.9), m.CosineAnnealingLR(opt, T_max=4)
        out = []
        for _ in range(9):
            opt.step()
            decay.step()
            cosine.step()
            out.append(opt.param_groups[0]["lr"])
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = rates(torch)
    ours = rates(None)
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(ours, theirs))
