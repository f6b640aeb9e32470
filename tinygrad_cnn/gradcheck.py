"""`gradcheck`: every VJP against central finite differences, in float64."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .autograd import no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the finite-difference one."""


def gradcheck(fn: Callable[..., Tensor], *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4, seed: int = 0) -> bool:
    """Check ∂E/∂input of E = Σ fn(*inputs) ∘ r, r a fixed random cotangent, element by element.

    The analytic side is one `backward(r)`; the numeric side is
    (E(w + ε) − E(w − ε)) / 2ε for every element w of every input that requires grad.
    Floating inputs are copied to float64 first. Returns True, or raises `GradcheckError`
    naming the input, the element index and both values.
    """
    tensors = [Tensor(t.data, requires_grad=t.requires_grad, dtype=np.float64)
               if isinstance(t, Tensor) and t.dtype.kind == "f" else t for t in inputs]
    checked = [i for i, t in enumerate(tensors) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; pass Tensors with requires_grad=True")
    out = fn(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    cotangent = np.random.default_rng(seed).standard_normal(out.shape)
    if out.requires_grad:
        out.backward(cotangent)

    def objective() -> float:
        with no_grad():
            return float(np.vdot(fn(*tensors).data, cotangent))

    for i in checked:
        t = tensors[i]
        analytic = t.grad if t.grad is not None else np.zeros(t.shape)
        for index in np.ndindex(*t.shape):
            original = t.data[index]
            t.data[index] = original + eps
            plus = objective()
            t.data[index] = original - eps
            minus = objective()
            t.data[index] = original
            numeric = (plus - minus) / (2 * eps)
            if not abs(analytic[index] - numeric) <= atol + rtol * abs(numeric):
                raise GradcheckError(
                    f"gradcheck: input {i} (shape {t.shape}) element {index}: analytic gradient "
                    f"{analytic[index]:.10g} vs numeric {numeric:.10g} (|diff| "
                    f"{abs(analytic[index] - numeric):.3g} > atol {atol} + rtol {rtol} · |numeric|)")
    return True
