"""dtypes are NumPy's, named as in PyTorch, and combined by PyTorch's promotion rules.

`result_type(*operands)` is `torch.result_type`: operands rank by kind — tensors with
dimensions first, then 0-d tensors, then Python numbers — and a lower-ranked operand only
matters when it is of a higher category (bool < integer < floating point). A Python float
then contributes the default dtype (float32), a Python int int64. So
`int64 tensor + 0.5 → float32`, `float32 tensor + float64 0-d tensor → float32`,
`int32 tensor + int64 0-d tensor → int32`, `float32 tensor + float64 tensor → float64`.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)  # noqa: A001 (torch.float is float32)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)  # noqa: A001 (torch.int is int32)
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)  # noqa: A001 (torch.bool)

_BY_NAME: dict[str, np.dtype] = {"float16": float16, "half": float16, "float32": float32, "float": float32,
            "float64": float64, "double": float64, "uint8": uint8, "int8": int8,
            "int16": int16, "short": int16, "int32": int32, "int": int32, "int64": int64,
            "long": int64, "bool": bool}

_default_dtype = float32


def get_default_dtype() -> np.dtype:
    """The dtype of float factories and of Python floats in arithmetic (float32)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Make float32 or float64 the default floating-point dtype."""
    global _default_dtype
    d = as_dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating-point dtype, got {d}")
    _default_dtype = d


def as_dtype(dtype: Any) -> np.dtype:
    """A NumPy dtype from a dtype, a NumPy type, a Python type or a PyTorch-style name
    ('float32', 'torch.int64', 'long')."""
    if isinstance(dtype, str):
        name = dtype.removeprefix("torch.")
        if name in _BY_NAME:
            return _BY_NAME[name]
        raise TypeError(f"unknown dtype {dtype!r}; expected one of {sorted(_BY_NAME)}")
    if dtype is builtins.float:
        return _default_dtype
    if dtype is builtins.int:
        return int64
    if dtype is builtins.bool:
        return bool
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}; expected a NumPy dtype or one of "
                        f"{sorted(_BY_NAME)}") from None
    if d.kind not in "biuf":
        raise TypeError(f"dtype {d} is not supported; expected bool, integer or floating point")
    return d


def category(dtype: np.dtype) -> builtins.int:
    """0 bool, 1 integer, 2 floating point."""
    return {"b": 0, "i": 1, "u": 1, "f": 2}.get(dtype.kind, 2)


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """`torch.promote_types`: the smallest dtype both fit in; an integer meeting a float gives
    the float (int64 + float32 → float32, where NumPy says float64)."""
    if a == b:
        return a
    ca, cb = category(a), category(b)
    if ca == 2 and cb < 2:
        return a
    if cb == 2 and ca < 2:
        return b
    return np.promote_types(a, b)


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """The higher-priority kind wins unless the lower one is of a higher category."""
    if higher is None:
        return lower
    if lower is None or category(higher) == 2:
        return higher
    if category(higher) == 0 or category(lower) == 2:
        return promote_types(higher, lower)
    return higher


def _python_number_dtype(x: Any) -> np.dtype:
    if isinstance(x, builtins.bool):
        return bool
    if isinstance(x, builtins.int):
        return int64
    return _default_dtype


def result_type(*operands: Any) -> np.dtype:
    """`torch.result_type` over Tensors, arrays and Python numbers (see the module docstring)."""
    dim_result = zero_dim_result = number_result = None
    for x in operands:
        data = x if isinstance(x, (np.ndarray, np.generic)) else getattr(x, "data", x)
        if isinstance(data, np.ndarray):
            if data.ndim:
                dim_result = data.dtype if dim_result is None else promote_types(dim_result, data.dtype)
            else:
                zero_dim_result = (data.dtype if zero_dim_result is None
                                   else promote_types(zero_dim_result, data.dtype))
        elif isinstance(data, (builtins.bool, builtins.int, builtins.float, np.generic)):
            d = (_python_number_dtype(data) if not isinstance(data, np.generic)
                 else np.dtype(data.dtype))
            if isinstance(data, np.generic):   # a NumPy scalar is a 0-d tensor
                zero_dim_result = d if zero_dim_result is None else promote_types(zero_dim_result, d)
            else:
                number_result = d if number_result is None else promote_types(number_result, d)
    result = _combine(dim_result, _combine(zero_dim_result, number_result))
    return result if result is not None else _default_dtype


def number_array(op: str, value: Any, dtype: np.dtype) -> np.ndarray:
    """`value` as a 0-d array of `dtype`, a Python int rounded once to a float dtype as PyTorch
    does (NumPy goes through float64, which rounds twice above 2⁵³: 2⁶⁰ + 2³⁶ + 1 → 2⁶⁰ in
    float32 instead of 2⁶⁰ + 2³⁷); an int beyond 64 bits is refused, as PyTorch does."""
    if type(value) is builtins.int and dtype.kind == "f" and not -2**53 <= value <= 2**53:
        if not -2**63 <= value < 2**64:
            raise OverflowError(f"{op}: the Python int ({value.bit_length()} bits) does not fit "
                                "in int64 or uint64; expected an int in [-2**63, 2**64)")
        return np.asarray(value).astype(dtype)        # int64 or uint64, cast rounding once
    return np.asarray(value, dtype=dtype)


def floating(dtype: np.dtype) -> np.dtype:
    """The dtype of a floating-point function of `dtype` (exp, sqrt, true division):
    itself if floating, else the default float32."""
    return dtype if dtype.kind == "f" else _default_dtype


def can_cast(from_: np.dtype, to: np.dtype) -> builtins.bool:
    """`torch.can_cast`: no cast to a lower category (float → int, int → bool)."""
    return category(from_) <= category(to)
