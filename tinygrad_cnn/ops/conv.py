"""2-D convolution (cross-correlation, as CNNs use the word), NCHW, stride S, padding P, dilation d."""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from .windows import check_nchw, crop2d, output_size, pad2d, pair, scatter_taps, windows


def im2col(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int]) -> np.ndarray:
    """Columns (C·kH·kW, N, H_out·W_out): one row per filter tap (c, m, q), one column per window.

    A copy of the strided window view, ordered so that the copy reads whole rows of the input.
    """
    win = windows(xp, kernel, stride, dilation)                        # (N, C, Ho, Wo, kH, kW)
    n, c, ho, wo, kh, kw = win.shape
    return np.ascontiguousarray(win.transpose(1, 4, 5, 0, 2, 3)).reshape(c * kh * kw, n, ho * wo)


class Conv2d(Function):
    op = "conv2d"

    def forward(self, x, weight, bias=None, stride=1, padding=0, dilation=1):
        """net[n,o,i,j] = b[o] + Σ_{c,m,q} W[o,c,m,q] · x_p[n,c, S·i+d·m, S·j+d·q] = W_mat · im2col(x_p)"""
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
        ho, wo = output_size(self.op, x.shape, weight.shape[2:], s, p, d)
        self.attrs.update(stride=s, padding=p, dilation=d)
        xp = pad2d(x, p)
        cols = im2col(xp, weight.shape[2:], s, d)
        out = weight.reshape(weight.shape[0], -1) @ cols.transpose(1, 0, 2)  # (N, O, Ho·Wo)
        out = out.reshape(x.shape[0], -1, ho, wo)
        if bias is not None:
            out += bias.reshape(1, -1, 1, 1)
        self.save_for_backward(cols, weight, xp.shape)
        return out

    def backward(self, grad):
        """δx = crop_P(Σ_o pad_{k−1}(expand_S(δ[n,o])) ⋆ rot180(W[o,c]))   (full correlation, rotated filter)
        δW[o,c,m,q] = Σ_{n,i,j} δ[n,o,i,j] · x_p[n,c, S·i+m, S·j+q]   (input correlated with δ)
        δb[o] = Σ_{n,i,j} δ[n,o,i,j]   (sum of the sensitivity map)

        δW is a matrix product of δ with im2col(x_p)ᵀ. The full correlation for δx is evaluated
        in the order that skips its zeros: entry (a, b) of it sums W[o,c,m,q]·δ[n,o,i,j] over all
        (o, m, q, i, j) with S·i + d·m = a and S·j + d·q = b — the padding and the S−1 inserted
        zeros of expand_S contribute nothing. So the channels are mixed first, Z = W_matᵀ δ_mat
        (one matmul, Z[(c,m,q), (i,j,n)]), and each tap's map Z[c,m,q] is added at offset
        (d·m, d·q) with stride S (`scatter_taps`, a loop over the kH·kW taps only). Rows of x_p
        that no window reached get zero. `reference.conv2d_backward` computes the same δx
        literally, as the padded full correlation with rot180(W), and the tests compare the two.
        """
        cols, weight, padded_shape = self.saved_tensors
        s, p, d = self.attrs["stride"], self.attrs["padding"], self.attrs["dilation"]
        out_ch, in_ch, kh, kw = weight.shape
        n, _, ho, wo = grad.shape
        dx = dw = db = None
        if self.needs_input_grad[0]:
            # batch axis last (C, H, W, N): each tap's add then runs over long contiguous rows
            delta_hwn = grad.transpose(1, 2, 3, 0).reshape(out_ch, -1)   # (O, Ho·Wo·N)
            z = (weight.reshape(out_ch, -1).T @ delta_hwn).reshape(in_ch, kh, kw, ho, wo, n)
            dxp = scatter_taps(lambda m, q: z[:, m, q], (kh, kw),
                               (in_ch,) + tuple(padded_shape[2:]) + (n,), s, d, axes=(1, 2))
            dx = np.ascontiguousarray(crop2d(dxp, p, axes=(1, 2)).transpose(3, 0, 1, 2))
        if self.needs_input_grad[1]:
            if ho * wo >= cols.shape[0]:     # large maps: one product per sample, then the sum
                dw = (grad.reshape(n, out_ch, -1) @ cols.transpose(1, 2, 0)).sum(axis=0)
            else:                            # small maps: a single (O, N·Ho·Wo) product
                dw = grad.transpose(1, 0, 2, 3).reshape(out_ch, -1) @ cols.reshape(len(cols), -1).T
            dw = dw.reshape(weight.shape)
        if len(self.inputs) == 3:
            db = grad.sum(axis=(0, 2, 3)) if self.needs_input_grad[2] else None
            return dx, dw, db
        return dx, dw
