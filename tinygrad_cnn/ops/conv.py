"""2-D convolution (cross-correlation, as CNNs use the word), NCHW, stride S, padding P, dilation d."""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from .windows import check_nchw, crop2d, output_size, pad2d, pair, windows


def correlate(xp: np.ndarray, weight: np.ndarray, stride: tuple[int, int],
              dilation: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """out[n,o,i,j] = Σ_{c,m,q} W[o,c,m,q] · xp[n,c, S·i+d·m, S·j+d·q], via im2col.

    The window view is copied once into the column matrix `cols` (one row per output pixel,
    one column per (c, m, q) tap) and multiplied by the flattened filters: a single matmul.
    Returns (out, cols); `cols` is what the weight gradient correlates δ with.
    """
    win = windows(xp, weight.shape[2:], stride, dilation)              # (N, C, Ho, Wo, kH, kW)
    n, c, ho, wo, kh, kw = win.shape
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)
    out = cols @ weight.reshape(weight.shape[0], -1).T                 # (N·Ho·Wo, O)
    return out.reshape(n, ho, wo, -1).transpose(0, 3, 1, 2), cols


def expand_stride(delta: np.ndarray, stride: tuple[int, int]) -> np.ndarray:
    """expand_S(δ): insert S−1 zeros between neighbouring entries, restoring the stride-1 map."""
    sh, sw = stride
    if sh == 1 and sw == 1:
        return delta
    n, o, ho, wo = delta.shape
    out = np.zeros((n, o, (ho - 1) * sh + 1, (wo - 1) * sw + 1), dtype=delta.dtype)
    out[:, :, ::sh, ::sw] = delta
    return out


class Conv2d(Function):
    op = "conv2d"

    def forward(self, x, weight, bias=None, stride=1, padding=0, dilation=1):
        check_nchw(self.op, x)
        if weight.ndim != 4:
            raise ValueError(f"conv2d: expected weight of shape (out_channels, in_channels, kH, kW), "
                             f"got {weight.shape}")
        if x.shape[1] != weight.shape[1]:
            raise ValueError(f"conv2d: input {x.shape} has {x.shape[1]} channels but weight "
                             f"{weight.shape} expects {weight.shape[1]} (weight[1] = in_channels)")
        if bias is not None and bias.shape != (weight.shape[0],):
            raise ValueError(f"conv2d: bias of shape {bias.shape} does not match weight "
                             f"{weight.shape}; expected ({weight.shape[0]},)")
        s, p, d = (pair(self.op, "stride", stride, 1), pair(self.op, "padding", padding, 0),
                   pair(self.op, "dilation", dilation, 1))
        output_size(self.op, x.shape, weight.shape[2:], s, p, d)
        self.attrs.update(stride=s, padding=p, dilation=d)
        xp = pad2d(x, p)
        out, cols = correlate(xp, weight, s, d)
        self.save_for_backward(cols, weight, xp.shape)
        if bias is not None:
            out = out + bias.reshape(1, -1, 1, 1)
        return np.ascontiguousarray(out)

    def backward(self, grad):
        """δx = crop_P(Σ_o pad_{k−1}(expand_S(δ[n,o])) ⋆ rot180(W[o,c]))   (full correlation, rotated filter)
        δW[o,c,m,q] = Σ_{n,i,j} δ[n,o,i,j] · x_p[n,c, S·i+m, S·j+q]   (input correlated with δ)
        δb[o] = Σ_{n,i,j} δ[n,o,i,j]   (sum of the sensitivity map)

        With dilation d the filter taps are d apart: the padding is d(k−1) and the rotated
        filter's taps are d apart too. Rows of x_p that no window reached get zero.
        """
        cols, weight, padded_shape = self.saved_tensors
        s, p, d = self.attrs["stride"], self.attrs["padding"], self.attrs["dilation"]
        out_ch = weight.shape[0]
        grads = []
        if self.needs_input_grad[0]:
            kh, kw = weight.shape[2:]
            full = pad2d(expand_stride(grad, s), (d[0] * (kh - 1), d[1] * (kw - 1)))
            rotated = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)   # (C, O, kH, kW)
            dxp, _ = correlate(full, rotated, (1, 1), d)
            missing = ((0, 0), (0, 0), (0, padded_shape[2] - dxp.shape[2]),
                       (0, padded_shape[3] - dxp.shape[3]))
            grads.append(np.ascontiguousarray(crop2d(np.pad(dxp, missing), p)))
        else:
            grads.append(None)
        delta_rows = grad.transpose(0, 2, 3, 1).reshape(-1, out_ch)     # (N·Ho·Wo, O)
        grads.append((delta_rows.T @ cols).reshape(weight.shape) if self.needs_input_grad[1] else None)
        if len(self.inputs) == 3:
            grads.append(grad.sum(axis=(0, 2, 3)) if self.needs_input_grad[2] else None)
        return tuple(grads)
