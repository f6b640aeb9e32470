"""Reductions: sum, mean, max over some axes. Their VJPs spread δ back over the reduced axes."""
from __future__ import annotations

import numpy as np

from ..autograd import Function


def normalize_axes(op: str, axis, ndim: int) -> tuple[int, ...]:
    """`axis` (None, int or tuple, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted(a % max(ndim, 1) for a in axes))


def expand_reduced(grad: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """Broadcast δ of a reduction (keepdims or not) back to the input's `shape`."""
    if grad.ndim != len(shape):
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)


class Sum(Function):
    op = "sum"

    def forward(self, x, axis=None, keepdims=False):
        axes = normalize_axes(self.op, axis, x.ndim)
        self.save_for_backward(x.shape, axes)
        return x.sum(axis=axes, keepdims=keepdims)

    def backward(self, grad):
        """δx = δ broadcast over the summed axes"""
        shape, axes = self.saved_tensors
        return expand_reduced(grad, shape, axes)


class Mean(Function):
    op = "mean"

    def forward(self, x, axis=None, keepdims=False):
        axes = normalize_axes(self.op, axis, x.ndim)
        count = int(np.prod([x.shape[a] for a in axes]))
        self.save_for_backward(x.shape, axes, count)
        return x.mean(axis=axes, keepdims=keepdims)

    def backward(self, grad):
        """δx = δ / n broadcast over the averaged axes (n = number of averaged elements)"""
        shape, axes, count = self.saved_tensors
        return expand_reduced(grad / count, shape, axes)


class Max(Function):
    op = "max"

    def forward(self, x, axis=None, keepdims=False):
        axes = normalize_axes(self.op, axis, x.ndim)
        if x.size == 0:
            raise ValueError(f"max: cannot reduce an empty tensor of shape {x.shape}")
        kept = [a for a in range(x.ndim) if a not in axes]
        moved = x.transpose(kept + list(axes))
        flat = moved.reshape(moved.shape[:len(kept)] + (-1,))
        argmax = flat.argmax(axis=-1)
        self.save_for_backward(x.shape, axes, kept, moved.shape, argmax)
        return x.max(axis=axes, keepdims=keepdims)

    def backward(self, grad):
        """δx = δ at the (first) position of each maximum, 0 elsewhere"""
        shape, axes, kept, moved_shape, argmax = self.saved_tensors
        g = grad.reshape(argmax.shape + (1,))
        flat = np.zeros(argmax.shape + (int(np.prod(moved_shape[len(kept):])),), dtype=grad.dtype)
        np.put_along_axis(flat, argmax[..., None], g, axis=-1)
        return flat.reshape(moved_shape).transpose(np.argsort(kept + list(axes)))
