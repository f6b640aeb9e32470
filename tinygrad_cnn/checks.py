"""The checking layer of the Tensor ops: argument normalisation and validation, with errors that
name the op, the shapes and what was expected. The ops' `forward`/`backward` assume checked
input and read as their formulas.

The error classes subclass the exception PyTorch raises as well as the Python one that fits:
`DimensionError` is an IndexError (PyTorch) and a ValueError; `ShapeError` and
`ArgumentError` are RuntimeErrors (PyTorch) and ValueErrors; `IntegerDivisionError` is a
RuntimeError (PyTorch's `RuntimeError: ZeroDivisionError`) and a ZeroDivisionError.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .formatting import shape_str


class DimensionError(IndexError, ValueError):
    """A dim argument out of range for the tensor."""


class ShapeError(RuntimeError, ValueError):
    """Shapes that do not fit together (broadcasting, matmul, reshape, cat)."""


class ArgumentError(RuntimeError, ValueError):
    """An argument value the op does not accept (PyTorch raises RuntimeError)."""


class IntegerDivisionError(RuntimeError, ZeroDivisionError):
    """An integer division or remainder by zero (PyTorch raises `RuntimeError: ZeroDivisionError`)."""


def normalize_dim(op: str, dim: Any, ndim: int, scalar_dims: bool = True) -> int:
    """One dim in [-ndim, ndim) as a non-negative index. A 0-d tensor accepts 0 and −1 (as
    PyTorch's reductions do) unless `scalar_dims` is False (size, select: it has no dims)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if ndim == 0 and not scalar_dims:
        raise DimensionError(f"{op}: dim {dim} is out of range for a 0-d tensor, which has no "
                             "dimensions; expected a tensor with at least 1 dimension")
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise DimensionError(f"{op}: dim {dim} is out of range for a tensor with {ndim} "
                             f"dimensions; expected a dim in [{-size}, {size - 1}]")
    return int(dim) % size


def normalize_dims(op: str, dim: Any, ndim: int) -> tuple[int, ...]:
    """`dim` (None = all, an int, or a sequence) as a sorted tuple of distinct axes; for a 0-d
    tensor every valid dim means the empty tuple."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    axes = tuple(normalize_dim(op, d, ndim) for d in dims)
    if len(set(axes)) != len(axes):
        raise ArgumentError(f"{op}: dim {tuple(dims)} names an axis twice")
    return tuple(sorted(axes)) if ndim else ()


def resolve_alias(op: str, value: Any, alias_value: Any, name: str, alias: str,
                  default: Any = None) -> Any:
    """PyTorch's keyword (`dim`) or NumPy's alias (`axis`), not both."""
    if alias_value is not None:
        if value is not None and value is not default:
            raise TypeError(f"{op}: got both {name}= and its alias {alias}=; pass one")
        return alias_value
    return value


def shape_args(op: str, shape: Sequence[Any]) -> tuple[int, ...]:
    """A shape given as varargs (2, 3) or one sequence ((2, 3),) as a tuple of ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    elif len(shape) == 1 and hasattr(shape[0], "shape") and hasattr(shape[0], "tolist"):
        shape = tuple(shape[0].tolist())
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}: sizes must be ints, got {tuple(shape)!r}")
    return tuple(int(n) for n in shape)


def check_broadcast(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast shape, or a ShapeError naming both shapes."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(shape_str(s) for s in shapes)
        raise ShapeError(f"{op}: shapes {listed} do not broadcast; expected equal sizes or 1 in "
                         "each trailing axis") from None


def check_permutation(op: str, dims: Iterable[int], ndim: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    dims = tuple(dims)
    axes = tuple(normalize_dim(op, d, ndim) for d in dims) if ndim else ()
    if sorted(axes) != list(range(ndim)) or len(dims) != ndim:
        raise ShapeError(f"{op}: dims {dims} are not a permutation of the {ndim} axes of a "
                         f"tensor of shape {shape_str(shape)}")
    return axes


def infer_shape(op: str, shape: tuple[int, ...], size: int, source: tuple[int, ...]) -> tuple[int, ...]:
    """A reshape target with at most one −1, checked against the element count."""
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1 or any(n < -1 for n in shape):
        raise ShapeError(f"{op}: invalid shape {shape}; at most one dim may be −1, the others ≥ 0")
    known = int(np.prod([n for n in shape if n != -1]))
    if unknown:
        if known == 0 or size % known:
            raise ShapeError(f"{op}: cannot reshape a tensor of shape {shape_str(source)} "
                             f"({size} elements) into {shape}; the sizes must match")
        shape = shape[:unknown[0]] + (size // known,) + shape[unknown[0] + 1:]
    elif known != size:
        raise ShapeError(f"{op}: cannot reshape a tensor of shape {shape_str(source)} ({size} "
                         f"elements) into {shape}; the sizes must match")
    return shape


def check_matmul(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    if len(a) == 0 or len(b) == 0:
        raise ShapeError(f"matmul: both operands need at least 1 dimension, got shapes "
                         f"{shape_str(a)} and {shape_str(b)}")
    inner_b = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner_b:
        raise ShapeError(f"matmul: inner dimensions differ for {shape_str(a)} @ {shape_str(b)}: "
                         f"{a[-1]} vs {inner_b}; expected a.shape[-1] == b.shape[-2]")
    check_broadcast("matmul", a[:-2], b[:-2])


def check_expand(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...]:
    """`expand`'s target with −1 meaning 'keep this size'; only size-1 axes may grow."""
    if len(target) < len(shape):
        raise ShapeError(f"expand: the target {target} has fewer dims than the tensor "
                         f"{shape_str(shape)}")
    lead = len(target) - len(shape)
    out = list(target)
    for i, n in enumerate(shape):
        t = target[lead + i]
        if t == -1:
            out[lead + i] = n
        elif n != t and n != 1:
            raise ShapeError(f"expand: the size {n} of dim {i} of a tensor of shape "
                             f"{shape_str(shape)} cannot become {t}; only size-1 dims expand")
    if any(n < 0 for n in out):
        raise ShapeError(f"expand: −1 is not allowed for the new leading dims of {target}")
    return tuple(out)


def check_cat(shapes: Sequence[tuple[int, ...]], dim: int) -> None:
    if not shapes:
        raise ShapeError("cat: expected a non-empty sequence of tensors")
    first = shapes[0]
    for i, s in enumerate(shapes[1:], 1):
        if len(s) != len(first) or any(a != b for k, (a, b) in enumerate(zip(s, first)) if k != dim):
            raise ShapeError(f"cat: tensor {i} has shape {shape_str(s)} but tensor 0 has "
                             f"{shape_str(first)}; expected equal sizes except in dim {dim}")


def check_divisor(op: str, a: np.ndarray, b: np.ndarray) -> None:
    """Integer a / b (rounded) or a % b: no zero in the divisor b (floats give ±inf and nan)."""
    if a.dtype.kind in "iu" and b.dtype.kind in "iu" and a.size and b.size and not b.all():
        zeros = b.size - np.count_nonzero(b)
        raise IntegerDivisionError(f"{op}: integer division by zero: the {b.dtype} divisor of shape "
                                   f"{shape_str(b.shape)} has {zeros} zero element"
                                   f"{'s' if zeros > 1 else ''}; expected nonzero divisors, or "
                                   "floating-point operands for ±inf and nan")


def check_nonempty(op: str, shape: tuple[int, ...], dims: tuple[int, ...]) -> None:
    if any(shape[d] == 0 for d in dims) or (not dims and 0 in shape):
        raise DimensionError(f"{op}: cannot reduce an empty tensor of shape {shape_str(shape)} over "
                         f"dims {dims}; expected a non-zero size")
