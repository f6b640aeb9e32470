"""2-D convolution (cross-correlation, as CNNs use the word) and its adjoint, the transposed
convolution; NCHW, stride S, padding P, dilation d, G groups. The three formulas of the
sensitivity-map derivation, for net = b + W ⋆ x_p:

    δb = Σ_{n,i,j} δ                        (`db`: sum of the sensitivity map)
    δW = δ ⋆ x_p                            (`correlate_weight`: the input correlated with δ)
    δx = conv_transpose2d(δ, W)             (`transpose_correlate`: δ carried back through W)

The last one is the teaching point: conv2d's input-VJP *is* conv_transpose2d with the same
weight, literally the same function here, and conv_transpose2d's input-VJP is conv2d of δ.
"""
from __future__ import annotations

import numpy as np

from .. import buffers
from ..autograd import Function, is_grad_enabled
from ..parallel import chunk_bounds, map_chunks, samples_per_chunk
from .windows import crop2d, pad2d, windows

KEEP_COLUMNS = 16       # keep a conv's im2col columns for backward while at most 16× its input,
KEEP_BYTES = 1 << 22    # or at most 4 MiB in all


def im2col(xp: np.ndarray, kernel, stride, dilation,
           out: np.ndarray | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """Columns (C·kH·kW, N, H_out·W_out): one row per filter tap (c, m, q), one column per window
    (a copy of the strided window view, ordered so that the copy reads whole rows of the input);
    and (H_out, W_out). `out`, if given, receives the columns."""
    win = windows(xp, kernel, stride, dilation)                        # (N, C, Ho, Wo, kH, kW)
    n, c, ho, wo, kh, kw = win.shape
    if out is None:
        out = buffers.empty((c * kh * kw, n, ho * wo), xp.dtype)
    np.copyto(out.reshape(c, kh, kw, n, ho, wo), win.transpose(1, 4, 5, 0, 2, 3))
    return out, (ho, wo)


def correlate(cols: np.ndarray, weight: np.ndarray, groups: int, size,
              out: np.ndarray | None = None) -> np.ndarray:
    """net[n,o,i,j] = Σ_{c,m,q} W[o,c,m,q] · x_p[n,c, S·i+d·m, S·j+d·q] = W_mat · im2col(x_p), per group."""
    g, out_ch, n = groups, weight.shape[0], cols.shape[1]
    w = weight.reshape(g, out_ch // g, -1)                              # (G, O/G, C/G·kH·kW)
    if out is None:
        out = np.empty((n, out_ch, *size), dtype=np.result_type(cols, weight))
    k, length = cols.shape[0] // g, cols.shape[2]      # explicit sizes: N may be 0
    if g == 1 and length < k:     # small maps: one (O, N·Ho·Wo) product, then samples first
        net = w[0] @ cols.reshape(k, n * length)
        np.copyto(out.reshape(n, out_ch, length), net.reshape(out_ch, n, length).transpose(1, 0, 2))
    else:                         # large maps: one (O/G, Ho·Wo) product per sample and group
        np.matmul(w, cols.reshape(g, k, n, length).transpose(2, 0, 1, 3),  # (N, G, O/G, Ho·Wo)
                  out=out.reshape(n, g, out_ch // g, length))
    return out


def transpose_correlate(delta: np.ndarray, weight: np.ndarray, stride, dilation, groups: int,
                        padded_size) -> np.ndarray:
    """y_p[n,c, S·i+d·m, S·j+d·q] += Σ_o W[o,c,m,q] · δ[n,o,i,j]: conv_transpose2d before the crop.

    The full correlation of expand_S(δ) with rot180(W), evaluated in the order that skips its
    zeros, batch axis last (each copy and add runs over long contiguous rows), per group:

        E[o,q,i, S·j+d·q] = δ[o,i,j]            δ spread along the width, once per kernel column q
        U[m,c] = Σ_{o,q} W[o,c,m,q] · E[o,q]    one matmul mixes the channels and kernel columns
        y_p[c, S·i+d·m] += U[m,c,i]             each kernel row m added at its offset

    kW copies, one matmul and kH adds. Positions no window reached stay 0.
    """
    (out_ch, in_per_group, kh, kw), (n, _, ho, wo), g = weight.shape, delta.shape, groups
    (sh, sw), (dh, dw), (hp, wp), og = stride, dilation, padded_size, out_ch // groups
    e = np.zeros((g, og, kw, ho, wp, n), dtype=np.result_type(delta, weight))
    delta_hwn = delta.reshape(n, g, og, ho, wo).transpose(1, 2, 3, 4, 0)      # (G, O/G, Ho, Wo, N)
    for q in range(kw):
        e[:, :, q, :, dw * q: dw * q + sw * (wo - 1) + 1: sw] = delta_hwn
    w_rows = weight.reshape(g, og, in_per_group, kh, kw).transpose(0, 3, 2, 1, 4).reshape(
        g, kh * in_per_group, og * kw)                                      # [(m, c), (o, q)]
    u = (w_rows @ e.reshape(g, og * kw, ho * wp * n)).reshape(g, kh, in_per_group, ho, wp, n)
    yp = np.zeros((g, in_per_group, hp, wp, n), dtype=u.dtype)
    for m in range(kh):
        yp[:, :, dh * m: dh * m + sh * (ho - 1) + 1: sh] += u[:, m]
    return yp.reshape(g * in_per_group, hp, wp, n).transpose(3, 0, 1, 2)   # (N, C, Hp, Wp)


def correlate_weight(delta: np.ndarray, cols: np.ndarray, groups: int, shape) -> np.ndarray:
    """δW[o,c,m,q] = Σ_{n,i,j} δ[n,o,i,j] · x_p[n,c, S·i+d·m, S·j+d·q] = δ_mat · im2col(x_p)ᵀ, per group."""
    g, n, out_ch = groups, delta.shape[0], delta.shape[1]
    length = cols.shape[2]
    cols = cols.reshape(g, cols.shape[0] // g, n, length)               # (G, C/G·kH·kW, N, L)
    if g == 1 and cols.shape[3] >= cols.shape[1]:   # large maps: one product per sample, summed
        dw = (delta.reshape(n, out_ch, length) @ cols[0].transpose(1, 2, 0)).sum(axis=0)
    else:                                           # small maps: one (O/G, N·L) product per group
        d = delta.reshape(n, g, out_ch // g, length).transpose(1, 2, 0, 3).reshape(
            g, out_ch // g, n * length)
        dw = d @ cols.reshape(g, cols.shape[1], n * length).transpose(0, 2, 1)
    return dw.reshape(shape)


class Conv2d(Function):
    op = "conv2d"

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        """net = b + W ⋆ x_p = W_mat · im2col(x_p) + b

        In batch chunks (`parallel.map_chunks`, on every core): a chunk's columns are built and
        multiplied at once. They are kept for δW when they are at most KEEP_COLUMNS times the
        size of the padded input, or KEEP_BYTES in all; larger ones (a 1-channel input has 25
        columns per pixel under a 5×5 kernel) are built again in backward, which costs less than
        keeping them, and nothing is kept under no_grad.
        """
        xp = pad2d(x, padding)
        n, out_ch, k = x.shape[0], weight.shape[0], weight[0].size * groups
        size = conv_output_size(xp.shape[2:], weight.shape[2:], stride, dilation)
        out = buffers.empty((n, out_ch, *size), np.result_type(x, weight, *(() if bias is None else (bias,))))
        per_sample = columns_bytes(xp, weight, groups, size)
        keep = (is_grad_enabled() and self.needs_input_grad[1]
                and (per_sample <= KEEP_COLUMNS * xp[:1].nbytes or n * per_sample <= KEEP_BYTES))
        cols = buffers.empty((k, n, size[0] * size[1]), np.result_type(x, weight)) if keep else None
        most = samples_per_chunk(2 * per_sample, n)

        def chunk(a: int, b: int) -> None:
            c, _ = im2col(xp[a:b], weight.shape[2:], stride, dilation,
                          out=cols[:, a:b] if keep else chunk_columns(xp, weight, groups, size, b - a, most))
            correlate(c, weight, groups, size, out=out[a:b])
            if bias is not None:
                out[a:b] += bias.reshape(1, -1, 1, 1)

        map_chunks(chunk, n, most)
        self.save_for_backward(xp, cols, weight, x.shape[2:])
        return out

    def backward(self, grad):
        """δx = conv_transpose2d(δ, W) = crop_P(Σ_o pad_{k−1}(expand_S(δ[n,o])) ⋆ rot180(W[o,c]))
        δW[o,c,m,q] = Σ_{n,i,j} δ[n,o,i,j] · x_p[n,c, S·i+d·m, S·j+d·q]   (input correlated with δ)
        δb[o] = Σ_{n,i,j} δ[n,o,i,j]   (sum of the sensitivity map)

        δx is computed by `transpose_correlate`, the very function ConvTranspose2d.forward uses;
        `reference.conv2d_backward` computes it literally, as the padded full correlation with
        rot180(W), and the tests compare the two. The batch is split into fixed chunks run on
        every core; δW and δb add the chunks' sums in chunk order (the same numbers whatever the
        thread count).
        """
        xp, cols, weight, size = self.saved_tensors
        s, p, d, g = (self.attrs[k] for k in ("stride", "padding", "dilation", "groups"))
        need_dx, need_dw = self.needs_input_grad[:2]
        need_db = len(self.inputs) == 3 and self.needs_input_grad[2]
        n = grad.shape[0]
        dx = (buffers.empty((n, weight.shape[1] * g, *size), np.result_type(grad, weight))
              if need_dx else None)
        per_sample = columns_bytes(xp, weight, g, grad.shape[2:]) * (4 if need_dx else 2)  # + Z
        most = samples_per_chunk(per_sample, n, many_calls=True)

        def chunk(a: int, b: int) -> tuple:
            if dx is not None:
                dx[a:b] = crop2d(transpose_correlate(grad[a:b], weight, s, d, g, xp.shape[2:]), p, size)
            dw = None
            if need_dw:
                c = cols[:, a:b] if cols is not None else im2col(
                    xp[a:b], weight.shape[2:], s, d,
                    out=chunk_columns(xp, weight, g, grad.shape[2:], b - a, most))[0]
                dw = correlate_weight(grad[a:b], c, g, weight.shape)
            return dw, sum_maps(grad[a:b]) if need_db else None

        parts = map_chunks(chunk, n, most)
        dw = sum_in_order([part[0] for part in parts]) if need_dw else None
        if len(self.inputs) == 3:
            return dx, dw, sum_in_order([part[1] for part in parts]) if need_db else None
        return dx, dw


def chunk_columns(xp: np.ndarray, weight: np.ndarray, groups: int, size, samples: int,
                  most: int) -> np.ndarray:
    """Room for the im2col columns of `samples` samples, in a reused block sized for the largest
    chunk of at most `most` samples (so every chunk of every step reuses the same few blocks)."""
    largest = chunk_bounds(len(xp), most)[0][1]           # the first chunk is the largest
    block = buffers.empty((weight[0].size * groups, largest, size[0] * size[1]), np.result_type(xp, weight))
    return block[:, :samples]


def columns_bytes(xp: np.ndarray, weight: np.ndarray, groups: int, size) -> int:
    """Bytes of one sample's im2col columns: C·kH·kW × H_out·W_out values."""
    return weight[0].size * groups * size[0] * size[1] * np.result_type(xp, weight).itemsize


def conv_output_size(padded_size, kernel, stride, dilation) -> tuple[int, int]:
    """H_out = ⌊(H_p − d(k−1) − 1) / S⌋ + 1 on each axis of the padded input."""
    h, w = ((n - di * (k - 1) - 1) // si + 1 for n, k, si, di in zip(padded_size, kernel, stride, dilation))
    return h, w


def sum_maps(delta: np.ndarray) -> np.ndarray:
    """δb[o] = Σ_{n,i,j} δ[n,o,i,j], as a product with a vector of ones (BLAS beats a strided sum)."""
    n, channels, h, w = delta.shape
    rows = delta.reshape(n * channels, h * w)
    return (rows @ np.ones(h * w, dtype=delta.dtype)).reshape(n, channels).sum(axis=0)


def sum_in_order(parts: list[np.ndarray]) -> np.ndarray:
    """parts[0] + parts[1] + …, always in this order (deterministic whatever the thread count)."""
    total = parts[0].copy()
    for part in parts[1:]:
        total += part
    return total


class ConvTranspose2d(Function):
    op = "conv_transpose2d"

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                dilation=(1, 1), groups=1):
        """y = crop_P(x ⋆ᵀ W) + b: each input pixel scatters W-weighted copies of itself
        (the adjoint of conv2d; H_out = (H−1)S − 2P + d(k−1) + output_padding + 1)"""
        padded = tuple((n - 1) * si + di * (k - 1) + 1 + oi for n, si, di, k, oi
                       in zip(x.shape[2:], stride, dilation, weight.shape[2:], output_padding))
        out_size = tuple(n - 2 * pi for n, pi in zip(padded, padding))
        y = np.ascontiguousarray(crop2d(transpose_correlate(x, weight, stride, dilation, groups, padded),
                                        padding, out_size))
        self.save_for_backward(x, weight, padded)
        return y if bias is None else y + bias.reshape(1, -1, 1, 1)

    def backward(self, grad):
        """δx = conv2d(δ, W)   (same weight, stride, padding, dilation and groups)
        δW[o,c,m,q] = Σ_{n,i,j} x[n,o,i,j] · δ_p[n,c, S·i+d·m, S·j+d·q]   (δ correlated with x)
        δb[c] = Σ_{n,i,j} δ[n,c,i,j]

        Both products reuse conv2d's code: `correlate` of im2col(δ_p) for δx, `correlate_weight`
        with x in the role of δ for δW. Rows of δ_p that no input pixel reached (the
        output_padding) are dropped first; they contribute nothing.
        """
        x, weight, padded = self.saved_tensors
        s, p, d, g = (self.attrs[k] for k in ("stride", "padding", "dilation", "groups"))
        reached = tuple(n - oi for n, oi in zip(padded, self.attrs["output_padding"]))
        grad_p = pad2d(grad, p)[:, :, :reached[0], :reached[1]]
        cols, _ = im2col(grad_p, weight.shape[2:], s, d)
        dx = correlate(cols, weight, g, x.shape[2:]) if self.needs_input_grad[0] else None
        dw = correlate_weight(x, cols, g, weight.shape) if self.needs_input_grad[1] else None
        if len(self.inputs) == 3:
            return dx, dw, (grad.sum(axis=(0, 2, 3)) if self.needs_input_grad[2] else None)
        return dx, dw
