"""Elementwise ops with numpy broadcasting: + − ∘ / ** neg exp log abs sqrt maximum minimum
clamp where remainder, and the dtype cast.

Broadcasting copies an input along some axes in the forward pass, so its VJP sums δ back over
those axes (`unbroadcast`). The operands arrive already promoted to one dtype (Tensor's
operators apply PyTorch's promotion rules, `dtypes.result_type`); `check` rejects shapes that
do not broadcast before `forward` runs.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..checks import check_broadcast, check_divisor


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum δ over the axes along which an input of `shape` was broadcast."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


class Binary(Function):
    """An elementwise op of two broadcast operands."""

    def check(self, a, b, **attrs):
        if a.shape != b.shape:
            check_broadcast(self.op, a.shape, b.shape)


class Add(Binary):
    op = "add"

    def forward(self, a, b):
        self.save_for_backward(a.shape, b.shape)
        return a + b

    def backward(self, grad):
        """δa = δ, δb = δ (each summed over its broadcast axes)"""
        sa, sb = self.saved_tensors
        return unbroadcast(grad, sa), unbroadcast(grad, sb)


class Sub(Binary):
    op = "sub"

    def forward(self, a, b):
        self.save_for_backward(a.shape, b.shape)
        return a - b

    def backward(self, grad):
        """δa = δ, δb = −δ (each summed over its broadcast axes)"""
        sa, sb = self.saved_tensors
        return unbroadcast(grad, sa), unbroadcast(-grad, sb)


class Mul(Binary):
    op = "mul"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, grad):
        """δa = δ ∘ b, δb = δ ∘ a (each summed over its broadcast axes)"""
        a, b = self.saved_tensors
        return (unbroadcast(grad * b, a.shape) if self.needs_input_grad[0] else None,
                unbroadcast(grad * a, b.shape) if self.needs_input_grad[1] else None)


class Div(Binary):
    op = "div"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a / b

    def backward(self, grad):
        """δa = δ / b, δb = −δ ∘ a / b² (each summed over its broadcast axes)"""
        a, b = self.saved_tensors
        return (unbroadcast(grad / b, a.shape) if self.needs_input_grad[0] else None,
                unbroadcast(-grad * a / (b * b), b.shape) if self.needs_input_grad[1] else None)


class Pow(Binary):
    op = "pow"

    def forward(self, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):  # 0⁻¹ = inf, (−1)^½ = nan
            out = a ** b
        self.save_for_backward(a, b, out)
        return out

    def backward(self, grad):
        """δa = δ ∘ b·a^(b−1) (0 where b = 0), δb = δ ∘ a^b · log a (0 where a = 0 and b ≥ 0)

        The two zeros are PyTorch's conventions: x⁰ = 1 is constant even at x = 0, and 0^b = 0
        for every b > 0. Elsewhere a ≤ 0 gives log a = nan or −∞, as in PyTorch.
        """
        a, b, out = self.saved_tensors
        da = db = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                da = unbroadcast(grad * np.where(b == 0, 0, b * a ** (b - 1)), a.shape)
            if self.needs_input_grad[1]:
                db = unbroadcast(grad * np.where((a == 0) & (b >= 0), 0, out * np.log(a)), b.shape)
        return da, db


class Maximum(Binary):
    op = "maximum"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return np.maximum(a, b)

    def backward(self, grad):
        """δa = δ ∘ 1[a > b], δb = δ ∘ 1[b > a]; where a = b each gets δ/2 (PyTorch's rule)"""
        a, b = self.saved_tensors
        share = np.where(a == b, 0.5, 1.0).astype(grad.dtype)
        return (unbroadcast(grad * share * (a >= b), a.shape) if self.needs_input_grad[0] else None,
                unbroadcast(grad * share * (b >= a), b.shape) if self.needs_input_grad[1] else None)


class Minimum(Binary):
    op = "minimum"

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return np.minimum(a, b)

    def backward(self, grad):
        """δa = δ ∘ 1[a < b], δb = δ ∘ 1[b < a]; where a = b each gets δ/2 (PyTorch's rule)"""
        a, b = self.saved_tensors
        share = np.where(a == b, 0.5, 1.0).astype(grad.dtype)
        return (unbroadcast(grad * share * (a <= b), a.shape) if self.needs_input_grad[0] else None,
                unbroadcast(grad * share * (b <= a), b.shape) if self.needs_input_grad[1] else None)


class Remainder(Binary):
    """a mod b with the sign of b (Python's and PyTorch's `%`)."""

    op = "remainder"

    def check(self, a, b, **attrs):
        super().check(a, b)
        check_divisor(self.op, a, b)

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return np.mod(a, b)

    def backward(self, grad):
        """δa = δ, δb = −δ ∘ floor(a / b) (each summed over its broadcast axes)"""
        a, b = self.saved_tensors
        return (unbroadcast(grad, a.shape) if self.needs_input_grad[0] else None,
                unbroadcast(-grad * np.floor_divide(a, b), b.shape)
                if self.needs_input_grad[1] else None)


class Where(Function):
    """where(condition, a, b): a where the condition holds, else b (all three broadcast)."""

    op = "where"

    def check(self, a, b, condition=None):
        check_broadcast(self.op, np.shape(condition), a.shape, b.shape)

    def forward(self, a, b, condition=None):
        self.save_for_backward(a.shape, b.shape, condition)
        return np.where(condition, a, b)

    def backward(self, grad):
        """δa = δ ∘ c, δb = δ ∘ (1 − c) (each summed over its broadcast axes), c the condition"""
        sa, sb, condition = self.saved_tensors
        return (unbroadcast(np.where(condition, grad, 0), sa) if self.needs_input_grad[0] else None,
                unbroadcast(np.where(condition, 0, grad), sb) if self.needs_input_grad[1] else None)


class Neg(Function):
    op = "neg"

    def forward(self, a):
        return -a

    def backward(self, grad):
        """δa = −δ"""
        return -grad


class Sin(Function):
    op = "sin"

    def forward(self, a):
        self.save_for_backward(a)
        return np.sin(a)

    def backward(self, grad):
        """δa = δ ∘ cos(a)"""
        (a,) = self.saved_tensors
        return grad * np.cos(a)


class Cos(Function):
    op = "cos"

    def forward(self, a):
        self.save_for_backward(a)
        return np.cos(a)

    def backward(self, grad):
        """δa = −δ ∘ sin(a)"""
        (a,) = self.saved_tensors
        return -grad * np.sin(a)


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


class Sqrt(Function):
    op = "sqrt"

    def forward(self, a):
        out = np.sqrt(a)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        """δa = δ / (2√a)"""
        (out,) = self.saved_tensors
        with np.errstate(divide="ignore"):
            return grad / (2 * out)


class Abs(Function):
    op = "abs"

    def forward(self, a):
        self.save_for_backward(a)
        return np.abs(a)

    def backward(self, grad):
        """δa = δ ∘ sign(a) (sign(0) = 0)"""
        (a,) = self.saved_tensors
        return grad * np.sign(a)


class Clamp(Function):
    """clamp(a, min, max): min ≤ out ≤ max (either bound may be None)."""

    op = "clamp"

    def forward(self, a, min=None, max=None):  # noqa: A002 (PyTorch's keyword names)
        self.save_for_backward(a, min, max)
        return np.clip(a, min, max).astype(a.dtype, copy=False)

    def backward(self, grad):
        """δa = δ ∘ 1[min ≤ a ≤ max] (PyTorch's rule: δ passes at the bounds themselves)"""
        a, lo, hi = self.saved_tensors
        inside = np.ones(a.shape, dtype=bool)
        if lo is not None:
            inside &= a >= lo
        if hi is not None:
            inside &= a <= hi
        return grad * inside


class Cast(Function):
    """The same values in another dtype."""

    op = "cast"

    def forward(self, a, dtype=None):
        self.save_for_backward(a.dtype)
        return a.astype(dtype)

    def backward(self, grad):
        """δa = δ, in a's dtype"""
        (dtype,) = self.saved_tensors
        return grad.astype(dtype)
