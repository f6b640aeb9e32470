"""Dropout: multiply by a random keep-mask scaled by 1/(1−p), drawn by the functional layer."""
from __future__ import annotations

from ..autograd import Function


class Dropout(Function):
    op = "dropout"

    def forward(self, x, mask=None):
        """y = x ∘ m,  m = 1[kept] / (1 − p)"""
        return x * mask

    def backward(self, grad):
        """δx = δ ∘ m   (dropped units pass no δ back; kept ones are scaled like the forward)"""
        return grad * self.attrs["mask"]
