"""`gradcheck`: every VJP against central finite differences, in float64."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd import no_grad
from .tensor import Tensor

DEFAULT_EPS = 1e-6
DEFAULT_ATOL = 1e-5
DEFAULT_RTOL = 1e-4


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with the finite-difference one."""


def _float64_same_layout(a: np.ndarray) -> np.ndarray:
    """A float64 copy of `a` with the same memory layout: C order, Fortran order (a transposed
    view) or strided (non-contiguous), so that a VJP that only breaks on such inputs breaks here."""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return np.array(a, dtype=np.float64)   # a copy in the same order (numpy's order="K")
    # Strided: the same axis order as `a` (by stride size), each element one slot apart in a
    # float64 buffer of twice the size, like a[..., ::2] of a fresh array.
    order = sorted(range(a.ndim), key=lambda d: -abs(a.strides[d]))
    buffer = np.empty(tuple(a.shape[d] for d in order) + (2,))
    view = np.moveaxis(buffer[..., 0], list(range(a.ndim)), order)
    view[...] = a
    return view


def _float64_copy(t: Tensor) -> Tensor:
    """The input as a new float64 leaf; the caller's tensor is never touched."""
    copy = Tensor._wrap(_float64_same_layout(t.data)).requires_grad_(t.requires_grad)
    copy.name = t.name
    return copy


def _as_inputs(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """Accept PyTorch's call `gradcheck(fn, (x, y))` as well as `gradcheck(fn, x, y)`."""
    if len(inputs) == 1 and isinstance(inputs[0], (tuple, list)):
        return tuple(inputs[0])
    return inputs


def _outputs(out: Any) -> Sequence[Tensor]:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor (or a tuple of Tensors), "
                            f"got {type(o).__name__}")
    return outs


def gradcheck(fn: Callable[..., Any], *inputs: Any, eps: float = DEFAULT_EPS, atol: float = DEFAULT_ATOL,
              rtol: float = DEFAULT_RTOL, seed: int = 0, raise_exception: bool = True) -> bool:
    """Check every VJP of `fn` at `inputs` against central finite differences, in float64.

    With r a fixed random cotangent (normal, from `seed`) for each output of `fn`, the scalar
    E(inputs) = Σ ⟨fn(*inputs), r⟩ has gradient Jᵀr with respect to each input: the analytic
    side is one backward of r through the recorded graph, the numeric side is, for every element
    w of every input that requires grad, (E(w + ε) − E(w − ε)) / 2ε.

    Tolerances: each element passes when |analytic − numeric| ≤ atol + rtol·|numeric|, comparing
    signed values (a sign error fails). With the defaults ε = 1e-6, atol = 1e-5, rtol = 1e-4, a
    gradient of size about 1 must be right to 0.01 % (1e-4 relative, plus 1e-5 absolute): a 0.1 %
    error in any element of size ≥ 0.012 fails, while the finite differences' own error in float64
    (about 1e-10·|E| rounding plus ε²·|E'''| truncation) stays far below that. Near a kink (relu at
    0, a max with ties) the difference quotient straddles the kink: keep inputs away from those.

    Inputs may be given as `gradcheck(fn, x, w)` or, as in PyTorch, `gradcheck(fn, (x, w))`.
    Floating-point Tensors are copied to float64, keeping their memory layout (a transposed or
    strided input stays so); other inputs (integer labels, numbers) are passed as they are.
    The caller's tensors are never modified. Every input that requires grad is checked, each
    element of it. Returns True, or raises `GradcheckError` (an AssertionError) naming the input,
    the first element that disagrees with both values, how many elements disagree and where the
    largest difference is; with `raise_exception=False` it returns False instead.
    """
    inputs = _as_inputs(inputs)
    tensors = [_float64_copy(t) if isinstance(t, Tensor) and t.dtype.kind == "f" else t for t in inputs]
    checked = [i for i, t in enumerate(tensors) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; pass Tensors with requires_grad=True")
    for i in checked:
        if not np.isfinite(tensors[i].data).all():
            raise ValueError(f"gradcheck: input {i} (shape {tensors[i].shape}) holds NaN or inf; "
                             "finite differences need finite inputs")
    snapshots = {i: tensors[i].data.copy() for i in checked}

    def fail(message: str) -> bool:
        if raise_exception:
            raise GradcheckError(f"gradcheck: {message}")
        return False

    outs = _outputs(fn(*tensors))
    rng = np.random.default_rng(seed)
    cotangents = [rng.standard_normal(o.shape) for o in outs]
    for o, r in zip(outs, cotangents):
        if o.requires_grad:   # outputs may share nodes: keep the graph for the next one
            o.backward(r.copy(), retain_graph=True)   # a copy: backward may write into δ
    for i in checked:
        if not np.array_equal(tensors[i].data, snapshots[i]):
            return fail(f"fn or its backward modified input {i} (shape {tensors[i].shape}) in place; "
                        "an op must not write into its inputs or saved arrays")

    def objective() -> float:
        with no_grad():
            values = _outputs(fn(*tensors))
        if [v.shape for v in values] != [o.shape for o in outs]:
            raise GradcheckError(f"gradcheck: fn's output shapes changed between calls: "
                                 f"{[o.shape for o in outs]} then {[v.shape for v in values]}")
        return float(sum(np.vdot(v.data, r) for v, r in zip(values, cotangents)))

    for i in checked:
        t = tensors[i]
        analytic = np.zeros(t.shape) if t.grad is None else t.grad
        numeric = np.empty(t.shape)
        for index in np.ndindex(*t.shape):
            original = t.data[index]
            t.data[index] = original + eps
            plus = objective()
            t.data[index] = original - eps
            minus = objective()
            t.data[index] = original
            numeric[index] = (plus - minus) / (2 * eps)
        diff = np.abs(analytic - numeric)
        bad = ~(diff <= atol + rtol * np.abs(numeric))   # NaN anywhere counts as a disagreement
        if bad.any():
            first = tuple(int(k) for k in np.argwhere(bad)[0])
            ranked = np.where(bad, np.nan_to_num(diff, nan=np.inf), -1.0)   # NaN counts as largest
            worst = tuple(int(k) for k in np.unravel_index(np.argmax(ranked), t.shape))
            name = f" '{t.name}'" if t.name else ""
            return fail(
                f"input {i}{name} (shape {t.shape}) element {first}: analytic gradient "
                f"{analytic[first]:.10g} vs numeric {numeric[first]:.10g} (|diff| {diff[first]:.3g} > "
                f"atol {atol} + rtol {rtol} · |numeric|); {int(bad.sum())} of {bad.size} elements of "
                f"input {i} disagree, the largest |diff| {diff[worst]:.3g} at element {worst}")
    return True
