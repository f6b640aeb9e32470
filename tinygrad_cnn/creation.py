"""Tensor factories with PyTorch's signatures: `tensor`, `zeros`, `ones`, `full`, `empty`, `rand`,
`randn`, `randint`, `randperm`, `arange`, `linspace`, `eye`, `*_like`, `from_numpy`.

Sizes are varargs or one tuple (`zeros(2, 3)` = `zeros((2, 3))`); float factories give the
default dtype (float32); `dtype=`, `requires_grad=` as in PyTorch; `device` may only be 'cpu'.
Random factories draw from `tinygrad_cnn.random`'s default generator (seeded by `manual_seed`)
or from `generator=`.
"""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from . import dtypes
from .arrays import as_leaf_array
from .checks import ArgumentError, shape_args
from .random import Generator, rng
from .tensor import Tensor, as_array


def _check_device(op: str, device: Any) -> None:
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"{op}: device {device!r} is not available; tinygrad_cnn runs on the "
                           "CPU only (device 'cpu')")


def _make(op: str, data: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    _check_device(op, device)
    out = Tensor._wrap(as_leaf_array(data))  # a leaf: `.data` answers PyTorch's in-place names
    return out.requires_grad_(True) if requires_grad else out


def _float_dtype(dtype: Any) -> np.dtype:
    return dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of `data` (floats → float32, ints → int64)."""
    return _make("tensor", as_array(data, dtype), requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    if isinstance(data, Tensor) and (dtype is None or dtypes.as_dtype(dtype) == data.dtype):
        return data
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory (no copy), as PyTorch's from_numpy."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(as_leaf_array(array))


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make("zeros", np.zeros(shape_args("zeros", size), _float_dtype(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make("ones", np.ones(shape_args("ones", size), _float_dtype(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros (NumPy's uninitialised memory is not worth the surprise)."""
    return _make("empty", np.zeros(shape_args("empty", size), _float_dtype(dtype)), requires_grad, device)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of `fill_value`; its dtype is inferred from the value (float → float32,
    int → int64, bool → bool) unless given."""
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.result_type(
        getattr(fill_value, "data", fill_value))
    size = shape_args("full", size if isinstance(size, (tuple, list)) else (size,))
    value = dtypes.number_array("full", getattr(fill_value, "data", fill_value), d)
    return _make("full", np.full(size, value), requires_grad, device)


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return zeros(input.shape, dtype=dtype if dtype is not None else input.dtype, requires_grad=requires_grad)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return ones(input.shape, dtype=dtype if dtype is not None else input.dtype, requires_grad=requires_grad)


def empty_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None,  # noqa: A002
              requires_grad: bool = False) -> Tensor:
    return full(input.shape, fill_value, dtype=dtype if dtype is not None else input.dtype,
                requires_grad=requires_grad)


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    d = _float_dtype(dtype)
    return _make("rand", rng(generator).random(shape_args("rand", size)).astype(d), requires_grad, device)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    d = _float_dtype(dtype)
    return _make("randn", rng(generator).standard_normal(shape_args("randn", size)).astype(d),
                 requires_grad, device)


def rand_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return rand(input.shape, dtype=dtype if dtype is not None else input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return randn(input.shape, dtype=dtype if dtype is not None else input.dtype, requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size: Any = None, *,
            generator: Generator | None = None, dtype: Any = None, device: Any = None) -> Tensor:
    """Integers uniform in [low, high) (`randint(high, size)` means low = 0), int64."""
    if size is None:          # randint(high, size)
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    if high is None:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size)")
    if high <= low:
        raise ArgumentError(f"randint: expected low < high, got low={low}, high={high}")
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    shape = shape_args("randint", size if isinstance(size, (tuple, list)) else (size,))
    return _make("randint", rng(generator).integers(low, high, shape).astype(d), False, device)


def randperm(n: int, *, generator: Generator | None = None, dtype: Any = None) -> Tensor:
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    return Tensor._wrap(as_leaf_array(rng(generator).permutation(n).astype(d)))


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """start, start + step, … < end; int64 when every argument is an int, else float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ArgumentError("arange: step must be nonzero")
    ints = all(isinstance(v, (builtins.int, np.integer)) for v in (start, end, step))
    d = dtypes.as_dtype(dtype) if dtype is not None else (
        dtypes.int64 if ints else dtypes.get_default_dtype())
    n = builtins.max(0, math.ceil((end - start) / step))
    data = (start + np.arange(n, dtype=np.float64 if not ints else np.int64) * step).astype(d)
    return _make("arange", data, requires_grad, device)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    if steps < 0:
        raise ArgumentError(f"linspace: number of steps must be non-negative, got {steps}")
    return _make("linspace", np.linspace(start, end, steps).astype(_float_dtype(dtype)),
                 requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    return _make("eye", np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)
