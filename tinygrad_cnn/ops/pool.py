"""Pooling (max, mean, adaptive mean), max unpooling and Bouvrie's trainable subsampling. No
weights in max/mean pooling: only δ passes back, upsampled onto the window positions.

Window geometry (kernel k, stride S, padding P, dilation d) arrives checked from
`ops.checks.check_pool`; `extra` is the padding ceil_mode's last window needs at the bottom/right.
"""
from __future__ import annotations

import numpy as np

from .. import buffers
from ..autograd import Function, is_grad_enabled
from ..parallel import map_chunks, samples_per_chunk
from .windows import crop2d, pad2d, scatter_taps, windows


def lowest(dtype: np.dtype):
    """The padding of max pooling: −∞, or the smallest value of an integer dtype."""
    return np.iinfo(dtype).min if dtype.kind in "iu" else -np.inf


def window_max(x, kernel_size, stride, padding, dilation, extra, out=None):
    """(max of each window, argmax tap t = m·kW + q holding it: the first on ties), padded shape.
    `out`, if given, is the (max, argmax) pair of arrays to fill; an argmax of None is skipped
    (no gradient wanted: only the maxima)."""
    k = kernel_size
    xp = pad2d(x, padding, value=lowest(x.dtype), extra=extra)
    win = windows(xp, k, stride, dilation)                              # (N, C, Ho, Wo, kH, kW)
    best, argmax = out if out is not None else (
        np.empty(win.shape[:4], x.dtype), np.empty(win.shape[:4], argmax_dtype(k)))
    np.copyto(best, win[..., 0, 0])
    if argmax is not None:
        argmax[...] = 0
    for t in range(1, k[0] * k[1]):                                     # over the kernel taps
        tap = win[..., t // k[1], t % k[1]]
        if argmax is not None:
            argmax += (tap > best) * (t - argmax)                        # strict: first max wins
        np.maximum(best, tap, out=best)
    return best, argmax, xp.shape


def argmax_dtype(kernel_size) -> type:
    """uint8 while the taps fit (less memory traffic), else int32."""
    return np.uint8 if kernel_size[0] * kernel_size[1] <= 256 else np.int32


def route_to_argmax(grad, argmax, kernel_size, stride, padding, dilation, padded_shape, size,
                    out):
    """out = δ routed to the argmax tap of each window, cropped to the input `size`.

    When the windows tile the input exactly (stride = kernel, no padding or dilation), every
    input position is one tap of one window: each tap's routed δ is written straight into its
    positions. Otherwise `scatter_taps` adds the taps up (overlapping windows add)."""
    (kh, kw), (n, c, ho, wo) = kernel_size, grad.shape
    if (stride == kernel_size and dilation == (1, 1) and padded_shape[2:] == size
            and size == (ho * kh, wo * kw)):
        tiles = out.reshape(n, c, ho, kh, wo, kw)
        for m in range(kh):
            for q in range(kw):
                np.multiply(argmax == m * kw + q, grad, out=tiles[:, :, :, m, :, q])
        return out
    routed = scatter_taps(lambda m, q: (argmax == m * kw + q) * grad, kernel_size,
                          (n, c, *padded_shape[2:]), stride, dilation)
    out[...] = crop2d(routed, padding, size)
    return out


def plane_indices(argmax, width, kernel_size, stride, padding, dilation):
    """PyTorch's return_indices: the flat index (row·W + col) in the unpadded input plane."""
    ho, wo = argmax.shape[2:]
    (kw, (sh, sw), (ph, pw), (dh, dw)) = kernel_size[1], stride, padding, dilation
    top, left = sh * np.arange(ho)[:, None] - ph, sw * np.arange(wo)[None, :] - pw
    rows, cols = top + dh * (argmax // kw), left + dw * (argmax % kw)
    # a window wholly in the padding names its first tap inside the input's range, as PyTorch
    rows = np.where(rows < 0, top + dh * ((dh - 1 - top) // dh), rows)
    cols = np.where(cols < 0, left + dw * ((dw - 1 - left) // dw), cols)
    return (rows * width + cols).astype(np.int64)


class MaxPool2d(Function):
    op = "max_pool2d"

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1),
                extra=(0, 0)):
        """out[n,c,i,j] = max_{m,q} x_p[n,c, S·i+d·m, S·j+d·q]   (x_p padded with −∞)

        In batch chunks on every core (`parallel.map_chunks`)."""
        n, c = x.shape[:2]
        padded = tuple(size + 2 * p + e for size, p, e in zip(x.shape[2:], padding, extra))
        ho, wo = ((hp - d * (k - 1) - 1) // s + 1
                  for hp, k, s, d in zip(padded, kernel_size, stride, dilation))
        best = buffers.empty((n, c, ho, wo), x.dtype)
        argmax = (buffers.empty((n, c, ho, wo), argmax_dtype(kernel_size))
                  if is_grad_enabled() and self.needs_input_grad[0] else None)  # for backward

        def chunk(a: int, b: int) -> None:
            window_max(x[a:b], kernel_size, stride, padding, dilation, extra,
                       out=(best[a:b], None if argmax is None else argmax[a:b]))

        map_chunks(chunk, n, samples_per_chunk(2 * x[:1].nbytes, n))
        self.save_for_backward(argmax, (n, c, *padded), x.shape[2:])
        return best

    def backward(self, grad):
        """δx = δ routed to the argmax of each window (0 elsewhere; overlapping windows add up)"""
        argmax, padded_shape, size = self.saved_tensors
        k, s, p, d = (self.attrs[a] for a in ("kernel_size", "stride", "padding", "dilation"))
        dx = buffers.empty((grad.shape[0], grad.shape[1], *size), grad.dtype)

        def chunk(a: int, b: int) -> None:
            route_to_argmax(grad[a:b], argmax[a:b], k, s, p, d, padded_shape, size, out=dx[a:b])

        map_chunks(chunk, len(grad), samples_per_chunk(2 * dx[:1].nbytes, len(grad)))
        return dx


def window_sizes(size, kernel_size, stride, padding, out_size, count_include_pad):
    """How many inputs each window averages, (H_out, W_out): the window clipped to the padded
    input (count_include_pad) or to the input itself, as PyTorch counts them."""
    counts = []
    for n, k, s, p, o in zip(size, kernel_size, stride, padding, out_size):
        start = s * np.arange(o) - p
        end = np.minimum(start + k, n + p)
        counts.append(end - start if count_include_pad else
                      np.minimum(end, n) - np.maximum(start, 0))
    return np.outer(counts[0], counts[1])


class AvgPool2d(Function):
    op = "avg_pool2d"

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), extra=(0, 0),
                count_include_pad=True, divisor_override=None):
        """out = (1/|window|) Σ of each window of the zero-padded input (|window| = k² inside)"""
        xp = pad2d(x, padding, extra=extra)                  # padding counts as zeros
        out = windows(xp, kernel_size, stride).sum(axis=(4, 5))
        divisor = np.asarray(divisor_override or window_sizes(
            x.shape[2:], kernel_size, stride, padding, out.shape[2:], count_include_pad), dtype=x.dtype)
        self.save_for_backward(xp.shape, x.shape[2:], divisor)
        return out / divisor

    def backward(self, grad):
        """δx = δ / |window| spread over every position of each window (δ ⊗ 1_{k×k} / k² when S = k)"""
        padded_shape, size, divisor = self.saved_tensors
        k, s, p = self.attrs["kernel_size"], self.attrs["stride"], self.attrs["padding"]
        share = grad / divisor
        return crop2d(scatter_taps(lambda m, q: share, k, padded_shape, s), p, size)


def bin_matrix(n: int, out: int, dtype) -> np.ndarray:
    """(out, n): row i averages input positions ⌊i·n/out⌋ … ⌈(i+1)·n/out⌉ − 1 (PyTorch's bins)."""
    i = np.arange(out)
    start, end = (i * n) // out, -((-(i + 1) * n) // out)
    pos = np.arange(n)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2d(Function):
    op = "adaptive_avg_pool2d"

    def forward(self, x, output_size=(1, 1)):
        """out = A_H · x · A_Wᵀ per map, A the (out, in) bin-averaging matrices"""
        a_h, a_w = (bin_matrix(n, o, x.dtype) for n, o in zip(x.shape[2:], output_size))
        self.save_for_backward(a_h, a_w)
        return a_h @ x @ a_w.T

    def backward(self, grad):
        """δx = A_Hᵀ · δ · A_W   (each bin's δ shared equally by the positions it averaged)"""
        a_h, a_w = self.saved_tensors
        return a_h.T @ grad @ a_w


def bin_positions(n: int, out: int) -> np.ndarray:
    """(out, L): the input positions of each adaptive bin, short bins repeating their last one."""
    i = np.arange(out)
    start, end = (i * n) // out, -((-(i + 1) * n) // out)
    return np.minimum(start[:, None] + np.arange((end - start).max()), (end - 1)[:, None])


def bin_max(x, output_size):
    """(max of each adaptive bin, its flat index row·W + col in the input plane: first on ties)."""
    rows, cols = (bin_positions(n, o) for n, o in zip(x.shape[2:], output_size))
    win = x[:, :, rows[:, None, :, None], cols[None, :, None, :]]        # (N, C, Ho, Wo, Lh, Lw)
    win = win.reshape(*win.shape[:4], -1)
    arg = win.argmax(axis=-1)
    i, j = np.arange(len(rows))[:, None], np.arange(len(cols))[None, :]
    index = rows[i, arg // cols.shape[1]] * x.shape[3] + cols[j, arg % cols.shape[1]]
    return np.take_along_axis(win, arg[..., None], axis=-1)[..., 0], index


class AdaptiveMaxPool2d(Function):
    op = "adaptive_max_pool2d"

    def forward(self, x, output_size=(1, 1)):
        """out[n,c,i,j] = max of x[n,c] over bin (i, j) (rows ⌊iH/H_out⌋ … ⌈(i+1)H/H_out⌉−1)"""
        out, index = bin_max(x, output_size)
        self.save_for_backward(index)
        return out

    def backward(self, grad):
        """δx = δ routed to the argmax of each bin (overlapping bins add up)"""
        (index,) = self.saved_tensors
        n, c, h, w = self.inputs[0].shape
        plane = (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1) + index
        dx = np.bincount(plane.ravel(), weights=grad.ravel(), minlength=n * c * h * w)
        return dx.astype(grad.dtype).reshape(n, c, h, w)


class MaxUnpool2d(Function):
    op = "max_unpool2d"

    def forward(self, x, indices, output_size=(2, 2)):
        """out[n,c, idx[n,c,i,j]] = x[n,c,i,j], 0 elsewhere (idx: flat index into each plane)"""
        n, c = x.shape[:2]
        out = np.zeros((n, c, output_size[0] * output_size[1]), dtype=x.dtype)
        flat = indices.reshape(n, c, -1)
        np.put_along_axis(out, flat, x.reshape(n, c, -1), axis=2)
        self.save_for_backward(flat)
        return out.reshape(n, c, *output_size)

    def backward(self, grad):
        """δx[n,c,i,j] = δ[n,c, idx[n,c,i,j]]   (a gather: the adjoint of the scatter)"""
        (flat,) = self.saved_tensors
        n, c = grad.shape[:2]
        dx = np.take_along_axis(grad.reshape(n, c, -1), flat, axis=2)
        return dx.reshape(self.inputs[0].shape), None


class Subsample(Function):
    """Bouvrie (2006): a = β·down(x) + b per map, down = sum over each k×k block."""

    op = "subsample"

    def forward(self, x, beta, bias, kernel_size=(2, 2)):
        """a = β · down(x) + b"""
        down = windows(x, kernel_size, kernel_size).sum(axis=(4, 5))
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
