"""Matrix products: generic `matmul` and the fully connected layer `linear` (y = x Wᵀ + b)."""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..checks import check_matmul
from .elementwise import unbroadcast


class MatMul(Function):
    """A @ B with PyTorch's rules: a 1-D operand is a row (left) or column (right) vector that
    is dropped from the result, and leading batch axes broadcast."""

    op = "matmul"

    def check(self, a, b):
        check_matmul(a.shape, b.shape)

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a @ b

    def backward(self, grad):
        """δA = δ Bᵀ, δB = Aᵀ δ (summed over broadcast batch axes)"""
        a, b = self.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a        # a vector is a 1-row matrix
        b2 = b[:, None] if b.ndim == 1 else b        # ... or a 1-column matrix
        g = grad[..., None] if b.ndim == 1 else grad  # put back the axes the vectors dropped
        g = g[..., None, :] if a.ndim == 1 else g
        da = db = None
        if self.needs_input_grad[0]:
            da = unbroadcast(g @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            db = unbroadcast(np.swapaxes(a2, -1, -2) @ g, b2.shape).reshape(b.shape)
        return da, db


class Linear(Function):
    op = "linear"

    def check(self, x, weight, bias=None):
        if weight.ndim != 2:
            raise ValueError(f"linear: weight must have shape (out_features, in_features), got "
                             f"{weight.shape}")
        if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
            raise ValueError(f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} "
                             f"features but weight {weight.shape} expects {weight.shape[1]} "
                             "(input shape (..., in_features))")
        if bias is not None and bias.shape != (weight.shape[0],):
            raise ValueError(f"linear: bias of shape {bias.shape} does not match weight "
                             f"{weight.shape}; expected ({weight.shape[0]},)")

    def forward(self, x, weight, bias=None):
        self.save_for_backward(x, weight)
        out = x @ weight.T
        return out if bias is None else out + bias

    def backward(self, grad):
        """δx = δ W, δW = δᵀ x, δb = Σ_n δ[n]"""
        x, weight = self.saved_tensors
        g2 = grad.reshape(-1, grad.shape[-1])
        dx = grad @ weight if self.needs_input_grad[0] else None
        x2 = x.reshape(-1, x.shape[-1])
        # one sample: δW is the outer product δᵀx (BLAS's product over a length-1 axis is slow)
        dw = ((g2.T * x2 if len(x2) == 1 else g2.T @ x2) if self.needs_input_grad[1] else None)
        if len(self.inputs) == 2:
            return dx, dw
        return dx, dw, (g2.sum(axis=0) if self.needs_input_grad[2] else None)
