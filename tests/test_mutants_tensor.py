"""Tests that pin Tensor API behaviour found unpinned by mutation testing, compared with PyTorch
where it has the same API.

Covered: size, len/iter, numpy/__array__, __bool__/__index__, register_hook and its handle, dot,
~, leaky_relu, softmax, t, the in-place operators and writers (their op names in error messages,
their values), the new_* constructors and the Tensor.zeros/ones/randn factories.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import need

from tinygrad_cnn import Tensor, manual_seed
from tinygrad_cnn.checks import DimensionError, ShapeError
from tinygrad_cnn.tensor import DtypeError

try:   # imported here, not in the test: mutmut forks its workers after collection, and an import
    import torch as _torch  # noqa: F401  # of torch in every forked worker exceeds its time limit
except ImportError:
    _torch = None

M = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], dtype=np.float32)


def raised(fn):
    """The exception `fn()` raises (the test fails if it raises none)."""
    with pytest.raises(Exception) as caught:
        fn()
    return caught.value


# -- size, __len__, __iter__ ---------------------------------------------------------------------


def test_size_of_a_dim_out_of_range_names_size_and_the_valid_range():
    with pytest.raises(DimensionError) as caught:
        Tensor(M).size(5)
    assert str(caught.value) == ("size: dim 5 is out of range for a tensor with 2 dimensions; "
                                 "expected a dim in [-2, 1]")


@pytest.mark.parametrize("data", [[1.0, 2.0, 3.0], M, [[1]]])
def test_len_and_iteration_follow_the_first_dim_like_pytorch(data):
    torch = need("torch")
    x, ref = Tensor(data), torch.tensor(np.asarray(data))
    assert len(x) == len(ref)
    assert [row.tolist() for row in x] == [row.tolist() for row in ref]


@pytest.mark.parametrize("use", [len, iter])
def test_len_and_iteration_of_a_0d_tensor_raise_pytorchs_type_error(use):
    torch = need("torch")
    theirs = raised(lambda: use(torch.tensor(1.0)))
    with pytest.raises(TypeError) as caught:
        use(Tensor(1.0))
    assert str(caught.value) == str(theirs)


# -- numpy, __array__, __bool__, __index__ ---------------------------------------------------------


def test_numpy_of_a_tensor_that_requires_grad_says_to_detach_first():
    with pytest.raises(RuntimeError) as caught:
        Tensor([1.0], requires_grad=True).numpy()
    assert str(caught.value) == ("numpy: can't call numpy() on a tensor that requires grad; use "
                                 "tensor.detach().numpy()")


@pytest.mark.parametrize("data", [[1, 2], [1.5, -2.0], [True, False]])
def test_asarray_keeps_the_tensors_dtype(data):
    x = Tensor(data)
    out = np.asarray(x)
    assert out.dtype == x.dtype and out.tolist() == x.tolist()


@pytest.mark.parametrize("dtype", [np.int32, np.float64, np.float16])
def test_array_protocol_with_a_dtype_converts_like_pytorch(dtype):
    torch = need("torch")
    theirs = torch.tensor([1.5, -2.0]).__array__(dtype)
    ours = Tensor([1.5, -2.0]).__array__(dtype)
    assert ours.dtype == theirs.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(ours, theirs)


def test_bool_of_several_values_is_ambiguous_and_says_what_to_use():
    with pytest.raises(RuntimeError) as caught:
        bool(Tensor([1, 1]))
    assert str(caught.value) == ("Boolean value of a tensor of shape (2,) with more than one value is "
                                 "ambiguous; use .any() or .all()")


@pytest.mark.parametrize("index, described", [(Tensor(1.0), "float32 of shape ()"),
                                              (Tensor([1, 1]), "int64 of shape (2,)")])
def test_only_a_one_element_integer_tensor_is_an_index(index, described):
    with pytest.raises(TypeError) as caught:
        [10, 20, 30][index]
    assert str(caught.value) == ("only integer tensors of a single element can be converted to an "
                                 f"index, got {described}")
    assert [10, 20, 30][Tensor(1)] == 20


# -- register_hook and its handle ----------------------------------------------------------------


def test_register_hook_on_a_tensor_without_grad_is_refused():
    with pytest.raises(RuntimeError) as caught:
        Tensor([1.0]).register_hook(lambda g: None)
    assert str(caught.value) == ("register_hook: can't register a hook on a tensor that does not "
                                 "require grad")


def test_hooks_run_in_registration_order_and_remove_unregisters_only_its_own():
    x = Tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handles = [x.register_hook(lambda g, i=i: seen.append(i)) for i in range(3)]
    (x * 2).sum().backward()
    assert seen == [0, 1, 2]
    handles[1].remove()
    handles[1].remove()                      # a second remove() is harmless, as in PyTorch
    seen.clear()
    (x * 2).sum().backward()
    assert seen == [0, 2]
    handles[0].remove()
    handles[2].remove()
    seen.clear()
    (x * 2).sum().backward()
    assert seen == []


# -- dot, ~, leaky_relu ---------------------------------------------------------------------------


def test_dot_of_two_vectors_matches_pytorch():
    torch = need("torch")
    a, b = [1.0, -2.0, 3.0], [4.0, 0.5, -1.0]
    ours = Tensor(a).dot(Tensor(b))
    assert ours.shape == () and ours.item() == torch.tensor(a).dot(torch.tensor(b)).item()


@pytest.mark.parametrize("other, shape", [(Tensor(M), "(2, 3)"), ([[1.0, 2.0, 3.0]], "(1, 3)"),
                                          (2.0, "()")])
def test_dot_with_a_non_vector_names_both_shapes(other, shape):
    with pytest.raises(ShapeError) as caught:
        Tensor([1.0, 2.0, 3.0]).dot(other)
    assert str(caught.value) == f"dot: expected two 1-D tensors, got shapes (3,) and {shape}"


def test_bitwise_not_of_a_float_tensor_names_the_dtype():
    with pytest.raises(DtypeError) as caught:
        ~Tensor([1.0])
    assert str(caught.value) == "bitwise_not: expected a boolean or integer tensor, got float32"


@pytest.mark.parametrize("kwargs", [{}, {"negative_slope": 0.2}])
def test_leaky_relu_matches_pytorch(kwargs):
    torch = need("torch")
    ours = Tensor(M).leaky_relu(**kwargs)
    theirs = torch.nn.functional.leaky_relu(torch.tensor(M), **kwargs)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


# -- softmax ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["softmax", "log_softmax"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 0}, {"dim": 1}, {"dim": -2}, {"axis": 0},
                                    {"dtype": "float64"}, {"dim": 0, "dtype": "float64"}])
def test_softmax_and_log_softmax_match_pytorch(method, kwargs):
    torch = need("torch")
    ours = getattr(Tensor(M), method)(**kwargs)
    theirs_kwargs = {"dim": kwargs.get("dim", kwargs.get("axis", -1))}    # PyTorch has no axis=
    if "dtype" in kwargs:
        theirs_kwargs["dtype"] = getattr(torch, kwargs["dtype"])
    theirs = getattr(torch.tensor(M), method)(**theirs_kwargs)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("method", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_refuse_both_dim_and_its_alias_axis(method):
    with pytest.raises(TypeError) as caught:
        getattr(Tensor(M), method)(0, axis=0)
    assert str(caught.value) == f"{method}: got both dim= and its alias axis=; pass one"


# -- t ---------------------------------------------------------------------------------------------


def test_t_of_a_matrix_swaps_its_two_dims_like_pytorch():
    torch = need("torch")
    ours = Tensor(M).t()
    assert ours.shape == (3, 2)
    np.testing.assert_array_equal(ours.data, torch.tensor(M).t().numpy())


@pytest.mark.parametrize("data", [2.0, [1.0, 2.0]])
def test_t_returns_a_0d_or_1d_tensor_as_is(data):
    """PyTorch's documentation: "0-D and 1-D tensors are returned as is"."""
    x = Tensor(data)
    assert x.t() is x


def test_t_of_a_3d_tensor_names_its_shape():
    with pytest.raises(ShapeError) as caught:
        Tensor(np.zeros((2, 3, 4))).t()
    assert str(caught.value) == "t: expects a tensor with <= 2 dims, got shape (2, 3, 4)"


# -- in-place operators and writers ----------------------------------------------------------------

IN_PLACE = [
    ("__setitem__", lambda w: w.__setitem__(0, 5.0)), ("add_", lambda w: w.__iadd__(1.0)),
    ("sub_", lambda w: w.__isub__(1.0)), ("mul_", lambda w: w.__imul__(2.0)),
    ("div_", lambda w: w.__itruediv__(2.0)), ("pow_", lambda w: w.__ipow__(2.0)),
    ("add_", lambda w: w.add_(1.0)), ("sub_", lambda w: w.sub_(1.0)), ("mul_", lambda w: w.mul_(2.0)),
    ("div_", lambda w: w.div_(2.0)), ("pow_", lambda w: w.pow_(2.0)), ("neg_", lambda w: w.neg_()),
    ("clamp_", lambda w: w.clamp_(0.0, 1.0)), ("zero_", lambda w: w.zero_()),
    ("fill_", lambda w: w.fill_(3.0)), ("copy_", lambda w: w.copy_([1.0, 1.0])),
]


@pytest.mark.parametrize("op, update", IN_PLACE)
def test_in_place_on_a_leaf_that_requires_grad_names_the_operation(op, update):
    w = Tensor([0.5, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as caught:
        update(w)
    assert str(caught.value) == (f"{op}: a leaf tensor that requires grad (shape (2,)) is being used "
                                 "in an in-place operation; update it inside `with no_grad():` or "
                                 "assign to .data")


def test_in_place_arithmetic_operators_match_pytorch():
    torch = need("torch")
    ours, theirs = Tensor([1.0, -2.0, 4.0]), torch.tensor([1.0, -2.0, 4.0])
    for step in (lambda x: x.__iadd__(3.0), lambda x: x.__itruediv__(4.0),
                 lambda x: x.__isub__(0.5), lambda x: x.__imul__(-2.0)):
        assert step(ours) is ours
        step(theirs)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


def test_true_division_in_place_of_an_integer_tensor_is_refused_with_pytorchs_reason():
    x = Tensor([1, 2])
    with pytest.raises(DtypeError) as caught:
        x /= 2
    assert str(caught.value) == "div_: result type float32 can't be cast to the desired output type int64"


def test_fill_with_a_value_that_does_not_fit_the_dtype_is_refused_like_pytorch():
    torch = need("torch")
    with pytest.raises(RuntimeError):
        torch.zeros(2, dtype=torch.int8).fill_(300)
    x = Tensor([0, 0]).to("int8")
    with pytest.raises((OverflowError, RuntimeError)):
        x.fill_(300)
    assert x.tolist() == [0, 0]


# -- new_tensor, new_full, new_zeros, new_ones -----------------------------------------------------

NEW = {
    "new_tensor": lambda x, **kw: x.new_tensor([[1, 2, 3], [4, 5, 6]], **kw),
    "new_full": lambda x, **kw: x.new_full((2, 3), 7, **kw),
    "new_zeros": lambda x, **kw: x.new_zeros(2, 3, **kw),
    "new_ones": lambda x, **kw: x.new_ones((2, 3), **kw),
}


@pytest.mark.parametrize("kwargs", [{}, {"dtype": "float64"}, {"requires_grad": True},
                                    {"dtype": "float64", "requires_grad": True}])
@pytest.mark.parametrize("source", [M, np.array([1, 2], dtype=np.int64)])
@pytest.mark.parametrize("method", NEW)
def test_new_constructors_match_pytorch(method, source, kwargs):
    torch = need("torch")
    theirs_kwargs = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
    if kwargs.get("requires_grad") and "dtype" not in kwargs and source.dtype.kind != "f":
        with pytest.raises(RuntimeError):            # only floating-point tensors can require grad
            NEW[method](torch.tensor(source), **theirs_kwargs)
        with pytest.raises(RuntimeError):
            NEW[method](Tensor(source), **kwargs)
        return
    ours = NEW[method](Tensor(source), **kwargs)
    theirs = NEW[method](torch.tensor(source), **theirs_kwargs)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.requires_grad is theirs.requires_grad and ours.is_leaf
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())


@pytest.mark.parametrize("method", ["new_full", "new_zeros", "new_ones"])
def test_new_constructors_with_a_non_int_size_name_themselves(method):
    x = Tensor(M)
    make = {"new_full": lambda: x.new_full((2, "a"), 1.0), "new_zeros": lambda: x.new_zeros(2, "a"),
            "new_ones": lambda: x.new_ones(2, "a")}[method]
    with pytest.raises(TypeError) as caught:
        make()
    assert str(caught.value) == f"{method}: sizes must be ints, got (2, 'a')"


# -- Tensor.zeros, Tensor.ones, Tensor.randn -------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{}, {"dtype": "float64"}, {"dtype": "int64"}, {"requires_grad": True}])
@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_static_zeros_and_ones_match_pytorch(name, kwargs):
    torch = need("torch")
    ours = getattr(Tensor, name)(2, 3, **kwargs)
    theirs_kwargs = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
    theirs = getattr(torch, name)(2, 3, **theirs_kwargs)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.requires_grad is theirs.requires_grad
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())


@pytest.mark.parametrize("kwargs, dtype, requires_grad", [({}, np.float32, False),
                                                          ({"dtype": "float64"}, np.float64, False),
                                                          ({"requires_grad": True}, np.float32, True)])
def test_static_randn_dtype_and_requires_grad(kwargs, dtype, requires_grad):
    x = Tensor.randn(2, 3, **kwargs)
    assert x.shape == (2, 3) and x.dtype == dtype and x.requires_grad is requires_grad


def test_static_randn_without_a_seed_follows_manual_seed():
    manual_seed(123)
    first = Tensor.randn(5).tolist()
    manual_seed(123)
    assert Tensor.randn(5).tolist() == first
    assert Tensor.randn(5, seed=7).tolist() == Tensor.randn(5, seed=7).tolist()


@pytest.mark.parametrize("name", ["zeros", "ones", "randn"])
def test_static_factories_with_a_non_int_size_name_themselves(name):
    with pytest.raises(TypeError) as caught:
        getattr(Tensor, name)(2, "a")
    assert str(caught.value) == f"{name}: sizes must be ints, got (2, 'a')"


# -- __repr__ --------------------------------------------------------------------------------------


@pytest.mark.parametrize("make, text", [
    (lambda: Tensor([1 / 3, 2.0]), "tensor([0.3333, 2.    ])"),                      # 4 decimals
    (lambda: Tensor(np.arange(21)), "tensor([ 0,  1,  2, ..., 18, 19, 20])"),          # > 20: summarised
    (lambda: Tensor([[1, 2], [3, 4]]), "tensor([[1, 2],\n        [3, 4]])"),           # rows aligned
    (lambda: Tensor([1.5, 2.0], dtype="float64"), "tensor([1.5, 2. ], dtype=float64)"),
    (lambda: Tensor([1, 2], dtype="int32"), "tensor([1, 2], dtype=int32)"),
    (lambda: Tensor([1, 2]), "tensor([1, 2])"),
    (lambda: Tensor([True, False]), "tensor([ True, False])"),
    (lambda: Tensor([1.0, 2.0], dtype="float64", requires_grad=True) * 2,
     "tensor([2., 4.], dtype=float64, grad_fn=mul)"),
    (lambda: Tensor([1.0, 2.0], dtype="float64", requires_grad=True),
     "tensor([1., 2.], dtype=float64, requires_grad=True)"),
])
def test_repr_shows_values_and_only_the_non_default_attributes(make, text):
    assert repr(make()) == text


def test_repr_of_a_named_parameter_keeps_the_other_attributes():
    w = Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    w.name = "w"
    assert repr(w) == "tensor([1., 2.], dtype=float64, requires_grad=True, name='w')"


# -- add, sub, add_, sub_, clamp_, copy_ and the version counter -----------------------------------


def test_add_of_a_bool_tensor_and_a_bool_stays_bool_like_pytorch():
    torch = need("torch")
    ours, theirs = Tensor([True, False]).add(True), torch.tensor([True, False]).add(True)
    assert ours.dtype == np.bool_ and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("method", ["add", "sub", "add_", "sub_"])
@pytest.mark.parametrize("kwargs", [{}, {"alpha": 2}, {"alpha": -0.5}])
def test_add_and_sub_with_alpha_match_pytorch(method, kwargs):
    torch = need("torch")
    ours, theirs = Tensor([1.0, -2.0, 4.0]), torch.tensor([1.0, -2.0, 4.0])
    out = getattr(ours, method)(Tensor([0.5, 3.0, -1.0]), **kwargs)
    expected = getattr(theirs, method)(torch.tensor([0.5, 3.0, -1.0]), **kwargs)
    assert (out is ours) == method.endswith("_")
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-6)


def test_sub_of_a_bool_tensor_operand_is_refused_and_says_how_to_invert_a_mask():
    with pytest.raises(DtypeError) as caught:
        Tensor([1.0, 2.0]).sub(Tensor([True, False]))
    assert str(caught.value) == ("sub: subtraction, the `-` operator, with a bool tensor is not "
                                 "supported; use `~` or logical_not() to invert a mask")


@pytest.mark.parametrize("kwargs", [{"min": 0.0}, {"max": 1.0}, {"min": -1.0, "max": 2.0}])
def test_clamp_in_place_matches_pytorch(kwargs):
    torch = need("torch")
    ours, theirs = Tensor([1.0, -2.0, 4.0]), torch.tensor([1.0, -2.0, 4.0])
    assert ours.clamp_(**kwargs) is ours
    np.testing.assert_array_equal(ours.data, theirs.clamp_(**kwargs).numpy())


@pytest.mark.parametrize("src", [[2.5, -1.5], (7.0, 8.0), 3.0, np.array([1.0, 2.0])])
def test_copy_from_plain_python_and_numpy_values(src):
    x = Tensor([0.0, 0.0])
    assert x.copy_(src) is x
    np.testing.assert_array_equal(x.data, np.broadcast_to(np.asarray(src, dtype=np.float32), (2,)))


def test_copy_of_a_float_tensor_into_an_int_tensor_truncates_like_pytorch():
    torch = need("torch")
    ours = Tensor([0, 0, 0]).copy_(Tensor([2.7, -2.7, 1.0]))
    theirs = torch.tensor([0, 0, 0]).copy_(torch.tensor([2.7, -2.7, 1.0]))
    assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist()


def test_copy_of_a_large_integer_into_float32_rounds_once_like_pytorch():
    torch = need("torch")
    n = 2**54 + 2**30 + 1               # just above a float32 midpoint; float64 would round onto it
    ours, theirs = Tensor([0.0]).copy_(Tensor([n])), torch.zeros(1).copy_(torch.tensor([n]))
    assert int(ours.item()) == int(theirs.item()) == 2**54 + 2**31


def test_every_in_place_write_bumps_the_version_counter_like_pytorch():
    torch = need("torch")
    ours, theirs = Tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    for step in (lambda x: x.add_(1.0), lambda x: x.__setitem__(0, 5.0), lambda x: x.zero_(),
                 lambda x: x.fill_(2.0)):
        step(ours)
        step(theirs)
        assert ours._version == theirs._version


def test_in_place_on_a_graph_node_names_the_operation_and_the_node():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError) as caught:
        y += 1
    assert str(caught.value) == ("add_: in-place operations on a tensor that is part of the graph "
                                 "(grad_fn=mul, shape (2,)) are not supported; use the out-of-place op "
                                 "(x = x + y) instead")


def test_in_place_result_that_does_not_broadcast_names_the_operation_and_both_shapes():
    x = Tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError) as caught:
        x += Tensor(np.ones((2, 3)))
    assert str(caught.value) == "add_: a value of shape (2, 3) does not broadcast to the written shape (3,)"


def test_setitem_checks_the_value_against_the_indexed_part_only():
    x = Tensor([0.0, 0.0, 0.0])
    with pytest.raises(RuntimeError) as caught:
        x[0] = Tensor([1.0, 2.0, 3.0])
    assert str(caught.value) == ("__setitem__: a value of shape (3,) does not broadcast to the written "
                                 "shape ()")
    x[1:] = Tensor([4.0, 5.0])
    assert x.tolist() == [0.0, 4.0, 5.0]


def test_setitem_of_a_tensor_that_requires_grad_is_refused_outside_no_grad():
    x = Tensor([0.0, 0.0])
    with pytest.raises(RuntimeError) as caught:
        x[0] = Tensor(1.0, requires_grad=True)
    assert str(caught.value) == ("__setitem__: writing a tensor that requires grad into another tensor "
                                 "in place is not recorded; use out-of-place ops or no_grad()")


# -- div -------------------------------------------------------------------------------------------

DIVIDENDS = [7.0, -7.0, 7.5, -7.5, 0.0, 6.0]
DIVISORS = [2.0, 2.0, -2.0, -2.0, 3.0, -3.0]


@pytest.mark.parametrize("rounding_mode", [None, "floor", "trunc"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_div_matches_pytorch(dtype, rounding_mode):
    torch = need("torch")
    a, b = np.array(DIVIDENDS).astype(dtype), np.array(DIVISORS).astype(dtype)
    ours = Tensor(a).div(Tensor(b), rounding_mode=rounding_mode)
    theirs = torch.tensor(a).div(torch.tensor(b), rounding_mode=rounding_mode)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_trunc_division_of_large_integers_is_exact_like_pytorch():
    torch = need("torch")
    big = [2**53 + 1, -(2**53 + 1)]
    ours = Tensor(big).div(1, rounding_mode="trunc")
    assert ours.tolist() == torch.tensor(big).div(1, rounding_mode="trunc").tolist() == big


@pytest.mark.parametrize("rounding_mode", ["floor", "trunc"])
def test_rounded_float_division_by_zero_gives_inf_and_nan_silently_like_pytorch(rounding_mode):
    torch = need("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = Tensor([1.0, -1.0, 0.0]).div(0.0, rounding_mode=rounding_mode)
    theirs = torch.tensor([1.0, -1.0, 0.0]).div(0.0, rounding_mode=rounding_mode)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_div_with_an_unknown_rounding_mode_lists_the_accepted_ones():
    with pytest.raises(RuntimeError) as caught:
        Tensor([1.0]).div(2, rounding_mode="round")
    assert str(caught.value) == "div: rounding_mode must be None, 'floor' or 'trunc', got 'round'"


# -- norm ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", ["fro", 2, 2.0, 1, 1.0, 3, 0.5, float("inf")])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_norm_matches_pytorch(p, dim, keepdim):
    torch = need("torch")
    ours = Tensor(M).norm(p, dim, keepdim)
    theirs = torch.tensor(M).norm(p, dim, keepdim)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


def test_norm_default_is_the_frobenius_norm_without_keepdim():
    torch = need("torch")
    assert Tensor(M).norm(dim=0).shape == tuple(torch.tensor(M).norm(dim=0).shape) == (3,)
    np.testing.assert_allclose(Tensor(M).norm().item(), torch.tensor(M).norm().item(), rtol=1e-6)


def test_norm_accepts_the_string_inf_as_the_largest_magnitude():
    assert Tensor(M).norm("inf").item() == 4.0
    assert Tensor(M).norm("inf", 1).tolist() == [3.0, 4.0]


@pytest.mark.parametrize("p", ["nuc", 0, -1])
def test_norm_of_an_unsupported_order_says_which_are_supported(p):
    with pytest.raises(RuntimeError) as caught:
        Tensor(M).norm(p)
    assert str(caught.value) == f"norm: p must be 'fro', a positive number or inf, got {p!r}"


# -- std -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, kwargs", [((), {}), ((0,), {}), ((1, False), {}), ((0, True, True), {}),
                                          ((), {"dim": 1, "correction": 0, "keepdim": True}),
                                          ((), {"dim": 0, "correction": 2})])
def test_std_matches_pytorch(args, kwargs):
    torch = need("torch")
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0], [2.0, 2.0, 0.0]], dtype=np.float32)
    ours, theirs = Tensor(x).std(*args, **kwargs), torch.tensor(x).std(*args, **kwargs)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


def test_std_accepts_numpys_axis_and_keepdims_aliases():
    x = Tensor(M)
    np.testing.assert_array_equal(x.std(axis=0, keepdims=True).data, x.std(0, keepdim=True).data)
    assert x.std(axis=1, keepdims=True).shape == (2, 1)


# -- prod, cumsum, select, repeat ------------------------------------------------------------------


@pytest.mark.parametrize("shape, dim, keepdim", [((2, 3), None, False), ((2, 3), 0, False),
                                                 ((2, 3), -1, True), ((2, 0, 3), 1, False),
                                                 ((2, 0, 3), 1, True), ((0, 3), 0, False)])
def test_prod_matches_pytorch(shape, dim, keepdim):
    torch = need("torch")
    x = np.arange(1, 1 + int(np.prod(shape)), dtype=np.float32).reshape(shape) / 2
    ours = Tensor(x).prod() if dim is None else Tensor(x).prod(dim, keepdim)
    theirs = torch.tensor(x).prod() if dim is None else torch.tensor(x).prod(dim, keepdim)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float32
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("method", ["prod", "cumsum", "select", "split", "chunk", "gather", "var"])
def test_dim_out_of_range_names_the_method(method):
    args = {"select": (5, 0), "split": (1, 5), "chunk": (2, 5),
            "gather": (5, Tensor([[0]]))}.get(method, (5,))
    with pytest.raises(DimensionError) as caught:
        getattr(Tensor(M), method)(*args)
    assert str(caught.value) == (f"{method}: dim 5 is out of range for a tensor with 2 dimensions; "
                                 "expected a dim in [-2, 1]")


@pytest.mark.parametrize("data, dtype", [([1, 2, 3], "int32"), ([True, False, True], None),
                                         ([1.5, 2.5], None), ([[1, 2], [3, 4]], "uint8")])
@pytest.mark.parametrize("kwargs", [{}, {"dtype": "float64"}])
def test_cumsum_dtype_and_values_match_pytorch(data, dtype, kwargs):
    torch = need("torch")
    ours = Tensor(data, dtype=dtype).cumsum(0, **kwargs)
    theirs = torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None).cumsum(
        0, **{k: getattr(torch, v) for k, v in kwargs.items()})
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_cumsum_of_a_vector_accepts_only_dims_0_and_minus_1():
    with pytest.raises(DimensionError) as caught:
        Tensor([1.0, 2.0]).cumsum(-2)
    assert str(caught.value) == ("cumsum: dim -2 is out of range for a tensor with 1 dimensions; "
                                 "expected a dim in [-1, 0]")


@pytest.mark.parametrize("dim, index", [(0, 0), (0, -2), (1, -1), (1, 2), (-1, -3)])
def test_select_matches_pytorch(dim, index):
    torch = need("torch")
    theirs = torch.tensor(M).select(dim, index)
    np.testing.assert_array_equal(Tensor(M).select(dim, index).data, theirs.numpy())


@pytest.mark.parametrize("dim, index, size", [(0, 2, 2), (0, -3, 2), (1, 3, 3)])
def test_select_index_out_of_range_names_the_index_dim_and_size(dim, index, size):
    with pytest.raises(DimensionError) as caught:
        Tensor(M).select(dim, index)
    assert str(caught.value) == f"select: index {index} is out of range for dim {dim} of size {size}"


@pytest.mark.parametrize("sizes", [((2, 3),), ([1, 2],), (2, 1, 2), ([3, 1, 1],)])
def test_repeat_with_a_tuple_or_list_of_counts_matches_pytorch(sizes):
    torch = need("torch")
    np.testing.assert_array_equal(Tensor(M).repeat(*sizes).data, torch.tensor(M).repeat(*sizes).numpy())


# -- reflected subtraction, view, transpose, flip --------------------------------------------------


def test_reflected_subtraction_of_a_bool_is_refused_like_pytorch():
    with pytest.raises(DtypeError) as caught:
        True - Tensor([1.0, 2.0])
    assert str(caught.value).startswith("sub: subtraction, the `-` operator, with a bool tensor")


@pytest.mark.parametrize("method", ["view", "reshape"])
def test_view_and_reshape_with_a_non_int_size_name_themselves(method):
    with pytest.raises(TypeError) as caught:
        getattr(Tensor(M), method)("a")
    assert str(caught.value) == f"{method}: sizes must be ints, got ('a',)"


@pytest.mark.parametrize("dim0, dim1", [(0, -1), (-1, 0), (0, 0)])
def test_transpose_of_a_0d_tensor_accepts_dims_0_and_minus_1_like_pytorch(dim0, dim1):
    torch = need("torch")
    ours = Tensor(2.5).transpose(dim0, dim1)
    assert ours.shape == () and ours.item() == torch.tensor(2.5).transpose(dim0, dim1).item()


@pytest.mark.parametrize("shape, dims, bad", [((), (1, 0), 1), ((), (0, -2), -2), ((2, 3), (0, 5), 5),
                                              ((2, 3), (-3, 0), -3)])
def test_transpose_dim_out_of_range_names_transpose_and_the_range(shape, dims, bad):
    ndim = len(shape)
    with pytest.raises(DimensionError) as caught:
        Tensor(np.zeros(shape)).transpose(*dims)
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    assert str(caught.value) == (f"transpose: dim {bad} is out of range for a tensor with {ndim} "
                                 f"dimensions; expected a dim in [{low}, {high}]")


@pytest.mark.parametrize("args, kwargs", [((0,), {}), ((1,), {}), ((0, 1), {}), (([0, 1],), {}),
                                          ((), {"dims": [1]}), ((), {"dims": (0,)})])
def test_flip_matches_pytorch(args, kwargs):
    torch = need("torch")
    np.testing.assert_array_equal(Tensor(M).flip(*args, **kwargs).data,
                                  torch.tensor(M).flip(*args, **kwargs).numpy())


@pytest.mark.parametrize("args, kwargs, shown", [((), {}, "() {}"), ((0,), {"foo": 1}, "(0,) {'foo': 1}")])
def test_flip_without_dims_or_with_a_stray_keyword_is_refused(args, kwargs, shown):
    with pytest.raises(TypeError) as caught:
        Tensor(M).flip(*args, **kwargs)
    assert str(caught.value) == f"flip: expected flip(dims) with a list of dims, got {shown}"


@pytest.mark.parametrize("dims, error", [((5,), DimensionError), ((0.5,), TypeError), ((0, 0), RuntimeError)])
def test_flip_with_bad_dims_names_flip(dims, error):
    with pytest.raises(error) as caught:
        Tensor(M).flip(*dims)
    assert str(caught.value).startswith("flip: ")


# -- to --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("convert", [lambda x, L: x.to(dtype=L.float64), lambda x, L: x.to(L.int64),
                                     lambda x, L: x.to(L.tensor([1, 2])), lambda x, L: x.to("cpu", L.float64),
                                     lambda x, L: x.to(device="cpu", dtype=L.int32),
                                     lambda x, L: x.to(L.float64, non_blocking=True)])
def test_to_converts_the_dtype_like_pytorch(convert):
    torch = need("torch")
    import tinygrad_cnn as tg

    ours, theirs = convert(Tensor([1.5, -2.0]), tg), convert(torch.tensor([1.5, -2.0]), torch)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("device", ["cpu", "cpu:0"])
def test_to_the_cpu_returns_the_tensor_itself_unless_a_copy_is_asked_for(device):
    x = Tensor([1.5, -2.0])
    assert x.to(device) is x and x.to(np.float32) is x and x.to(device, copy=False) is x
    copied = x.to(device, copy=True)
    assert copied is not x and copied.tolist() == x.tolist()
    copied.data[0] = 0.0
    assert x.tolist() == [1.5, -2.0]


@pytest.mark.parametrize("args, kwargs, device", [(("cuda",), {}, "cuda"), (("cuda:0",), {}, "cuda:0"),
                                                  (("mps",), {}, "mps"), (("meta",), {}, "meta"),
                                                  ((), {"device": "cuda"}, "cuda")])
def test_to_another_device_says_only_the_cpu_exists(args, kwargs, device):
    with pytest.raises(RuntimeError) as caught:
        Tensor([1.0]).to(*args, **kwargs)
    assert str(caught.value) == (f"to: device {device!r} is not available; tinygrad_cnn runs on the CPU "
                                 "only (device 'cpu')")


def test_to_with_unknown_keywords_lists_them_sorted():
    with pytest.raises(TypeError) as caught:
        Tensor([1.0]).to(foo=1, bar=2)
    assert str(caught.value) == "to: unexpected keyword arguments ['bar', 'foo']"


# -- var -------------------------------------------------------------------------------------------

V = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0], [2.0, 2.0, 0.0]], dtype=np.float32)


@pytest.mark.parametrize("args, kwargs", [((), {}), ((0,), {}), ((False,), {}), ((1, False), {}),
                                          ((0, True, True), {}), ((0,), {"keepdim": True}),
                                          ((), {"dim": 1, "correction": 0}),
                                          ((), {"dim": 0, "correction": 2})])
def test_var_matches_pytorch(args, kwargs):
    torch = need("torch")
    ours, theirs = Tensor(V).var(*args, **kwargs), torch.tensor(V).var(*args, **kwargs)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float32
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


def test_var_accepts_numpys_axis_and_keepdims_aliases():
    x = Tensor(V)
    np.testing.assert_array_equal(x.var(axis=0).data, x.var(0).data)
    np.testing.assert_array_equal(x.var(axis=1, keepdims=True).data, x.var(1, keepdim=True).data)
    assert x.var(axis=1, keepdims=True).shape == (3, 1)


def test_var_without_degrees_of_freedom_is_nan_without_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = Tensor([1.0]).var()
    assert np.isnan(out.item())


def test_var_refuses_both_unbiased_and_correction():
    with pytest.raises(TypeError) as caught:
        Tensor(V).var(unbiased=True, correction=1)
    assert str(caught.value) == "var: pass either unbiased= or correction=, not both"


# -- logsumexp -------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")   # log(0) = -inf
@pytest.mark.parametrize("data", [M, np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1000.0, -999.0]]),
                                  np.array([[-np.inf, -np.inf, -np.inf], [0.0, 1.0, 2.0]]),
                                  np.array([[1.0, 2.0, 3.0]]), np.zeros((0, 3))])
@pytest.mark.parametrize("dim, keepdim", [(0, False), (1, False), (1, True), ((0, 1), False), (-1, None)])
def test_logsumexp_matches_pytorch(data, dim, keepdim):
    torch = need("torch")
    data = np.asarray(data, dtype=np.float32)
    if keepdim is None:
        ours, theirs = Tensor(data).logsumexp(dim), torch.tensor(data).logsumexp(dim)
    else:
        ours, theirs = Tensor(data).logsumexp(dim, keepdim), torch.tensor(data).logsumexp(dim, keepdim)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float32
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


# -- masked_fill, gather ---------------------------------------------------------------------------


@pytest.mark.parametrize("source, value", [(M, 0.1), (M, -7), (np.array([[1, 2], [3, 4]]), 2.7),
                                           (np.array([[1, 2], [3, 4]]), 9)])
def test_masked_fill_keeps_the_dtype_like_pytorch(source, value):
    torch = need("torch")
    mask = np.zeros(source.shape, dtype=bool)
    mask[0, 1] = mask[1, 0] = True
    ours = Tensor(source).masked_fill(Tensor(mask), value)
    theirs = torch.tensor(source).masked_fill(torch.tensor(mask), value)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_masked_fill_accepts_a_nested_list_mask():
    out = Tensor([[1.0, 2.0], [3.0, 4.0]]).masked_fill([[True, False], [False, True]], 0.0)
    assert out.tolist() == [[0.0, 2.0], [3.0, 0.0]]


@pytest.mark.parametrize("dim, index", [(0, [[1, 0, 1]]), (1, [[2, 0], [1, 1]]), (-1, [[0], [2]])])
def test_gather_matches_pytorch_and_accepts_a_nested_list_index(dim, index):
    torch = need("torch")
    theirs = torch.tensor(M).gather(dim, torch.tensor(index)).numpy()
    np.testing.assert_array_equal(Tensor(M).gather(dim, Tensor(index)).data, theirs)
    np.testing.assert_array_equal(Tensor(M).gather(dim, index).data, theirs)


@pytest.mark.parametrize("index, described", [(np.zeros((2, 2)), "(2, 2) and dtype float64"),
                                              (np.zeros((3, 2), dtype=np.int64), "(3, 2) and dtype int64"),
                                              (np.zeros(2, dtype=np.int64), "(2,) and dtype int64")])
def test_gather_with_an_index_that_does_not_fit_says_what_is_expected(index, described):
    with pytest.raises(ShapeError) as caught:
        Tensor(M).gather(1, Tensor(index))
    assert str(caught.value) == (f"gather: index of shape {described} does not fit a tensor of shape "
                                 "(2, 3); expected integers, 2 dims, sizes <= the tensor's except dim 1")


# -- split, chunk ----------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(1,), (2,), (2, 1), (3, 1), ([1, 2], 1), ([2, 0, 1], -1), (5,)])
def test_split_matches_pytorch(args):
    torch = need("torch")
    ours, theirs = Tensor(M).split(*args), torch.tensor(M).split(*args)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.data, b.numpy())


def test_split_size_zero_is_refused_and_sizes_must_add_up():
    with pytest.raises(RuntimeError) as caught:
        Tensor(M).split(0)
    assert str(caught.value) == "split: split_size must be positive, got 0"
    with pytest.raises(RuntimeError) as caught:
        Tensor(M).split([1, 1], dim=1)
    assert str(caught.value) == "split: sizes [1, 1] add up to 2, but dim 1 has size 3"


@pytest.mark.parametrize("shape, args", [((4, 3), (2,)), ((4, 3), (3,)), ((2, 7), (3, 1)), ((2, 6), (4, -1)),
                                         ((5,), (2,))])
def test_chunk_matches_pytorch(shape, args):
    torch = need("torch")
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    ours, theirs = Tensor(x).chunk(*args), torch.tensor(x).chunk(*args)
    assert [a.shape for a in ours] == [tuple(b.shape) for b in theirs]
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.data, b.numpy())


# -- reductions: max, min, argmax, argmin, amax, amin, mean (and NumPy's axis/keepdims) ------------

REDUCTIONS = ["max", "min", "argmax", "argmin", "amax", "amin", "mean", "sum"]


def _values(out):
    return out.values if isinstance(out, tuple) else out       # max/min along a dim: (values, indices)


@pytest.mark.parametrize("method", REDUCTIONS)
@pytest.mark.parametrize("dim, keepdim", [(0, False), (1, True), (-1, None)])
def test_reductions_along_a_dim_match_pytorch_and_accept_numpys_aliases(method, dim, keepdim):
    torch = need("torch")
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], dtype=np.float32)
    kw = {} if keepdim is None else {"keepdim": keepdim}
    theirs = _values(getattr(torch.tensor(x), method)(dim, **kw))
    ours = _values(getattr(Tensor(x), method)(dim, **kw))
    alias_kw = {} if keepdim is None else {"keepdims": keepdim}
    aliased = _values(getattr(Tensor(x), method)(axis=dim, **alias_kw))
    for out in (ours, aliased):
        assert out.shape == tuple(theirs.shape) and str(out.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(out.data, theirs.numpy())


@pytest.mark.parametrize("method", ["argmax", "argmin"])
@pytest.mark.parametrize("kwargs", [{}, {"keepdim": True}, {"keepdim": False}])
def test_argmax_and_argmin_over_all_elements_match_pytorch(method, kwargs):
    torch = need("torch")
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], dtype=np.float32)
    ours, theirs = getattr(Tensor(x), method)(**kwargs), getattr(torch.tensor(x), method)(**kwargs)
    assert ours.shape == tuple(theirs.shape) and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("method", ["argmax", "argmin", "max", "min"])
def test_reductions_of_a_0d_tensor_along_dim_0_match_pytorch(method):
    torch = need("torch")
    ours, theirs = getattr(Tensor(2.5), method)(0), getattr(torch.tensor(2.5), method)(0)
    if method.startswith("arg"):
        assert ours.dtype == np.int64 and ours.shape == () and ours.item() == theirs.item()
    else:
        assert type(ours).__name__ == type(theirs).__name__ == method
        assert ours.indices.dtype == np.int64 and ours.values.item() == theirs.values.item() == 2.5


@pytest.mark.parametrize("method", ["max", "min"])
def test_max_and_min_along_a_dim_return_pytorchs_named_pair(method):
    torch = need("torch")
    ours, theirs = getattr(Tensor(M), method)(1), getattr(torch.tensor(M), method)(1)
    assert type(ours).__name__ == type(theirs).__name__ == method
    assert ours.values.tolist() == theirs.values.tolist() and ours.indices.tolist() == theirs.indices.tolist()


@pytest.mark.parametrize("method", ["max", "min"])
def test_max_and_min_of_another_tensor_are_elementwise_like_pytorch(method):
    torch = need("torch")
    other = np.array([[0.0, 0.0, 5.0], [1.0, 1.0, 1.0]], dtype=np.float32)
    ours = getattr(Tensor(M), method)(Tensor(other))
    np.testing.assert_array_equal(ours.data, getattr(torch.tensor(M), method)(torch.tensor(other)).numpy())


@pytest.mark.parametrize("method", REDUCTIONS)
@pytest.mark.parametrize("kwargs, names", [({"dim": 0, "axis": 0}, "dim= and its alias axis="),
                                           ({"dim": 0, "keepdim": True, "keepdims": True},
                                            "keepdim= and its alias keepdims=")])
def test_reductions_refuse_a_keyword_together_with_its_alias(method, kwargs, names):
    with pytest.raises(TypeError) as caught:
        getattr(Tensor(M), method)(**kwargs)
    assert str(caught.value) == f"{method}: got both {names}; pass one"


@pytest.mark.parametrize("method", ["max", "min"])
def test_max_and_min_with_keepdim_but_no_dim_are_refused(method):
    with pytest.raises(TypeError) as caught:
        getattr(Tensor(M), method)(keepdim=True)
    assert str(caught.value) == f"{method}: keepdim needs dim"


@pytest.mark.parametrize("method", ["argmax", "argmin"])
def test_argmax_and_argmin_of_an_empty_tensor_name_the_shape(method):
    with pytest.raises(RuntimeError) as caught:
        getattr(Tensor(np.zeros((0, 3))), method)()
    assert str(caught.value) == f"{method}: cannot take the {method} of an empty tensor of shape (0, 3)"


@pytest.mark.parametrize("method", ["max", "min"])
def test_max_and_min_along_an_empty_dim_name_the_dim_and_shape(method):
    with pytest.raises(IndexError) as caught:
        getattr(Tensor(np.zeros((0, 3))), method)(0)
    assert str(caught.value) == f"{method}: cannot reduce dim 0 of size 0 (shape (0, 3))"


def test_mean_of_an_integer_tensor_says_how_to_get_a_float():
    with pytest.raises(DtypeError) as caught:
        Tensor([1, 2]).mean()
    assert str(caught.value) == ("mean: expected a floating-point tensor, got int64; pass dtype= or "
                                 "call .float() first")


# -- permute, squeeze, expand, reflected true division ---------------------------------------------


@pytest.mark.parametrize("method, args, error", [("permute", (0, 5), DimensionError),
                                                 ("permute", (0, "a"), TypeError),
                                                 ("squeeze", (5,), DimensionError),
                                                 ("expand", ("a",), TypeError)])
def test_shape_methods_with_bad_arguments_name_themselves(method, args, error):
    with pytest.raises(error) as caught:
        getattr(Tensor(M), method)(*args)
    assert str(caught.value).startswith(f"{method}: ")


@pytest.mark.parametrize("numerator", [1, 3.0])
def test_a_number_divided_by_an_integer_tensor_is_float_like_pytorch(numerator):
    torch = need("torch")
    ours, theirs = numerator / Tensor([2, 4]), numerator / torch.tensor([2, 4])
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.tolist() == theirs.tolist()


# -- where -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("inp, other", [(2.5, [1, 2]), (2, np.array([1.0, 2.0], np.float16)),
                                        (2.5, np.array([1.0, 2.0], np.float16)), (7, [1, 2]),
                                        (np.array([1.0, 2.0]), np.array([3.0, 4.0], np.float32)),
                                        (np.array([1, 2], np.int32), np.array([3.0, 4.0], np.float16))])
def test_where_promotes_like_pytorch(inp, other):
    torch = need("torch")
    import tinygrad_cnn as tg

    cond = np.array([True, False])
    ours = tg.where(Tensor(cond), inp if np.isscalar(inp) else Tensor(inp), Tensor(other))
    theirs = torch.where(torch.tensor(cond), inp if np.isscalar(inp) else torch.tensor(inp),
                         torch.tensor(other))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.tolist() == theirs.tolist()


def test_where_accepts_a_list_condition_and_refuses_a_float_one():
    import tinygrad_cnn as tg

    assert tg.where([True, False], Tensor([1.0, 2.0]), 0.0).tolist() == [1.0, 0.0]
    with pytest.raises(DtypeError) as caught:
        tg.where(Tensor([1.0, 0.0]), Tensor([1.0, 2.0]), 0.0)
    assert str(caught.value) == "where: expected a boolean condition, got float32"


# -- bool operands of subtraction and negation -----------------------------------------------------

BOOL_SUB_MESSAGE = ("sub: subtraction, the `-` operator, with a bool tensor is not supported; use `~` or "
                    "logical_not() to invert a mask")


@pytest.mark.parametrize("subtract", [lambda: Tensor([True, False]).sub(1.0), lambda: Tensor([True]) - 1,
                                      lambda: Tensor([1.0, 2.0]).sub(True),
                                      lambda: Tensor([1.0, 2.0]).sub([True, False]),
                                      lambda: Tensor([1.0, 2.0]) - (True, False)])
def test_subtraction_with_any_bool_operand_is_refused(subtract):
    with pytest.raises(DtypeError) as caught:
        subtract()
    assert str(caught.value) == BOOL_SUB_MESSAGE


def test_negation_of_a_bool_tensor_says_how_to_invert_a_mask():
    with pytest.raises(DtypeError) as caught:
        -Tensor([True, False])
    assert str(caught.value) == ("neg: negation, the `-` operator, of a bool tensor is not supported; use "
                                 "`~` or logical_not() to invert a mask")


# -- indexing with lists and tensors ---------------------------------------------------------------


@pytest.mark.parametrize("index", [
    lambda L: [1, 0], lambda L: [1, 0, 1],
    lambda L: (L.tensor([0, 1]), L.tensor([2, 0])), lambda L: (L.tensor(1), L.tensor(2)),
    lambda L: (L.tensor([True, False]), 0), lambda L: (slice(None), [2, 0]),
])
def test_indexing_with_lists_and_tensors_matches_pytorch(index):
    torch = need("torch")
    import tinygrad_cnn as tg

    np.testing.assert_array_equal(Tensor(M)[index(tg)].data, torch.tensor(M)[index(torch)].numpy())


# -- clamp, sum ------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [M, np.array([[1, -2, 3], [0, 4, -1]])])
@pytest.mark.parametrize("kwargs", [
    {"min": 0.5}, {"max": 1}, {"min": -1, "max": 2}, {"min": -0.5, "max": 2.5},
    {"min": "tensor"}, {"max": "tensor"}, {"min": "tensor", "max": "tensor"},
])
def test_clamp_matches_pytorch(data, kwargs):
    torch = need("torch")
    bound = np.array([0.0, 1.0, 2.0], dtype=data.dtype)

    def args(L):
        return {k: L.tensor(bound) if v == "tensor" else v for k, v in kwargs.items()}

    import tinygrad_cnn as tg

    ours, theirs = Tensor(data).clamp(**args(tg)), torch.tensor(data).clamp(**args(torch))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_clamp_without_bounds_is_refused():
    with pytest.raises(RuntimeError) as caught:
        Tensor(M).clamp()
    assert str(caught.value) == "clamp: at least one of min and max must be given"


@pytest.mark.parametrize("data, dtype", [([1, 2, 3], "int32"), ([True, True, False], None),
                                         ([200, 100], "uint8"), ([1.5, 2.5], None)])
@pytest.mark.parametrize("kwargs", [{}, {"dtype": "float64"}, {"dim": 0, "dtype": "float16"}])
def test_sum_dtype_and_value_match_pytorch(data, dtype, kwargs):
    torch = need("torch")
    ours = Tensor(data, dtype=dtype).sum(**kwargs)
    theirs_kwargs = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
    theirs = torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None).sum(**theirs_kwargs)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.item() == theirs.item()


@pytest.mark.parametrize("bound", ["min", "max"])
def test_clamp_by_a_tensor_bound_passes_the_gradient_to_the_bound_like_pytorch(bound):
    torch = need("torch")
    x, b = np.array([0.5, 1.5, -1.0], dtype=np.float32), np.array([1.0, 1.0, 0.0], dtype=np.float32)
    ours_x, ours_b = Tensor(x, requires_grad=True), Tensor(b, requires_grad=True)
    ours_x.clamp(**{bound: ours_b}).sum().backward()
    theirs_x, theirs_b = torch.tensor(x, requires_grad=True), torch.tensor(b, requires_grad=True)
    theirs_x.clamp(**{bound: theirs_b}).sum().backward()
    np.testing.assert_array_equal(ours_x.grad, theirs_x.grad.numpy())
    np.testing.assert_array_equal(ours_b.grad, theirs_b.grad.numpy())


# -- flatten, Python scalars as operands -----------------------------------------------------------


@pytest.mark.parametrize("shape, args", [((3,), ()), ((2, 3, 4), ()), ((2, 3, 4), (1,)), ((2, 3, 4), (0, -2)),
                                         ((2, 1, 3), (0, 1)), ((2, 0, 3), (0, 1)), ((2, 0, 3), (1, 2)),
                                         ((0, 2, 0), (1, 2)), ((), ()), ((), (0, -1))])
def test_flatten_matches_pytorch(shape, args):
    torch = need("torch")
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    ours, theirs = Tensor(x).flatten(*args), torch.tensor(x).flatten(*args)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("shape, args, message", [
    ((2, 3, 4), (2, 1), "flatten: start_dim 2 comes after end_dim 1 for a tensor of shape (2, 3, 4)"),
    ((2, 3), (5,), "flatten: dim 5 is out of range for a tensor with 2 dimensions; expected a dim in "
                   "[-2, 1]"),
    ((2, 3), (0, -3), "flatten: dim -3 is out of range for a tensor with 2 dimensions; expected a dim in "
                      "[-2, 1]"),
    ((), (1,), "flatten: dim 1 is out of range for a tensor with 0 dimensions; expected a dim in [-1, 0]"),
    ((), (0, 1), "flatten: dim 1 is out of range for a tensor with 0 dimensions; expected a dim in [-1, 0]"),
])
def test_flatten_with_bad_dims_names_flatten(shape, args, message):
    with pytest.raises((DimensionError, ShapeError)) as caught:
        Tensor(np.zeros(shape)).flatten(*args)
    assert str(caught.value) == message


@pytest.mark.parametrize("dtype", ["float16", "float64", "int32"])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_a_python_scalar_operand_keeps_the_tensors_dtype_like_pytorch(dtype, scalar):
    torch = need("torch")
    ours = Tensor([1, 2], dtype=dtype) * scalar
    theirs = torch.tensor([1, 2], dtype=getattr(torch, dtype)) * scalar
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.") and ours.tolist() == theirs.tolist()


# -- backward: gradient, inputs, retain_graph ------------------------------------------------------


@pytest.mark.parametrize("gradient_keyword", ["gradient", "grad"])
def test_backward_with_inputs_accumulates_only_into_them_like_pytorch(gradient_keyword):
    torch = need("torch")
    x, unused = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0], requires_grad=True)
    y = x * x
    y.backward(torch.tensor([1.0, 10.0]), inputs=[x, unused], retain_graph=True)
    y.backward(torch.tensor([1.0, 10.0]), inputs=x)
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    out = a * a
    out.backward(**{gradient_keyword: Tensor([1.0, 10.0])}, inputs=[a, b], retain_graph=True)
    out.backward(**{gradient_keyword: Tensor([1.0, 10.0])}, inputs=a)
    np.testing.assert_array_equal(a.grad, x.grad.numpy())
    assert b.grad is None and unused.grad is None


def test_backward_gradient_keyword_alias_grad_seeds_a_non_scalar_output():
    a = Tensor([1.0, 2.0], requires_grad=True)
    (a * 3).backward(grad=Tensor([1.0, -1.0]))
    assert a.grad.tolist() == [3.0, -3.0]


def test_backward_with_create_graph_says_higher_order_gradients_are_unsupported():
    with pytest.raises(NotImplementedError) as caught:
        (Tensor([1.0], requires_grad=True) * 2).sum().backward(create_graph=True)
    assert str(caught.value) == ("backward(create_graph=True): higher-order gradients are not supported; "
                                 "gradients are NumPy arrays, not graphs")


# -- construction and requires_grad_ ---------------------------------------------------------------


def test_new_tensors_and_op_outputs_start_with_pytorchs_flags():
    torch = need("torch")
    ours, theirs = Tensor(Tensor([1.0, 2.0])), torch.tensor([1.0, 2.0])
    assert ours.tolist() == [1.0, 2.0] and ours.name is None
    assert ours.requires_grad is theirs.requires_grad is False and ours.retains_grad is theirs.retains_grad
    out, theirs_out = Tensor([1.0], requires_grad=True) * 2, torch.tensor([1.0], requires_grad=True) * 2
    assert out.retains_grad is theirs_out.retains_grad is False and out._version == theirs_out._version == 0


def test_requires_grad_false_on_a_graph_node_says_to_detach():
    y = Tensor([1.0], requires_grad=True) * 2
    assert y.requires_grad_(True) is y
    with pytest.raises(RuntimeError) as caught:
        y.requires_grad_(False)
    assert str(caught.value) == ("requires_grad_(False): this tensor is not a leaf (it has grad_fn=mul); "
                                 "use detach() to cut it from the graph")
