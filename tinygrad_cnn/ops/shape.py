"""Shape ops: reshape (also view, flatten, squeeze, unsqueeze), permute (also transpose), expand,
flip, indexing, cat, take_along_dim, clone. They move values without computing, so their VJPs
move δ back into place. Arguments arrive normalised by the Tensor methods (`checks`)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..checks import check_cat, check_permutation, infer_shape
from .elementwise import unbroadcast


class Reshape(Function):
    op = "reshape"

    def check(self, x, shape=()):
        infer_shape(self.op, tuple(shape), x.size, x.shape)

    def forward(self, x, shape=()):
        self.save_for_backward(x.shape)
        return x.reshape(shape)

    def backward(self, grad):
        """δx = reshape(δ, shape of x) (e.g. flatten: the δ vector back into maps)"""
        (shape,) = self.saved_tensors
        return grad.reshape(shape)


class Permute(Function):
    """out[i₀, i₁, …] = x[i_{dims⁻¹(0)}, …]: the axes reordered (transpose swaps two)."""

    op = "permute"

    def check(self, x, dims=()):
        check_permutation(self.op, dims, x.ndim, x.shape)

    def forward(self, x, dims=()):
        self.save_for_backward(dims)
        return x.transpose(dims)

    def backward(self, grad):
        """δx = permute(δ, inverse permutation)"""
        (dims,) = self.saved_tensors
        return grad.transpose(np.argsort([d % max(grad.ndim, 1) for d in dims]))


class Expand(Function):
    """Broadcast x to `shape` (a read-only view: no copy)."""

    op = "expand"

    def forward(self, x, shape=()):
        self.save_for_backward(x.shape)
        return np.broadcast_to(x, shape)

    def backward(self, grad):
        """δx = δ summed over the expanded axes"""
        (shape,) = self.saved_tensors
        return unbroadcast(grad, shape)


class Flip(Function):
    op = "flip"

    def forward(self, x, dims=()):
        self.save_for_backward(dims)
        return np.flip(x, dims)

    def backward(self, grad):
        """δx = flip(δ, the same dims)"""
        (dims,) = self.saved_tensors
        return np.flip(grad, dims)


class GetItem(Function):
    op = "getitem"

    def forward(self, x, index=None):
        self.save_for_backward(x.shape, index)
        return x[index]

    def backward(self, grad):
        """δx = δ scattered into zeros at the indexed positions (repeats add up)"""
        shape, index = self.saved_tensors
        out = np.zeros(shape, dtype=grad.dtype)
        np.add.at(out, index, grad)
        return out


class Cat(Function):
    """Concatenate the inputs along `dim`."""

    op = "cat"

    def check(self, *xs, dim=0):
        check_cat([x.shape for x in xs], dim)

    def forward(self, *xs, dim=0):
        self.save_for_backward(np.cumsum([x.shape[dim] for x in xs])[:-1], dim)
        return np.concatenate(xs, axis=dim)

    def backward(self, grad):
        """δxᵢ = the slice of δ where xᵢ was placed along dim"""
        (offsets, dim) = self.saved_tensors
        return tuple(np.split(grad, offsets, axis=dim))


class TakeAlongDim(Function):
    """out = x gathered at `index` along `dim` (numpy's take_along_axis; max(dim) uses it)."""

    op = "take_along_dim"

    def forward(self, x, index=None, dim=0):
        self.save_for_backward(x.shape, index, dim)
        return np.take_along_axis(x, index, axis=dim)

    def backward(self, grad):
        """δx = δ scattered into zeros at the gathered positions (repeats add up)"""
        shape, index, dim = self.saved_tensors
        out = np.zeros(shape, dtype=grad.dtype)
        index, grad = np.broadcast_arrays(index, grad)
        np.add.at(out, _along_axis_index(index, dim), grad)
        return out


def _along_axis_index(index: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
    """The full fancy index that `take_along_axis(x, index, dim)` reads."""
    grids: list[Any] = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


class Clone(Function):
    op = "clone"

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        """δx = δ"""
        return grad
