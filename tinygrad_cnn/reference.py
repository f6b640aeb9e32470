"""Loop-by-loop reference implementations of conv2d and pooling, forward and backward.

These follow the sensitivity-map formulas literally, one Python loop per index, so that they can
be read next to the derivation (docs/backprop.md). They are slow: use them to learn from and to
test the vectorised ops in `tinygrad_cnn.ops` against, never to train. Arrays are NCHW numpy
arrays; `stride`, `padding` and `dilation` are ints here to keep the loops plain.
"""
from __future__ import annotations

import numpy as np


def _pad(x: np.ndarray, p: int, value: float = 0.0, pw: int | None = None) -> np.ndarray:
    """Pad H by p and W by pw (default p) on each side."""
    pw = p if pw is None else pw
    return np.pad(x, ((0, 0), (0, 0), (p, p), (pw, pw)), constant_values=value)


def _zeros_padded(x: np.ndarray, padding: int, dtype) -> np.ndarray:
    """Zeros shaped like the padded input: where δx_p accumulates."""
    n, c, h, w = x.shape
    return np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=dtype)


def _crop(xp: np.ndarray, padding: int, like: np.ndarray) -> np.ndarray:
    """Drop the padding again: δx_p → δx."""
    return xp[:, :, padding:padding + like.shape[2], padding:padding + like.shape[3]]


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int = 1,
                   padding: int = 0, dilation: int = 1, groups: int = 1) -> np.ndarray:
    """net[n,o,i,j] = b[o] + Σ_c Σ_m Σ_q W[o,c,m,q] · x_p[n, g·C/G + c, S·i+d·m, S·j+d·q]

    with G groups, output map o sees only the C/G input maps of its group g = o // (O/G).
    """
    xp = _pad(x, padding)
    n_, _, h, wd = xp.shape
    o_, c_, kh, kw = w.shape                  # c_ = in_channels / groups
    ho = (h - dilation * (kh - 1) - 1) // stride + 1
    wo = (wd - dilation * (kw - 1) - 1) // stride + 1
    net = np.zeros((n_, o_, ho, wo), dtype=x.dtype)
    for n in range(n_):
        for o in range(o_):
            first = (o // (o_ // groups)) * c_     # the first input map of o's group
            for i in range(ho):
                for j in range(wo):
                    total = b[o] if b is not None else 0.0
                    for c in range(c_):
                        for m in range(kh):
                            for q in range(kw):
                                total += w[o, c, m, q] * xp[n, first + c, stride * i + dilation * m,
                                                            stride * j + dilation * q]
                    net[n, o, i, j] = total
    return net


def conv_transpose2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None,
                             stride: int = 1, padding: int = 0, output_padding: int = 0,
                             groups: int = 1, dilation: int = 1) -> np.ndarray:
    """y_p[n, g·C/G + c, S·i+d·m, S·j+d·q] += W[o,c,m,q] · x[n,o,i,j], then crop P (+ b[c]).

    Every input pixel scatters a W-weighted copy of the filter onto the output: the adjoint of
    conv2d, whose input-VJP is exactly this with δ in place of x (see `conv2d_backward`).
    Weight (in_channels, out_channels/groups, kH, kW).
    """
    n_, i_, h, wd = x.shape
    _, c_, kh, kw = w.shape                   # c_ = out_channels / groups
    hp = (h - 1) * stride + dilation * (kh - 1) + 1 + output_padding
    wp = (wd - 1) * stride + dilation * (kw - 1) + 1 + output_padding
    yp = np.zeros((n_, c_ * groups, hp, wp), dtype=x.dtype)
    for n in range(n_):
        for o in range(i_):
            first = (o // (i_ // groups)) * c_
            for i in range(h):
                for j in range(wd):
                    for c in range(c_):
                        for m in range(kh):
                            for q in range(kw):
                                yp[n, first + c, stride * i + dilation * m,
                                   stride * j + dilation * q] += w[o, c, m, q] * x[n, o, i, j]
    y = yp[:, :, padding:hp - padding, padding:wp - padding]
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def expand_stride(delta: np.ndarray, stride: int) -> np.ndarray:
    """expand_S(δ): S−1 zeros between neighbouring entries of each map."""
    n_, o_, ho, wo = delta.shape
    out = np.zeros((n_, o_, (ho - 1) * stride + 1, (wo - 1) * stride + 1), dtype=delta.dtype)
    for i in range(ho):
        for j in range(wo):
            out[:, :, i * stride, j * stride] = delta[:, :, i, j]
    return out


def conv2d_backward(x: np.ndarray, w: np.ndarray, delta: np.ndarray, stride: int = 1,
                    padding: int = 0, dilation: int = 1, groups: int = 1):
    """Sensitivity maps through a conv layer; returns (δx, δW, δb).

    δb[o]      = Σ_{n,i,j} δ[n,o,i,j]
    δW[o,c,m,q] = Σ_{n,i,j} δ[n,o,i,j] · x_p[n,c, S·i+d·m, S·j+d·q]
    δx_p[n,c]  = Σ_o full_corr(expand_S(δ[n,o]), rot180(W[o,c])), then crop P from each border

    (written for groups=1; with G groups each group is the same computation on its own slice
    of channels, which is how the loops below are run.)
    """
    if groups > 1:
        o_g, c_g = w.shape[0] // groups, w.shape[1]
        parts = [conv2d_backward(x[:, g * c_g:(g + 1) * c_g], w[g * o_g:(g + 1) * o_g],
                                 delta[:, g * o_g:(g + 1) * o_g], stride, padding, dilation)
                 for g in range(groups)]
        return tuple(np.concatenate(p, axis=axis) for p, axis in zip(zip(*parts), (1, 0, 0)))
    xp = _pad(x, padding)
    n_, c_, h, wd = xp.shape
    o_, _, kh, kw = w.shape
    _, _, ho, wo = delta.shape

    db = np.zeros(o_, dtype=delta.dtype)
    for o in range(o_):
        for n in range(n_):
            for i in range(ho):
                for j in range(wo):
                    db[o] += delta[n, o, i, j]

    dw = np.zeros_like(w)
    for o in range(o_):
        for c in range(c_):
            for m in range(kh):
                for q in range(kw):
                    for n in range(n_):
                        for i in range(ho):
                            for j in range(wo):
                                dw[o, c, m, q] += delta[n, o, i, j] * xp[
                                    n, c, stride * i + dilation * m, stride * j + dilation * q]

    # full correlation: pad the expanded δ by d(k−1), slide the 180°-rotated filter over it
    expanded = expand_stride(delta, stride)
    ph, pw = dilation * (kh - 1), dilation * (kw - 1)
    full = _pad(expanded, ph, pw=pw)
    rotated = w[:, :, ::-1, ::-1]
    dxp = _zeros_padded(x, padding, delta.dtype)
    reach_h, reach_w = expanded.shape[2] + ph, expanded.shape[3] + pw   # rows a window reached
    for n in range(n_):
        for c in range(c_):
            for a in range(reach_h):
                for e in range(reach_w):
                    total = 0.0
                    for o in range(o_):
                        for m in range(kh):
                            for q in range(kw):
                                total += rotated[o, c, m, q] * full[n, o, a + dilation * m,
                                                                    e + dilation * q]
                    dxp[n, c, a, e] = total
    return _crop(dxp, padding, x), dw, db


def _pool_size(n: int, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> int:
    """Windows along one axis: floor((n + 2P − d(k−1) − 1)/S) + 1 (ceil in ceil_mode, keeping
    the last window's start inside the input or its left padding)."""
    span = d * (k - 1) + 1
    size = (n + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (size - 1) * s >= n + p:
        size -= 1
    return size


def max_pool2d_forward(x: np.ndarray, k: int, stride: int | None = None, padding: int = 0,
                       dilation: int = 1, ceil_mode: bool = False):
    """out = max of each window; also the argmax position (row, col) in x (unpadded; −P… for
    padding). Taps outside the input never win (they are −∞); the first maximum wins ties."""
    s = k if stride is None else stride
    n_, c_, h, w = x.shape
    ho = _pool_size(h, k, s, padding, dilation, ceil_mode)
    wo = _pool_size(w, k, s, padding, dilation, ceil_mode)
    out = np.zeros((n_, c_, ho, wo), dtype=x.dtype)
    where = np.zeros((n_, c_, ho, wo, 2), dtype=np.int64)
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    best, best_at = -np.inf, (s * i - padding, s * j - padding)
                    for m in range(k):                      # row-major: the first maximum wins
                        for q in range(k):
                            r, col = s * i - padding + dilation * m, s * j - padding + dilation * q
                            if 0 <= r < h and 0 <= col < w and x[n, c, r, col] > best:
                                best, best_at = x[n, c, r, col], (r, col)
                    out[n, c, i, j] = best
                    where[n, c, i, j] = best_at
    return out, where


def max_pool2d_backward(x: np.ndarray, delta: np.ndarray, k: int, stride: int | None = None,
                        padding: int = 0, dilation: int = 1, ceil_mode: bool = False) -> np.ndarray:
    """δ goes unchanged to the position that held each window's maximum; overlaps add up."""
    _, where = max_pool2d_forward(x, k, stride, padding, dilation, ceil_mode)
    n_, c_, ho, wo = delta.shape
    dx = np.zeros(x.shape, dtype=delta.dtype)
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    r, q = where[n, c, i, j]
                    dx[n, c, r, q] += delta[n, c, i, j]
    return dx


def _avg_window(i: int, k: int, s: int, p: int, n: int, count_include_pad: bool) -> tuple[int, int, int]:
    """(first, last + 1) input positions of window i inside the input, and its divisor count."""
    start = s * i - p
    end = min(start + k, n + p)                     # clipped to the padded input (ceil_mode)
    count = end - start if count_include_pad else min(end, n) - max(start, 0)
    return max(start, 0), min(end, n), count


def avg_pool2d_forward(x: np.ndarray, k: int, stride: int | None = None, padding: int = 0,
                       ceil_mode: bool = False, count_include_pad: bool = True,
                       divisor_override: int | None = None) -> np.ndarray:
    """out = (Σ of the window's input values) / divisor; padding counts as zeros, and in the
    divisor only with count_include_pad; divisor_override replaces the divisor."""
    s = k if stride is None else stride
    n_, c_, h, w = x.shape
    ho, wo = _pool_size(h, k, s, padding, 1, ceil_mode), _pool_size(w, k, s, padding, 1, ceil_mode)
    out = np.zeros((n_, c_, ho, wo), dtype=x.dtype)
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                r0, r1, ch = _avg_window(i, k, s, padding, h, count_include_pad)
                for j in range(wo):
                    c0, c1, cw = _avg_window(j, k, s, padding, w, count_include_pad)
                    out[n, c, i, j] = x[n, c, r0:r1, c0:c1].sum() / (divisor_override or ch * cw)
    return out


def avg_pool2d_backward(x: np.ndarray, delta: np.ndarray, k: int, stride: int | None = None,
                        padding: int = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                        divisor_override: int | None = None) -> np.ndarray:
    """Every input position of a window gets δ / divisor; overlaps add up."""
    s = k if stride is None else stride
    n_, c_, ho, wo = delta.shape
    dx = np.zeros(x.shape, dtype=delta.dtype)
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                r0, r1, ch = _avg_window(i, k, s, padding, x.shape[2], count_include_pad)
                for j in range(wo):
                    c0, c1, cw = _avg_window(j, k, s, padding, x.shape[3], count_include_pad)
                    dx[n, c, r0:r1, c0:c1] += delta[n, c, i, j] / (divisor_override or ch * cw)
    return dx


def adaptive_avg_pool2d_forward(x: np.ndarray, output_size: tuple[int, int]) -> np.ndarray:
    """out[n,c,i,j] = mean of x[n,c] over rows ⌊iH/H_out⌋ … ⌈(i+1)H/H_out⌉−1 and likewise columns."""
    n_, c_, h, w = x.shape
    ho, wo = output_size
    out = np.zeros((n_, c_, ho, wo), dtype=x.dtype)
    for i in range(ho):
        r0, r1 = (i * h) // ho, -((-(i + 1) * h) // ho)
        for j in range(wo):
            c0, c1 = (j * w) // wo, -((-(j + 1) * w) // wo)
            out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out
