"""Pooling (max, mean) and Bouvrie's trainable subsampling. No weights in max/mean pooling: only
δ passes back, upsampled onto the window positions."""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from .windows import check_nchw, crop2d, output_size, pad2d, pair, scatter_taps, windows


def pool_geometry(op: str, x: np.ndarray, kernel_size, stride, padding):
    """Normalised (kernel, stride, padding) pairs, checked against the input."""
    check_nchw(op, x)
    k = pair(op, "kernel_size", kernel_size, 1)
    s = pair(op, "stride", kernel_size if stride is None else stride, 1)
    p = pair(op, "padding", padding, 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k}")
    output_size(op, x.shape, k, s, p)
    return k, s, p


class MaxPool2d(Function):
    op = "max_pool2d"

    def forward(self, x, kernel_size=2, stride=None, padding=0):
        """out = max of each window; argmax records which tap (m·kW + q) held it (the first on ties)."""
        k, s, p = pool_geometry(self.op, x, kernel_size, stride, padding)
        self.attrs.update(kernel_size=k, stride=s, padding=p)
        xp = pad2d(x, p, value=-np.inf)
        win = windows(xp, k, s)                                         # (N, C, Ho, Wo, kH, kW)
        best = win[..., 0, 0].copy()
        argmax = np.zeros(best.shape, dtype=np.uint8 if k[0] * k[1] <= 256 else np.int32)
        for t in range(1, k[0] * k[1]):                                 # over the kernel taps
            tap = win[..., t // k[1], t % k[1]]
            argmax += (tap > best) * (t - argmax)                       # strict: first max wins
            np.maximum(best, tap, out=best)
        self.save_for_backward(argmax, xp.shape)
        return best

    def backward(self, grad):
        """δx = δ routed to the argmax of each window (0 elsewhere; overlapping windows add up)"""
        argmax, padded_shape = self.saved_tensors
        k, s, p = self.attrs["kernel_size"], self.attrs["stride"], self.attrs["padding"]
        routed = scatter_taps(lambda m, q: (argmax == m * k[1] + q) * grad, k, padded_shape, s)
        return crop2d(routed, p)


class AvgPool2d(Function):
    op = "avg_pool2d"

    def forward(self, x, kernel_size=2, stride=None, padding=0):
        """out = (1/k²) Σ of each window of the zero-padded input"""
        k, s, p = pool_geometry(self.op, x, kernel_size, stride, padding)
        self.attrs.update(kernel_size=k, stride=s, padding=p)
        xp = pad2d(x, p)                                  # padding counts as zeros
        self.save_for_backward(xp.shape)
        return windows(xp, k, s).sum(axis=(4, 5)) / np.asarray(k[0] * k[1], dtype=x.dtype)

    def backward(self, grad):
        """δx = δ / k² spread over every position of each window (δ ⊗ 1_{k×k} / k² when S = k)"""
        (padded_shape,) = self.saved_tensors
        k, s, p = self.attrs["kernel_size"], self.attrs["stride"], self.attrs["padding"]
        share = grad / np.asarray(k[0] * k[1], dtype=grad.dtype)
        return crop2d(scatter_taps(lambda m, q: share, k, padded_shape, s), p)


class Subsample(Function):
    """Bouvrie (2006): a = β·down(x) + b per map, down = sum over each k×k block."""

    op = "subsample"

    def forward(self, x, beta, bias, kernel_size=2):
        k, s, _ = pool_geometry(self.op, x, kernel_size, None, 0)
        channels = x.shape[1]
        if beta.shape != (channels,) or bias.shape != (channels,):
            raise ValueError(f"subsample: beta {beta.shape} and bias {bias.shape} must both have "
                             f"shape ({channels},), one per map of input {x.shape}")
        self.attrs.update(kernel_size=k)
        down = windows(x, k, s).sum(axis=(4, 5))
        self.save_for_backward(down, beta, x.shape)
        return beta.reshape(1, -1, 1, 1) * down + bias.reshape(1, -1, 1, 1)

    def backward(self, grad):
        """δx = β · (δ ⊗ 1_{k×k}), δβ = Σ (δ ∘ down(x)), δb = Σ δ"""
        down, beta, x_shape = self.saved_tensors
        k = self.attrs["kernel_size"]
        dx = None
        if self.needs_input_grad[0]:
            scaled = grad * beta.reshape(1, -1, 1, 1)
            dx = scatter_taps(lambda m, q: scaled, k, x_shape, k)
        return dx, (grad * down).sum(axis=(0, 2, 3)), grad.sum(axis=(0, 2, 3))
