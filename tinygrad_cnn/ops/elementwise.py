"""Elementwise arithmetic with numpy broadcasting: + - * / ** neg exp log.

Broadcasting copies an input along some axes in the forward pass, so its VJP sums δ back over
those axes (`unbroadcast`).
"""
from __future__ import annotations

import numpy as np

from ..autograd import Function


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum δ over the axes along which an input of `shape` was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _broadcast_shape(op: str, a: np.ndarray, b: np.ndarray) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast; expected equal "
                         "sizes or 1 in each trailing axis") from None


class Add(Function):
    op = "add"

    def forward(self, a, b):
        _broadcast_shape(self.op, a, b)
        self.save_for_backward(a.shape, b.shape)
        return a + b

    def backward(self, grad):
        """δa = δ, δb = δ (each summed over its broadcast axes)"""
        sa, sb = self.saved_tensors
        return unbroadcast(grad, sa), unbroadcast(grad, sb)


class Sub(Function):
    op = "sub"

    def forward(self, a, b):
        _broadcast_shape(self.op, a, b)
        self.save_for_backward(a.shape, b.shape)
        return a - b

    def backward(self, grad):
        """δa = δ, δb = −δ (each summed over its broadcast axes)"""
        sa, sb = self.saved_tensors
        return unbroadcast(grad, sa), unbroadcast(-grad, sb)


class Mul(Function):
    op = "mul"

    def forward(self, a, b):
        _broadcast_shape(self.op, a, b)
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        """δa = δ ∘ b, δb = δ ∘ a (each summed over its broadcast axes)"""
        a, b = self.saved_tensors
        return (unbroadcast(grad * b, a.shape) if self.needs_input_grad[0] else None,
                unbroadcast(grad * a, b.shape) if self.needs_input_grad[1] else None)


class Div(Function):
    op = "div"

    def forward(self, a, b):
        _broadcast_shape(self.op, a, b)
        self.save_for_backward(a, b)
        return a / b

    def backward(self, grad):
        """δa = δ / b, δb = −δ ∘ a / b² (each summed over its broadcast axes)"""
        a, b = self.saved_tensors
        return (unbroadcast(grad / b, a.shape) if self.needs_input_grad[0] else None,
                unbroadcast(-grad * a / (b * b), b.shape) if self.needs_input_grad[1] else None)


class Pow(Function):
    op = "pow"

    def forward(self, a, b):
        _broadcast_shape(self.op, a, b)
        out = a ** b
        self.save_for_backward(a, b, out)
        return out

    def backward(self, grad):
        """δa = δ ∘ b·a^(b−1), δb = δ ∘ a^b · log a (each summed over its broadcast axes)"""
        a, b, out = self.saved_tensors
        da = unbroadcast(grad * b * a ** (b - 1), a.shape) if self.needs_input_grad[0] else None
        db = None
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                db = unbroadcast(grad * out * np.where(a > 0, np.log(np.where(a > 0, a, 1)), np.nan),
                                 b.shape)
        return da, db


class Neg(Function):
    op = "neg"

    def forward(self, a):
        return -a

    def backward(self, grad):
        """δa = −δ"""
        return -grad


class Exp(Function):
    op = "exp"

    def forward(self, a):
        out = np.exp(a)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        """δa = δ ∘ exp(a)"""
        (out,) = self.saved_tensors
        return grad * out


class Log(Function):
    op = "log"

    def forward(self, a):
        self.save_for_backward(a)
        return np.log(a)

    def backward(self, grad):
        """δa = δ / a"""
        (a,) = self.saved_tensors
        return grad / a
