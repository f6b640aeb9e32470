"""Batch normalisation (Ioffe & Szegedy 2015) over the channel axis 1 of (N, C) or (N, C, d…)."""
from __future__ import annotations

import numpy as np

from ..autograd import Function


class BatchNorm(Function):
    op = "batch_norm"

    def forward(self, x, weight, bias, running_mean=None, running_var=None, training=True,
                momentum=0.1, eps=1e-5):
        """y = γ x̂ + β,  x̂ = (x − μ) / √(σ² + ε), μ and σ² per channel over the M = N·H·W values
        (biased σ²) in training, the running estimates otherwise. Training also moves the running
        estimates, in place: r ← (1 − momentum) r + momentum · (μ, σ² · M/(M − 1))."""
        axes, shape = (0, *range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)
        if training:
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            if running_mean is not None:
                m = x.size // x.shape[1]
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += momentum * var * (m / max(m - 1, 1))
        else:
            mean, var = running_mean.astype(x.dtype), running_var.astype(x.dtype)
        inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype)
        x_hat = (x - mean.reshape(shape)) * inv_std.reshape(shape)
        self.save_for_backward(x_hat, (weight * inv_std).reshape(shape), axes)
        return x_hat * weight.reshape(shape) + bias.reshape(shape)

    def backward(self, grad):
        """δx = (γ/σ) (δ − mean(δ) − x̂ ∘ mean(δ ∘ x̂))   (training; means per channel over N·H·W)
        δx = (γ/σ) δ   (running statistics: μ and σ are constants)
        δγ = Σ δ ∘ x̂,  δβ = Σ δ

        In training μ and σ depend on every x of the channel, hence the two mean terms: the
        first removes δ's component along the constant direction, the second its component along
        x̂ (normalising cannot change the mean or the scale of a channel)."""
        x_hat, gamma_inv_std, axes = self.saved_tensors
        dx = None
        if self.needs_input_grad[0]:
            dx = grad
            if self.attrs.get("training", True):
                dx = grad - grad.mean(axis=axes, keepdims=True) - x_hat * (grad * x_hat).mean(
                    axis=axes, keepdims=True)
            dx = gamma_inv_std * dx
        dgamma = (grad * x_hat).sum(axis=axes) if self.needs_input_grad[1] else None
        dbeta = grad.sum(axis=axes) if self.needs_input_grad[2] else None
        return dx, dgamma, dbeta
