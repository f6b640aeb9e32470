"""Reductions: sum, mean, amax, amin over some axes. Their VJPs spread δ back over the reduced
axes. `dim` arrives as a sorted tuple of non-negative axes (`checks.normalize_dims`). Sums keep
the input's dtype (NumPy would widen small integers to int64; the Tensor layer casts first)."""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..checks import check_nonempty


def expand_reduced(grad: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """Broadcast δ of a reduction (keepdim or not) back to the input's `shape`."""
    if grad.ndim != len(shape):
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)


class Sum(Function):
    op = "sum"

    def forward(self, x, dim=(), keepdim=False):
        self.save_for_backward(x.shape, dim)
        return x.sum(axis=dim, keepdims=keepdim, dtype=x.dtype)

    def backward(self, grad):
        """δx = δ broadcast over the summed axes"""
        shape, dim = self.saved_tensors
        return expand_reduced(grad, shape, dim)


class Mean(Function):
    op = "mean"

    def forward(self, x, dim=(), keepdim=False):
        self.save_for_backward(x.shape, dim, int(np.prod([x.shape[a] for a in dim])))
        return x.mean(axis=dim, keepdims=keepdim)

    def backward(self, grad):
        """δx = δ / n broadcast over the averaged axes (n = number of averaged elements)"""
        shape, dim, count = self.saved_tensors
        return expand_reduced(grad / count, shape, dim)


class Amax(Function):
    """The largest value over the axes `dim`."""

    op = "amax"
    reduce = staticmethod(np.max)

    def check(self, x, dim=(), keepdim=False):
        check_nonempty(self.op, x.shape, dim)

    def forward(self, x, dim=(), keepdim=False):
        out = self.reduce(x, axis=dim, keepdims=True)
        winners = x == out
        self.save_for_backward(winners, winners.sum(axis=dim, keepdims=True), dim)
        return out if keepdim else out.squeeze(dim)

    def backward(self, grad):
        """δx = δ / m at each of the m positions that attain the maximum, 0 elsewhere
        (tied maxima share δ evenly, as in PyTorch's amax)"""
        winners, count, dim = self.saved_tensors
        spread = expand_reduced(grad, winners.shape, dim)
        return spread * winners / count.astype(spread.dtype)


class Amin(Amax):
    """The smallest value over the axes `dim`."""

    op = "amin"
    reduce = staticmethod(np.min)

    def backward(self, grad):
        """δx = δ / m at each of the m positions that attain the minimum, 0 elsewhere
        (tied minima share δ evenly, as in PyTorch's amin)"""
        return super().backward(grad)


class Cumsum(Function):
    op = "cumsum"

    def forward(self, x, dim=0):
        return np.cumsum(x, axis=dim, dtype=x.dtype)

    def backward(self, grad):
        """δx[i] = Σ_{j ≥ i} δ[j] along the summed dim (a cumulative sum from the end)"""
        dim = self.attrs["dim"]
        return np.flip(np.cumsum(np.flip(grad, dim), axis=dim), dim)
