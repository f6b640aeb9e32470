"""Shape ops: reshape (also flatten), transpose, indexing. Their VJPs move δ back into place."""
from __future__ import annotations

import numpy as np

from ..autograd import Function


class Reshape(Function):
    op = "reshape"

    def forward(self, x, shape=()):
        try:
            out = x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} "
                             f"elements) into {tuple(shape)}; the sizes must match") from None
        self.save_for_backward(x.shape)
        return out

    def backward(self, grad):
        """δx = reshape(δ, shape of x) (e.g. flatten: the δ vector back into maps)"""
        (shape,) = self.saved_tensors
        return grad.reshape(shape)


class Transpose(Function):
    op = "transpose"

    def forward(self, x, axes=()):
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the "
                             f"{x.ndim} axes of a tensor of shape {x.shape}")
        self.save_for_backward(axes)
        return x.transpose(axes)

    def backward(self, grad):
        """δx = transpose(δ, inverse permutation)"""
        (axes,) = self.saved_tensors
        return grad.transpose(np.argsort(axes))


class GetItem(Function):
    op = "getitem"

    def forward(self, x, index=None):
        self.save_for_backward(x.shape, x.dtype, index)
        return x[index]

    def backward(self, grad):
        """δx = δ scattered into zeros at the indexed positions (repeats add up)"""
        shape, dtype, index = self.saved_tensors
        out = np.zeros(shape, dtype=grad.dtype)
        np.add.at(out, index, grad)
        return out
