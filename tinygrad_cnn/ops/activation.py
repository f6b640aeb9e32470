"""Activations f applied elementwise: the f'(net) factor of the sensitivity-map recursion
δ_l = (W_{l+1}ᵀ δ_{l+1}) ∘ f'(net_l) lives here, as its own graph node."""
from __future__ import annotations

import math

import numpy as np

from .. import buffers
from ..autograd import Function
from ..parallel import map_chunks, samples_per_chunk


def batch_rows(a: np.ndarray) -> np.ndarray:
    """`a` as a 2-D (batch, features) array (a view when `a` is contiguous; 0-d: one row)."""
    return a.reshape(1, 1) if a.ndim == 0 else a.reshape(a.shape[0], math.prod(a.shape[1:]))


class ReLU(Function):
    op = "relu"

    def forward(self, x):
        """y = max(x, 0), in batch chunks on every core; y is kept: y > 0 exactly where x > 0"""
        y = buffers.empty(x.shape, x.dtype)
        rows_x, rows_y = batch_rows(x), batch_rows(y)
        zero = np.zeros((), dtype=x.dtype)

        def chunk(a: int, b: int) -> None:
            np.maximum(rows_x[a:b], zero, out=rows_y[a:b])

        map_chunks(chunk, len(rows_x), samples_per_chunk(2 * rows_x[:1].nbytes, len(rows_x)))
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        """δx = δ ∘ 1[x > 0]"""
        (y,) = self.saved_tensors
        dx = buffers.empty(grad.shape, grad.dtype)
        rows_g, rows_y, rows_dx = batch_rows(grad), batch_rows(y), batch_rows(dx)

        def chunk(a: int, b: int) -> None:
            np.multiply(rows_g[a:b], rows_y[a:b] > 0, out=rows_dx[a:b])

        map_chunks(chunk, len(rows_g), samples_per_chunk(3 * rows_g[:1].nbytes, len(rows_g)))
        return dx


class LeakyReLU(Function):
    op = "leaky_relu"

    def forward(self, x, negative_slope=0.01):
        self.save_for_backward(x > 0, negative_slope)
        return np.where(x > 0, x, x * np.asarray(negative_slope, dtype=x.dtype))

    def backward(self, grad):
        """δx = δ ∘ (1 if x > 0 else negative_slope)"""
        positive, slope = self.saved_tensors
        return np.where(positive, grad, grad * np.asarray(slope, dtype=grad.dtype))


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = exp(−log(1 + e^(−x))): finite for any x, no overflow warning."""
    return np.exp(-np.logaddexp(np.zeros((), dtype=x.dtype), -x))


class Sigmoid(Function):
    op = "sigmoid"

    def forward(self, x):
        y = stable_sigmoid(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        """δx = δ ∘ y(1 − y), y = σ(x)"""
        (y,) = self.saved_tensors
        return grad * y * (1 - y)


class Tanh(Function):
    op = "tanh"

    def forward(self, x):
        y = np.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        """δx = δ ∘ (1 − y²), y = tanh(x)"""
        (y,) = self.saved_tensors
        return grad * (1 - y * y)
