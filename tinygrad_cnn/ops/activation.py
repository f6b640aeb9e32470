"""Activations f applied elementwise: the f'(net) factor of the sensitivity-map recursion
δ_l = (W_{l+1}ᵀ δ_{l+1}) ∘ f'(net_l) lives here, as its own graph node."""
from __future__ import annotations

import numpy as np

from ..autograd import Function


class ReLU(Function):
    op = "relu"

    def forward(self, x):
        self.save_for_backward(x > 0)
        return np.maximum(x, np.zeros((), dtype=x.dtype))

    def backward(self, grad):
        """δx = δ ∘ 1[x > 0]"""
        (mask,) = self.saved_tensors
        return grad * mask


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = exp(−log(1 + e^(−x))): finite for any x, no overflow warning."""
    return np.exp(-np.logaddexp(np.zeros((), dtype=x.dtype), -x))


class Sigmoid(Function):
    op = "sigmoid"

    def forward(self, x):
        y = stable_sigmoid(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        """δx = δ ∘ y(1 − y), y = σ(x)"""
        (y,) = self.saved_tensors
        return grad * y * (1 - y)


class Tanh(Function):
    op = "tanh"

    def forward(self, x):
        y = np.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        """δx = δ ∘ (1 − y²), y = tanh(x)"""
        (y,) = self.saved_tensors
        return grad * (1 - y * y)
