"""Sliding windows shared by conv and pooling: padding, the strided window view (im2col without
a loop) and its adjoint, scattering per-window values back onto the input (col2im)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .checks import check_nchw, output_size, pair  # noqa: F401  (re-exported: older imports)


def pad2d(x: np.ndarray, padding: tuple[int, int], value: float = 0.0,
          extra: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Pad H and W of an NCHW array by P on each side, and by `extra` more at the bottom/right."""
    (ph, pw), (eh, ew) = padding, extra
    if ph == pw == eh == ew == 0:
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + 2 * ph + eh, w + 2 * pw + ew), value, dtype=x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


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
    out: np.ndarray | None = None
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
    assert out is not None, "scatter_taps: a kernel has at least one tap"
    return out


def crop2d(xp: np.ndarray, padding: tuple[int, int], size: tuple[int, int],
           axes: tuple[int, int] = (2, 3)) -> np.ndarray:
    """Undo `pad2d`: keep `size` rows/columns of the spatial `axes`, starting after the padding P."""
    index = [slice(None)] * xp.ndim
    for axis, p, n in zip(axes, padding, size):
        index[axis] = slice(p, p + n)
    return xp[tuple(index)]
