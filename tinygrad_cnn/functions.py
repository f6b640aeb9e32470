"""Module-level functions with PyTorch's names (`tinygrad_cnn.cat`, `tinygrad_cnn.max`, …).

`cat` is an op of its own (ops.Cat); `stack` is unsqueeze + cat. The others are thin wrappers on
the Tensor methods of the same name, which check the arguments and call the ops.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import dtypes, ops
from .checks import ShapeError, normalize_dim
from .creation import as_tensor
from .tensor import Tensor, where

__all__ = ["cat", "concat", "concatenate", "stack", "flatten", "max", "min", "amax", "amin",
           "argmax", "argmin", "matmul", "mm", "bmm", "dot", "sum", "mean", "var", "std", "prod",
           "logsumexp", "exp", "log", "sqrt", "abs", "neg", "add", "sub", "mul", "div", "pow",
           "remainder", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "clamp", "clip",
           "maximum", "minimum", "where", "reshape", "transpose", "permute", "squeeze",
           "unsqueeze", "flip", "split", "chunk", "clone", "numel", "is_tensor", "eq", "ne", "lt",
           "le", "gt", "ge", "equal", "allclose", "result_type", "promote_types", "can_cast",
           "is_floating_point", "square", "sign", "all", "any", "isnan", "isfinite", "masked_fill",
           "gather", "sin", "cos", "cumsum"]


def cat(tensors: Sequence[Any], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Concatenate along an existing dim (dtype promoted over all inputs)."""
    if axis is not None:
        dim = axis
    if isinstance(tensors, Tensor) or not len(tensors):
        raise TypeError("cat: expected a non-empty sequence (list or tuple) of tensors")
    ts = [as_tensor(t) for t in tensors]
    dtype = dtypes.result_type(*ts)
    first = next(t for t in ts)
    d = normalize_dim("cat", dim, first.ndim)
    if first.ndim == 0:
        raise ShapeError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    return ops.Cat.apply(*(t._cast(dtype) for t in ts), dim=d)


concat = concatenate = cat


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join along a new dim (composite: unsqueeze each input, then cat); shapes must be equal."""
    if isinstance(tensors, Tensor) or not len(tensors):
        raise TypeError("stack: expected a non-empty sequence (list or tuple) of tensors")
    ts = [as_tensor(t) for t in tensors]
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise ShapeError(f"stack: expects each tensor to be equal size, but got "
                             f"{ts[0].shape} at entry 0 and {t.shape} at entry {i}")
    d = normalize_dim("stack", dim, ts[0].ndim + 1)
    return cat([t.unsqueeze(d) for t in ts], dim=d)


def _method(name: str) -> Any:
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 (PyTorch's name)
        return getattr(as_tensor(input), name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"`{name}(input, ...)` = `input.{name}(...)` (see Tensor.{name})."
    return function


flatten = _method("flatten")
max = _method("max")  # noqa: A001 (PyTorch's name)
min = _method("min")  # noqa: A001
amax = _method("amax")
amin = _method("amin")
argmax = _method("argmax")
argmin = _method("argmin")
matmul = _method("matmul")
mm = _method("mm")
bmm = _method("bmm")
dot = _method("dot")
sum = _method("sum")  # noqa: A001
mean = _method("mean")
var = _method("var")
std = _method("std")
prod = _method("prod")
logsumexp = _method("logsumexp")
exp = _method("exp")
sin = _method("sin")
cos = _method("cos")
cumsum = _method("cumsum")
log = _method("log")
sqrt = _method("sqrt")
abs = _method("abs")  # noqa: A001
neg = _method("neg")
square = _method("square")
sign = _method("sign")
add = _method("add")
sub = _method("sub")
mul = _method("mul")
div = _method("div")
pow = _method("pow")  # noqa: A001
remainder = _method("remainder")
relu = _method("relu")
sigmoid = _method("sigmoid")
tanh = _method("tanh")
softmax = _method("softmax")
log_softmax = _method("log_softmax")
clamp = _method("clamp")
masked_fill = _method("masked_fill")
gather = _method("gather")
clip = _method("clip")
maximum = _method("maximum")
minimum = _method("minimum")
reshape = _method("reshape")
transpose = _method("transpose")
permute = _method("permute")
squeeze = _method("squeeze")
unsqueeze = _method("unsqueeze")
flip = _method("flip")
split = _method("split")
chunk = _method("chunk")
clone = _method("clone")
eq = _method("eq")
ne = _method("ne")
lt = _method("lt")
le = _method("le")
gt = _method("gt")
ge = _method("ge")
equal = _method("equal")
allclose = _method("allclose")
all = _method("all")  # noqa: A001
any = _method("any")  # noqa: A001
isnan = _method("isnan")
isfinite = _method("isfinite")
is_floating_point = _method("is_floating_point")


def numel(input: Tensor) -> int:  # noqa: A002
    return as_tensor(input).numel()


def is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


def result_type(tensor1: Any, tensor2: Any) -> np.dtype:
    """PyTorch's type promotion of two operands (tensors or Python numbers)."""
    return dtypes.result_type(tensor1, tensor2)


def promote_types(type1: Any, type2: Any) -> np.dtype:
    return dtypes.promote_types(dtypes.as_dtype(type1), dtypes.as_dtype(type2))


def can_cast(from_: Any, to: Any) -> bool:
    return dtypes.can_cast(dtypes.as_dtype(from_), dtypes.as_dtype(to))


