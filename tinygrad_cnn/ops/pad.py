"""Padding of the last dimensions: a constant border (negative widths crop), or the border taken
from the input itself (reflect, replicate, circular)."""
from __future__ import annotations

import numpy as np

from ..autograd import Function


def inner_slices(shape, widths):
    """(slices of the output, slices of the input) that hold the same values, per dimension;
    widths[k] = (before, after) of dimension k, negative for a crop."""
    out_sl, in_sl = [], []
    for n, (b, a) in zip(shape, widths):
        out_sl.append(slice(max(b, 0), max(b, 0) + n + min(b, 0) + min(a, 0)))
        in_sl.append(slice(max(-b, 0), n - max(-a, 0)))
    return tuple(out_sl), tuple(in_sl)


class ConstantPad(Function):
    op = "constant_pad"

    def forward(self, x, widths=((0, 0),), value=0.0):
        """y = x surrounded by `value`: y[b + i] = x[i] (a negative width crops)"""
        shape = tuple(n + b + a for n, (b, a) in zip(x.shape, widths))
        out = np.full(shape, value, dtype=x.dtype)
        out_sl, in_sl = inner_slices(x.shape, widths)
        out[out_sl] = x[in_sl]
        return out

    def backward(self, grad):
        """δx = δ cropped back to x's place (the border's δ is dropped)"""
        x_shape = self.inputs[0].shape
        dx = np.zeros(x_shape, dtype=grad.dtype)
        out_sl, in_sl = inner_slices(x_shape, self.attrs["widths"])
        dx[in_sl] = grad[out_sl]
        return dx


class IndexPad(Function):
    """Borders copied from the input: per padded axis an index map out position → input position
    (numpy's 'reflect', 'edge' and 'wrap' are PyTorch's reflect, replicate and circular)."""

    op = "index_pad"

    def forward(self, x, widths=((0, 0),), mode="reflect"):
        """y[..., i] = x[..., idx(i)] on each padded axis"""
        first = x.ndim - len(widths)
        maps = [np.pad(np.arange(n), w, mode=mode) for n, w in zip(x.shape[first:], widths)]
        self.save_for_backward(first, maps)
        for axis, idx in enumerate(maps, start=first):
            x = np.take(x, idx, axis=axis)
        return x

    def backward(self, grad):
        """δx[..., k] = Σ_{i : idx(i) = k} δ[..., i]   (border δ added onto the pixels it copies)"""
        first, maps = self.saved_tensors
        for axis, idx in enumerate(maps, start=first):
            moved = np.moveaxis(grad, axis, 0)
            acc = np.zeros((self.inputs[0].shape[axis],) + moved.shape[1:], dtype=grad.dtype)
            np.add.at(acc, idx, moved)
            grad = np.moveaxis(acc, 0, axis)
        return grad
