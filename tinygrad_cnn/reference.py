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
                   padding: int = 0, dilation: int = 1) -> np.ndarray:
    """net[n,o,i,j] = b[o] + Σ_c Σ_m Σ_q W[o,c,m,q] · x_p[n,c, S·i+d·m, S·j+d·q]"""
    xp = _pad(x, padding)
    n_, c_, h, wd = xp.shape
    o_, _, kh, kw = w.shape
    ho = (h - dilation * (kh - 1) - 1) // stride + 1
    wo = (wd - dilation * (kw - 1) - 1) // stride + 1
    net = np.zeros((n_, o_, ho, wo), dtype=x.dtype)
    for n in range(n_):
        for o in range(o_):
            for i in range(ho):
                for j in range(wo):
                    total = b[o] if b is not None else 0.0
                    for c in range(c_):
                        for m in range(kh):
                            for q in range(kw):
                                total += w[o, c, m, q] * xp[n, c, stride * i + dilation * m,
                                                            stride * j + dilation * q]
                    net[n, o, i, j] = total
    return net


def expand_stride(delta: np.ndarray, stride: int) -> np.ndarray:
    """expand_S(δ): S−1 zeros between neighbouring entries of each map."""
    n_, o_, ho, wo = delta.shape
    out = np.zeros((n_, o_, (ho - 1) * stride + 1, (wo - 1) * stride + 1), dtype=delta.dtype)
    for i in range(ho):
        for j in range(wo):
            out[:, :, i * stride, j * stride] = delta[:, :, i, j]
    return out


def conv2d_backward(x: np.ndarray, w: np.ndarray, delta: np.ndarray, stride: int = 1,
                    padding: int = 0, dilation: int = 1):
    """Sensitivity maps through a conv layer; returns (δx, δW, δb).

    δb[o]      = Σ_{n,i,j} δ[n,o,i,j]
    δW[o,c,m,q] = Σ_{n,i,j} δ[n,o,i,j] · x_p[n,c, S·i+d·m, S·j+d·q]
    δx_p[n,c]  = Σ_o full_corr(expand_S(δ[n,o]), rot180(W[o,c])), then crop P from each border
    """
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


def _pool_size(h: int, w: int, k: int, s: int) -> tuple[int, int]:
    return (h - k) // s + 1, (w - k) // s + 1


def max_pool2d_forward(x: np.ndarray, k: int, stride: int | None = None, padding: int = 0):
    """out = max of each k×k window; also returns the argmax position (row, col) in x_p."""
    s = k if stride is None else stride
    xp = _pad(x, padding, value=-np.inf)
    n_, c_, h, w = xp.shape
    ho, wo = _pool_size(h, w, k, s)
    out = np.zeros((n_, c_, ho, wo), dtype=x.dtype)
    where = np.zeros((n_, c_, ho, wo, 2), dtype=np.int64)
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    best, best_at = -np.inf, (s * i, s * j)
                    for m in range(k):                      # row-major: the first maximum wins
                        for q in range(k):
                            v = xp[n, c, s * i + m, s * j + q]
                            if v > best:
                                best, best_at = v, (s * i + m, s * j + q)
                    out[n, c, i, j] = best
                    where[n, c, i, j] = best_at
    return out, where


def max_pool2d_backward(x: np.ndarray, delta: np.ndarray, k: int, stride: int | None = None,
                        padding: int = 0) -> np.ndarray:
    """δ goes unchanged to the position that held each window's maximum; overlaps add up."""
    _, where = max_pool2d_forward(x, k, stride, padding)
    n_, c_, ho, wo = delta.shape
    dxp = _zeros_padded(x, padding, delta.dtype)
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    r, q = where[n, c, i, j]
                    dxp[n, c, r, q] += delta[n, c, i, j]
    return _crop(dxp, padding, x)


def avg_pool2d_forward(x: np.ndarray, k: int, stride: int | None = None,
                       padding: int = 0) -> np.ndarray:
    """out = (1/k²) Σ of each k×k window of the zero-padded input."""
    s = k if stride is None else stride
    xp = _pad(x, padding)
    n_, c_, h, w = xp.shape
    ho, wo = _pool_size(h, w, k, s)
    out = np.zeros((n_, c_, ho, wo), dtype=x.dtype)
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    out[n, c, i, j] = xp[n, c, s * i:s * i + k, s * j:s * j + k].sum() / (k * k)
    return out


def avg_pool2d_backward(x: np.ndarray, delta: np.ndarray, k: int, stride: int | None = None,
                        padding: int = 0) -> np.ndarray:
    """Every position of a window gets δ / k²; overlaps add up."""
    s = k if stride is None else stride
    n_, c_, ho, wo = delta.shape
    dxp = _zeros_padded(x, padding, delta.dtype)
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    for m in range(k):
                        for q in range(k):
                            dxp[n, c, s * i + m, s * j + q] += delta[n, c, i, j] / (k * k)
    return _crop(dxp, padding, x)
