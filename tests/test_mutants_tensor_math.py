"""Tests that pin Tensor reductions, shape methods, conversions and repr found unpinned by mutation
testing, compared with PyTorch where the API is the same.

Most mutants of these methods are killed by tests/test_mutants_tensor.py; this file holds the
tests for the ones that survived it.
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

# -- sub -------------------------------------------------------------------------------------------


def test_sub_with_the_default_alpha_links_straight_to_both_operands_like_pytorch():
    torch = need("torch")
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    ta, tb = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([3.0, 4.0], requires_grad=True)
    ours = [node.name() for node, _ in a.sub(b).grad_fn.next_functions]
    assert ours == [type(node).__name__ for node, _ in ta.sub(tb).grad_fn.next_functions]
    assert ours == ["AccumulateGrad", "AccumulateGrad"]


# -- norm ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", ["fro", 2, 1, 3, float("inf")])
@pytest.mark.parametrize("shape", [(2, 3), (4,), ()])
def test_norm_of_all_elements_with_keepdim_keeps_every_dim_like_pytorch(p, shape):
    torch = need("torch")
    data = np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape).astype(np.float32) - 2.5
    x, t = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    ours, theirs = x.norm(p=p, keepdim=True), t.norm(p=p, keepdim=True)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-6)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-5, atol=1e-7)


# -- div with rounding_mode ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_rounded_division_of_bools_is_refused_like_pytorch_and_of_bool_by_int_is_not(mode):
    torch = need("torch")
    with pytest.raises(NotImplementedError, match=rf"div: rounding_mode='{mode}' is not implemented for "):
        Tensor([True, False]).div(Tensor([True, True]), rounding_mode=mode)
    with pytest.raises(NotImplementedError):
        torch.tensor([True, False]).div(torch.tensor([True, True]), rounding_mode=mode)
    ours = Tensor([True, False]).div(Tensor([2, -1]), rounding_mode=mode)
    theirs = torch.tensor([True, False]).div(torch.tensor([2, -1]), rounding_mode=mode)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
