"""Sliding windows shared by conv and pooling: padding, the strided window view (im2col without
a loop) and its adjoint, scattering per-window values back onto the input (col2im)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided


def pair(op: str, name: str, value, minimum: int) -> tuple[int, int]:
    """An int or a pair as (h, w), each at least `minimum`."""
    h, w = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if not all(isinstance(v, (int, np.integer)) for v in (h, w)):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if h < minimum or w < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(h), int(w)


def check_nchw(op: str, x: np.ndarray, what: str = "input") -> None:
    if x.ndim != 4:
        raise ValueError(f"{op}: expected {what} of shape (N, C, H, W), got {x.shape}")


def output_size(op: str, x_shape: tuple[int, ...], kernel: tuple[int, int],
                stride: tuple[int, int], padding: tuple[int, int],
                dilation: tuple[int, int] = (1, 1)) -> tuple[int, int]:
    """H_out = floor((H + 2P − d(k−1) − 1) / S) + 1, for both spatial axes."""
    sizes = []
    for n, k, s, p, d in zip(x_shape[2:], kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        if n + 2 * p < span:
            raise ValueError(f"{op}: kernel {kernel} (dilation {dilation}, span {span}) is larger "
                             f"than the padded input {tuple(m + 2 * q for m, q in zip(x_shape[2:], padding))} "
                             f"of input shape {x_shape} with padding {padding}")
        sizes.append((n + 2 * p - span) // s + 1)
    return sizes[0], sizes[1]


def pad2d(x: np.ndarray, padding: tuple[int, int], value: float = 0.0) -> np.ndarray:
    """Pad H and W of an NCHW array by P on each side."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def windows(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
            dilation: tuple[int, int] = (1, 1)) -> np.ndarray:
    """View (N, C, H_out, W_out, kH, kW): windows[n,c,i,j,m,q] = xp[n,c, S·i + d·m, S·j + d·q].

    A strided view, no copy: window (i, j) starts at (S·i, S·j) and its taps are d apart.
    """
    n, c, h, w = xp.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    ho, wo = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (n, c, ho, wo, kh, kw), (s0, s1, s2 * sh, s3 * sw, s2 * dh, s3 * dw),
                      writeable=False)


def scatter_taps(tap: Callable[[int, int], np.ndarray], kernel: tuple[int, int],
                 padded_shape: tuple[int, ...], stride: tuple[int, int],
                 dilation: tuple[int, int] = (1, 1), axes: tuple[int, int] = (2, 3)) -> np.ndarray:
    """Adjoint of `windows` (col2im): add every kernel tap's values back where its window read.

    `tap(m, q)` gives, for kernel tap (m, q), an array with one value per window (its spatial
    axes at `axes`, H_out × W_out); the result, of `padded_shape`, gets tap(m, q)[.., i, j, ..]
    added at (S·i + d·m, S·j + d·q). Overlapping windows add up; positions no window reached
    stay 0. The loop runs over the kH·kW kernel taps only, each step vectorised over every
    window of the batch.
    """
    (sh, sw), (dh, dw) = stride, dilation
    out = None
    for m in range(kernel[0]):
        for q in range(kernel[1]):
            values = tap(m, q)
            if out is None:
                out = np.zeros(padded_shape, dtype=values.dtype)
            ho, wo = values.shape[axes[0]], values.shape[axes[1]]
            index = [slice(None)] * out.ndim
            index[axes[0]] = slice(dh * m, dh * m + sh * (ho - 1) + 1, sh)
            index[axes[1]] = slice(dw * q, dw * q + sw * (wo - 1) + 1, sw)
            out[tuple(index)] += values
    return out


def crop2d(xp: np.ndarray, padding: tuple[int, int], axes: tuple[int, int] = (2, 3)) -> np.ndarray:
    """Undo `pad2d`: drop P rows/columns from each border of the spatial `axes`."""
    index = [slice(None)] * xp.ndim
    for axis, p in zip(axes, padding):
        index[axis] = slice(p, xp.shape[axis] - p)
    return xp[tuple(index)]
