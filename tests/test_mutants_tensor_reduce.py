"""Tests that pin Tensor reductions with dim/keepdim aliases, arg-reductions, where and shape methods
found unpinned by mutation testing, compared with PyTorch where the API is the same.

Most survivors in these methods are already killed by the reductions, shape-method and where
sections of tests/test_mutants_tensor.py; this file holds what that one leaves unpinned: the named
pair of max/min on a 0-d tensor, subtraction of NumPy bool operands, tensors inside a tuple or list
index, and the dtype inference of `Tensor(data)` (tensor.as_array).
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import need

from tinygrad_cnn import Tensor

try:   # imported here, not in the test: mutmut forks its workers after collection, and an import
    import torch as _torch  # noqa: F401  # of torch in every forked worker exceeds its time limit
except ImportError:
    _torch = None

M = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], dtype=np.float32)

# -- max, min (_extremum) --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["max", "min"])
@pytest.mark.parametrize("dim", [0, -1])
def test_max_and_min_of_a_0d_tensor_along_a_dim_return_pytorchs_named_pair(method, dim):
    torch = need("torch")
    ours, theirs = getattr(Tensor(2.5), method)(dim), getattr(torch.tensor(2.5), method)(dim)
    assert type(ours).__name__ == type(theirs).__name__ == method
    assert ours._fields == ("values", "indices")
    assert ours.values.item() == theirs.values.item() and ours.indices.item() == theirs.indices.item()


# -- _no_bool_subtraction --------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")   # torch's side hands this to NumPy
@pytest.mark.parametrize("other", [np.array([True, False]), np.True_])
def test_subtracting_a_numpy_bool_operand_is_allowed_like_pytorch(other):
    torch = need("torch")
    ours, theirs = Tensor([1.0, 2.0]) - other, torch.tensor([1.0, 2.0]) - other
    assert ours.dtype == np.float32 and ours.tolist() == theirs.tolist()


# -- _plain_index (indexing with tensors inside a tuple or a list) ----------------------------------


def test_one_element_index_tensors_inside_a_tuple_keep_their_dim_like_pytorch():
    torch = need("torch")
    ours = Tensor(M)[Tensor([0]), Tensor([1])]
    theirs = torch.tensor(M)[torch.tensor([0]), torch.tensor([1])]
    assert ours.shape == tuple(theirs.shape) == (1,) and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("index, plain", [(lambda: [Tensor([1]), 0], [1, 0]), (lambda: [Tensor([1])], [1]),
                                          (lambda: [Tensor(1), Tensor(0)], [1, 0])])
def test_a_list_index_reads_one_element_tensors_as_their_numbers_like_numpy(index, plain):
    ours = Tensor(M)[index()]
    assert ours.shape == M[plain].shape
    np.testing.assert_array_equal(ours.data, M[plain])


# -- as_array (the data and dtype of a new Tensor) -------------------------------------------------


@pytest.mark.parametrize("make", [lambda: [1.5, 2.0], lambda: [1, 2], lambda: [True, False], lambda: 2.5,
                                  lambda: 7, lambda: np.array([1, 2], np.int32), lambda: np.float64(2.5),
                                  lambda: np.array([1.0], np.float16), lambda: np.uint8(3)])
@pytest.mark.parametrize("dtype", [None, "float64", "int32"])
def test_tensor_infers_or_converts_the_dtype_like_pytorch(make, dtype):
    torch = need("torch")
    ours = Tensor(make(), dtype=dtype)
    theirs = torch.tensor(make(), dtype=getattr(torch, dtype) if dtype else None)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.shape == tuple(theirs.shape) and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("dtype", [None, "float64"])
def test_tensor_of_a_tensor_copies_its_values_and_keeps_or_converts_its_dtype(dtype):
    source = Tensor([1, 2], dtype="int32")
    copy = Tensor(source, dtype=dtype)
    assert str(copy.dtype) == (dtype or "int32") and copy.tolist() == [1, 2]
    copy.data[0] = 5
    assert source.tolist() == [1, 2]


@pytest.mark.parametrize("data, shown", [(["1"], "<U1"), ([None], "object")])
def test_tensor_of_non_numeric_data_names_the_type_and_dtype(data, shown):
    with pytest.raises(TypeError) as caught:
        Tensor(data)
    assert str(caught.value) == (f"Tensor: cannot build a tensor from list data (dtype {shown}); "
                                 "expected numbers, nested lists of numbers or an array")
