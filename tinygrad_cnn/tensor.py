"""`Tensor`: a numpy array that remembers the op that made it, so that `backward()` can run.

The methods follow PyTorch (names, keywords, defaults, return types and dtype promotion); they
are the checking layer of the ops: they normalise arguments (`dim`, shapes, dtypes), then call
one `Function` per op, whose forward and backward are the formula. Composite methods (var,
std, logsumexp, softmax via the functional API, stack, …) are built from those ops, so their
VJPs follow from the ops'.
"""
from __future__ import annotations

import builtins
import math
from collections import namedtuple
from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np

from . import autograd, dtypes, ops
from .arrays import as_leaf_array
from .checks import (
    ArgumentError,
    DimensionError,
    ShapeError,
    check_divisor,
    check_expand,
    normalize_dim,
    normalize_dims,
    resolve_alias,
    shape_args,
)
from .formatting import shape_str

# The cast methods bool(), int(), float() shadow the builtins inside the class body.
_bool: TypeAlias = builtins.bool
_int: TypeAlias = builtins.int
_float: TypeAlias = builtins.float

# PyTorch's torch.return_types.max / min: a named (values, indices) pair
MaxResult = namedtuple("max", ["values", "indices"])  # type: ignore[name-match]
MinResult = namedtuple("min", ["values", "indices"])  # type: ignore[name-match]


class DtypeError(RuntimeError, TypeError):
    """An op applied to a dtype it does not support (e.g. requires_grad on an integer tensor)."""


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """A fresh array of `data` with PyTorch's inference: Python floats become the default float
    (float32), ints int64, bools bool; NumPy arrays and scalars keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=dtypes.as_dtype(dtype))
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype.kind == "f":
        return arr.astype(dtypes.get_default_dtype())
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind not in "b":
        raise TypeError(f"Tensor: cannot build a tensor from {type(data).__name__} data "
                        f"(dtype {arr.dtype}); expected numbers, nested lists of numbers or an array")
    return arr


class _HookHandle:
    """Returned by `register_hook`; `remove()` unregisters the hook."""

    def __init__(self, hooks: dict[int, Callable], key: int):
        self.hooks, self.key = hooks, key

    def remove(self) -> None:
        self.hooks.pop(self.key, None)


class Tensor:
    """An n-dimensional array with reverse-mode autodiff.

    `Tensor(data, requires_grad=False, dtype=None)` copies `data` (see `as_array` for dtypes).
    Every op on a tensor that requires grad records a node (`grad_fn`); `backward()` fills
    `.grad` of the leaves. `.data` and `.grad` are NumPy arrays.
    """

    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operators
    __hash__ = object.__hash__  # == is elementwise; a tensor hashes by identity, as in PyTorch

    def __init__(self, data: Any, requires_grad: _bool = False, dtype: Any = None):
        self._data: np.ndarray = as_leaf_array(as_array(data, dtype))
        self._grad: np.ndarray | None = None
        self.grad_fn: autograd.Function | None = None
        self.name: str | None = None  # shown in graphs; nn.Module names its parameters
        self.hooks: dict[_int, Callable[[np.ndarray], np.ndarray | None]] = {}
        self.retains_grad = False
        self.requires_grad = False
        self._version = 0
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray, requires_grad: _bool = False,
              grad_fn: autograd.Function | None = None) -> Tensor:
        """An op's output: wraps the array without copying."""
        t = cls.__new__(cls)
        t._data, t._grad, t.grad_fn, t.name = data, None, grad_fn, None
        t.hooks, t.retains_grad, t.requires_grad, t._version = {}, False, requires_grad, 0
        return t

    def requires_grad_(self, requires_grad: _bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise DtypeError(f"requires_grad_: only floating-point tensors can require grad; "
                             f"this one is {self.dtype} with shape {shape_str(self.shape)}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False): this tensor is not a leaf (it has grad_fn="
                               f"{self.grad_fn.op}); use detach() to cut it from the graph")
        self.requires_grad = bool(requires_grad)
        return self

    # -- properties -----------------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The values, a NumPy array; a leaf's also answers PyTorch's in-place names (`arrays.Array`)."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = as_leaf_array(np.asarray(value.data if isinstance(value, Tensor) else value))

    @property
    def grad(self) -> np.ndarray | None:
        """∂E/∂(this tensor) after backward (a NumPy array), or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            value = np.asarray(value.data if isinstance(value, Tensor) else value)
            if value.shape != self.data.shape:
                raise ShapeError(f"grad: assigned a gradient of shape {shape_str(value.shape)} "
                                 f"to a tensor of shape {shape_str(self.shape)}; expected equal shapes")
            value = as_leaf_array(value)
        self._grad = value

    @property
    def shape(self) -> tuple[_int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> _int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_leaf(self) -> _bool:
        """True for tensors made by the user (and for every tensor that does not require grad)."""
        return self.grad_fn is None

    def size(self, dim: _int | None = None) -> Any:
        """The shape (a tuple), or the size of one dim."""
        if dim is None:
            return self.data.shape
        return self.data.shape[normalize_dim("size", dim, self.ndim, scalar_dims=False)]

    def dim(self) -> _int:
        return self.data.ndim

    ndimension = dim

    def numel(self) -> _int:
        return self.data.size

    nelement = numel

    def element_size(self) -> _int:
        return self.data.itemsize

    def __len__(self) -> _int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        if self.requires_grad:
            raise RuntimeError("numpy: can't call numpy() on a tensor that requires grad; use "
                               "tensor.detach().numpy()")
        return self.data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def item(self) -> Any:
        if self.data.size != 1:
            raise ShapeError(f"item: only a one-element tensor converts to a Python number, "
                             f"got shape {shape_str(self.shape)}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __bool__(self) -> _bool:
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of a tensor of shape {shape_str(self.shape)} with "
                               "more than one value is ambiguous; use .any() or .all()")
        return bool(self.data)

    def __float__(self) -> _float:
        return float(self.item())

    def __int__(self) -> _int:
        return int(self.item())

    def __index__(self) -> _int:
        if self.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an "
                            f"index, got {self.dtype} of shape {shape_str(self.shape)}")
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, threshold=20, separator=", ",
                               prefix="tensor(")
        extra = ""
        if self.data.dtype not in (dtypes.get_default_dtype(), np.dtype(np.int64), np.dtype(np.bool_)):
            extra += f", dtype={self.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn={self.grad_fn.op}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"tensor({body}{extra})"

    # -- graph and autograd ---------------------------------------------------------------------
    def detach(self) -> Tensor:
        """The same data (shared), cut from the graph."""
        return Tensor._wrap(self.data)

    def detach_(self) -> Tensor:
        self.grad_fn, self.requires_grad = None, False
        return self

    def backward(self, gradient: Any = None, retain_graph: _bool | None = None,
                 create_graph: _bool = False, inputs: Any = None, *, grad: Any = None) -> None:
        """Fill `.grad` of every leaf this tensor depends on (see `autograd.backward`), or only
        of the tensors in `inputs`."""
        if create_graph:
            raise NotImplementedError("backward(create_graph=True): higher-order gradients are "
                                      "not supported; gradients are NumPy arrays, not graphs")
        gradient = gradient if gradient is not None else grad
        if inputs is None:
            autograd.backward(self, gradient, retain_graph=_bool(retain_graph))
            return
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        grads = autograd.grad(self, inputs, gradient, retain_graph=retain_graph, allow_unused=True)
        for t, g in zip(inputs, grads):
            if g is not None:
                t.grad = g.data if t.grad is None else t.grad + g.data

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's δ in `.grad` after backward (a sensitivity map)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain the gradient of a tensor that does not "
                               "require grad")
        self.retains_grad = True
        return self

    def register_hook(self, hook: Callable[[np.ndarray], np.ndarray | None]) -> _HookHandle:
        """Call `hook(δ)` when this tensor's gradient is computed; a returned array replaces δ.
        Returns a handle whose `remove()` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: can't register a hook on a tensor that does not "
                               "require grad")
        key = builtins.max(self.hooks, default=-1) + 1
        self.hooks[key] = hook
        return _HookHandle(self.hooks, key)

    def graph(self) -> autograd.Graph:
        """The recorded DAG behind this tensor, in topological order (printable)."""
        return autograd.Graph(self)

    # -- dtype ----------------------------------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """`to(dtype)`, `to('cpu')`, `to(other)` (its dtype), `to(device, dtype)`: a converted
        copy (self when nothing changes). Only the CPU exists."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "mps", "meta"):
                device = a
            elif a is not None:
                dtype = a
        if device is not None and str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"to: device {device!r} is not available; tinygrad_cnn runs on "
                               "the CPU only (device 'cpu')")
        if dtype is None or dtypes.as_dtype(dtype) == self.dtype:
            return self.clone() if copy else self
        return self._cast(dtypes.as_dtype(dtype))

    def cpu(self) -> Tensor:
        return self

    def type(self, dtype: Any = None) -> Any:
        return str(self.dtype) if dtype is None else self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def half(self) -> Tensor:
        return self.to(np.float16)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    def astype(self, dtype: Any) -> Tensor:
        """A copy in another dtype, cut from the graph (e.g. float64 for a gradient check)."""
        return Tensor(self.data, requires_grad=self.requires_grad, dtype=dtype)

    def is_floating_point(self) -> _bool:
        return self.dtype.kind == "f"

    def _cast(self, dtype: np.dtype) -> Tensor:
        """This tensor in `dtype` (recorded, so δ flows back in the original dtype)."""
        if self.dtype == dtype:
            return self
        return ops.Cast.apply(self, dtype=dtype)

    # -- elementwise arithmetic (PyTorch's dtype promotion) -------------------------------------
    def _operands(self, other: Any, floating: _bool = False) -> tuple[Tensor, Tensor]:
        """Self and `other` as tensors of the promoted dtype (`dtypes.result_type`);
        `floating` (true division, pow of floats) promotes integers to the default float."""
        if type(other) is Tensor and other.dtype == self.dtype and (
                not floating or self.dtype.kind == "f"):
            return self, other
        if isinstance(other, (builtins.int, builtins.float)) and not isinstance(other, builtins.bool) \
                and self.dtype.kind == "f":
            return self, Tensor._wrap(np.asarray(other, dtype=self.dtype))
        dtype = dtypes.result_type(self, other)
        if floating:
            dtype = dtypes.floating(dtype)
        if not isinstance(other, Tensor):
            other = Tensor._wrap(np.asarray(getattr(other, "data", other), dtype=dtype))
        return self._cast(dtype), other._cast(dtype)

    def add(self, other: Any, alpha: Any = 1) -> Tensor:
        return ops.Add.apply(*self._operands(other if alpha == 1 else other * alpha))

    def sub(self, other: Any, alpha: Any = 1) -> Tensor:
        _no_bool_subtraction(self, other)
        return ops.Sub.apply(*self._operands(other if alpha == 1 else other * alpha))

    def mul(self, other: Any) -> Tensor:
        return ops.Mul.apply(*self._operands(other))

    def div(self, other: Any, rounding_mode: str | None = None) -> Tensor:
        """True division (integers give float32); rounding_mode 'floor' or 'trunc' rounds
        the quotient (no gradient, as in PyTorch; integers refuse a zero divisor)."""
        if rounding_mode is None:
            return ops.Div.apply(*self._operands(other, floating=True))
        return self._rounded_div(other, rounding_mode, "div")

    def _rounded_div(self, other: Any, rounding_mode: str, op: str) -> Tensor:
        if rounding_mode not in ("floor", "trunc"):
            raise ArgumentError(f"{op}: rounding_mode must be None, 'floor' or 'trunc', got "
                             f"{rounding_mode!r}")
        a, b = self._operands(other)
        if a.dtype == np.bool_:
            raise NotImplementedError(f"{op}: rounding_mode={rounding_mode!r} is not implemented for "
                                      "bool tensors (as in PyTorch); convert them with .int() first")
        check_divisor(op, a.data, b.data)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.floor_divide(a.data, b.data) if rounding_mode == "floor" else (
                np.trunc(a.data / b.data).astype(a.dtype) if a.dtype.kind == "f"
                else (np.sign(a.data) * np.sign(b.data) * (np.abs(a.data) // np.abs(b.data))))
        return Tensor._wrap(np.asarray(q, dtype=a.dtype))

    divide, multiply, subtract, true_divide = div, mul, sub, div

    def floor_divide(self, other: Any) -> Tensor:
        return self._rounded_div(other, "floor", "floor_divide")

    def remainder(self, other: Any) -> Tensor:
        return ops.Remainder.apply(*self._operands(other))

    def pow(self, exponent: Any) -> Tensor:
        return ops.Pow.apply(*self._operands(exponent))

    def neg(self) -> Tensor:
        return -self

    negative = neg

    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(*self._operands(other))

    def __radd__(self, other: Any) -> Tensor:
        a, b = self._operands(other)
        return ops.Add.apply(b, a)

    def __sub__(self, other: Any) -> Tensor:
        _no_bool_subtraction(self, other)
        return ops.Sub.apply(*self._operands(other))

    def __rsub__(self, other: Any) -> Tensor:
        _no_bool_subtraction(self, other)
        a, b = self._operands(other)
        return ops.Sub.apply(b, a)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(*self._operands(other))

    def __rmul__(self, other: Any) -> Tensor:
        a, b = self._operands(other)
        return ops.Mul.apply(b, a)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(*self._operands(other, floating=True))

    def __rtruediv__(self, other: Any) -> Tensor:
        a, b = self._operands(other, floating=True)
        return ops.Div.apply(b, a)

    def __floordiv__(self, other: Any) -> Tensor:
        return self._rounded_div(other, "floor", "floor_divide")

    def __rfloordiv__(self, other: Any) -> Tensor:
        a, b = self._operands(other)
        return b._rounded_div(a, "floor", "floor_divide")

    def __mod__(self, other: Any) -> Tensor:
        return self.remainder(other)

    def __rmod__(self, other: Any) -> Tensor:
        a, b = self._operands(other)
        return ops.Remainder.apply(b, a)

    def __pow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(*self._operands(other))

    def __rpow__(self, other: Any) -> Tensor:
        a, b = self._operands(other)
        return ops.Pow.apply(b, a)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(*self._operands(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        a, b = self._operands(other)
        return ops.MatMul.apply(b, a)

    def __neg__(self) -> Tensor:
        if self.dtype == np.bool_:
            raise DtypeError("neg: negation, the `-` operator, of a bool tensor is not supported; "
                             "use `~` or logical_not() to invert a mask")
        return ops.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self.abs()

    def matmul(self, other: Any) -> Tensor:
        return self @ other

    mm = bmm = matmul

    def dot(self, other: Tensor) -> Tensor:
        if self.ndim != 1 or getattr(other, "ndim", 0) != 1:
            raise ShapeError(f"dot: expected two 1-D tensors, got shapes {shape_str(self.shape)} "
                             f"and {shape_str(np.shape(getattr(other, 'data', other)))}")
        return self @ other

    # -- comparisons and logic: boolean tensors, no gradient ------------------------------------
    def _compare(self, other: Any, fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Tensor:
        a, b = self._operands(other)
        return Tensor._wrap(np.asarray(fn(a.data, b.data)))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        if other is None:
            return NotImplemented
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        if other is None:
            return NotImplemented
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def equal(self, other: Tensor) -> _bool:
        """True if both have the same shape and values (PyTorch's torch.equal)."""
        return self.shape == other.shape and bool(np.array_equal(self.data, other.data))

    def allclose(self, other: Any, rtol: _float = 1e-5, atol: _float = 1e-8,
                 equal_nan: _bool = False) -> _bool:
        return bool(np.allclose(self.data, getattr(other, "data", other), rtol=rtol, atol=atol,
                                equal_nan=equal_nan))

    def isnan(self) -> Tensor:
        return Tensor._wrap(np.isnan(self.data))

    def isfinite(self) -> Tensor:
        return Tensor._wrap(np.isfinite(self.data))

    def _logical(self, other: Any, fn: Callable) -> Tensor:
        if self.dtype.kind not in "biu":
            raise DtypeError(f"{fn.__name__}: expected a boolean or integer tensor, got {self.dtype}")
        return Tensor._wrap(np.asarray(fn(self.data, getattr(other, "data", other))))

    def __and__(self, other: Any) -> Tensor:
        return self._logical(other, np.bitwise_and)

    def __or__(self, other: Any) -> Tensor:
        return self._logical(other, np.bitwise_or)

    def __xor__(self, other: Any) -> Tensor:
        return self._logical(other, np.bitwise_xor)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self) -> Tensor:
        if self.dtype.kind not in "biu":
            raise DtypeError(f"bitwise_not: expected a boolean or integer tensor, got {self.dtype}")
        return Tensor._wrap(np.invert(self.data))

    def logical_not(self) -> Tensor:
        return Tensor._wrap(np.logical_not(self.data))

    def all(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        axes = normalize_dims("all", dim, self.ndim)
        return Tensor._wrap(np.asarray(self.data.all(axis=axes, keepdims=keepdim)))

    def any(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        axes = normalize_dims("any", dim, self.ndim)
        return Tensor._wrap(np.asarray(self.data.any(axis=axes, keepdims=keepdim)))

    # -- unary math -----------------------------------------------------------------------------
    def _floating(self) -> Tensor:
        return self._cast(dtypes.floating(self.dtype))

    def exp(self) -> Tensor:
        return ops.Exp.apply(self._floating())

    def sin(self) -> Tensor:
        return ops.Sin.apply(self._floating())

    def cos(self) -> Tensor:
        return ops.Cos.apply(self._floating())

    def cumsum(self, dim: _int, dtype: Any = None) -> Tensor:
        """Running sums along `dim`, in `dtype` if given (else integer and bool tensors sum as
        int64, as PyTorch)."""
        x = self if dtype is None else self.to(dtype)
        if dtype is None and x.dtype.kind in "biu":
            x = x.to(np.int64)
        if x.dtype == np.bool_:
            raise NotImplementedError("cumsum: dtype=bool is not implemented (as in PyTorch); "
                                      "expected a numeric dtype")
        d = normalize_dim("cumsum", dim, builtins.max(x.ndim, 1))
        return ops.Cumsum.apply(x, dim=d) if x.ndim else ops.Cumsum.apply(x.reshape(1), dim=0).reshape(())

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor `sizes[d]` times along each dim (PyTorch's repeat; composite: reshape,
        expand, reshape, so δx sums δ over the copies)."""
        reps = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        if len(reps) < self.ndim:
            raise ArgumentError(f"repeat: {len(reps)} repeat counts for a tensor with {self.ndim} "
                                "dims; expected at least one per dim")
        shape = (1,) * (len(reps) - self.ndim) + self.shape
        interleaved = self.reshape(*(v for n in shape for v in (1, n)))
        tiled = interleaved.expand(*(v for r, n in zip(reps, shape) for v in (r, n)))
        return tiled.reshape(*(r * n for r, n in zip(reps, shape)))

    def clamp_min(self, min: Any) -> Tensor:  # noqa: A002 (PyTorch's name)
        return self.clamp(min=min)

    def clamp_max(self, max: Any) -> Tensor:  # noqa: A002 (PyTorch's name)
        return self.clamp(max=max)

    def log(self) -> Tensor:
        return ops.Log.apply(self._floating())

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(self._floating())

    def rsqrt(self) -> Tensor:
        """1/√x (composite: sqrt then division)."""
        return 1.0 / self.sqrt()

    def square(self) -> Tensor:
        """x ∘ x (composite: mul)."""
        return self * self

    def abs(self) -> Tensor:
        return ops.Abs.apply(self)

    absolute = abs

    def sign(self) -> Tensor:
        return Tensor._wrap(np.sign(self.data))

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 (PyTorch's names)
        """Values limited to [min, max]; a bound may be None, a number or a tensor (tensor
        bounds are maximum/minimum)."""
        if min is None and max is None:
            raise ArgumentError("clamp: at least one of min and max must be given")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self if min is None else self.maximum(min)
            return out if max is None else out.minimum(max)
        x = self
        if any(isinstance(v, builtins.float) for v in (min, max)):
            x = self._floating()
        return ops.Clamp.apply(x, min=min, max=max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return ops.Maximum.apply(*self._operands(other))

    def minimum(self, other: Any) -> Tensor:
        return ops.Minimum.apply(*self._operands(other))

    def where(self, condition: Any, other: Any) -> Tensor:
        """self where `condition` holds, else `other` (PyTorch's Tensor.where)."""
        return where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """`value` where `mask` holds, else self (composite: where)."""
        fill = Tensor._wrap(np.asarray(getattr(value, "data", value), dtype=self.dtype))
        return ops.Where.apply(fill, self, condition=np.asarray(getattr(mask, "data", mask)))

    def gather(self, dim: _int, index: Any) -> Tensor:
        """out[…, i, …] = self[…, index[…, i, …], …] along `dim` (PyTorch's gather: index may
        be smaller than self in the other dims). Composite: slicing, then take_along_dim."""
        index = np.asarray(getattr(index, "data", index))
        d = normalize_dim("gather", dim, self.ndim)
        if index.ndim != self.ndim or index.dtype.kind not in "iu" or any(
                index.shape[k] > self.shape[k] for k in range(self.ndim) if k != d):
            raise ShapeError(f"gather: index of shape {shape_str(index.shape)} and dtype "
                             f"{index.dtype} does not fit a tensor of shape {shape_str(self.shape)}; "
                             f"expected integers, {self.ndim} dims, sizes <= the tensor's except dim {d}")
        part = self[tuple(slice(None) if k == d else slice(0, n) for k, n in enumerate(index.shape))]
        return ops.TakeAlongDim.apply(part, index=index, dim=d)

    def relu(self) -> Tensor:
        return ops.ReLU.apply(self)

    def leaky_relu(self, negative_slope: _float = 0.01) -> Tensor:
        return ops.LeakyReLU.apply(self, negative_slope=negative_slope)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(self._floating())

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self._floating())

    def softmax(self, dim: _int = -1, dtype: Any = None, *, axis: _int | None = None) -> Tensor:
        from . import functional as F

        x = self if dtype is None else self.to(dtype)
        return F.softmax(x._floating(), resolve_alias("softmax", dim, axis, "dim", "axis", -1))

    def log_softmax(self, dim: _int = -1, dtype: Any = None, *, axis: _int | None = None) -> Tensor:
        from . import functional as F

        x = self if dtype is None else self.to(dtype)
        return F.log_softmax(x._floating(), resolve_alias("log_softmax", dim, axis, "dim", "axis", -1))

    # -- reductions -----------------------------------------------------------------------------
    def _dims(self, op: str, dim: Any, axis: Any, keepdim: Any,
              keepdims: Any) -> tuple[tuple[_int, ...], _bool]:
        dim = resolve_alias(op, dim, axis, "dim", "axis")
        keep = resolve_alias(op, keepdim, keepdims, "keepdim", "keepdims", False)
        return normalize_dims(op, dim, self.ndim), builtins.bool(keep)

    def sum(self, dim: Any = None, keepdim: _bool = False, dtype: Any = None, *,
            axis: Any = None, keepdims: _bool | None = None) -> Tensor:
        axes, keep = self._dims("sum", dim, axis, keepdim, keepdims)
        x = self.to(dtype) if dtype is not None else (
            self._cast(np.dtype(np.int64)) if self.dtype.kind in "biu" else self)
        return ops.Sum.apply(x, dim=axes, keepdim=keep)

    def mean(self, dim: Any = None, keepdim: _bool = False, dtype: Any = None, *,
             axis: Any = None, keepdims: _bool | None = None) -> Tensor:
        axes, keep = self._dims("mean", dim, axis, keepdim, keepdims)
        x = self.to(dtype) if dtype is not None else self
        if x.dtype.kind != "f":
            raise DtypeError(f"mean: expected a floating-point tensor, got {x.dtype}; pass "
                             "dtype= or call .float() first")
        return ops.Mean.apply(x, dim=axes, keepdim=keep)

    def amax(self, dim: Any = (), keepdim: _bool = False, *, axis: Any = None,
             keepdims: _bool | None = None) -> Tensor:
        """Largest value over `dim` (all dims by default); tied maxima share δ evenly."""
        dim = None if dim == () else dim
        axes, keep = self._dims("amax", dim, axis, keepdim, keepdims)
        return ops.Amax.apply(self, dim=axes, keepdim=keep)

    def amin(self, dim: Any = (), keepdim: _bool = False, *, axis: Any = None,
             keepdims: _bool | None = None) -> Tensor:
        """Smallest value over `dim` (all dims by default); tied minima share δ evenly."""
        dim = None if dim == () else dim
        axes, keep = self._dims("amin", dim, axis, keepdim, keepdims)
        return ops.Amin.apply(self, dim=axes, keepdim=keep)

    def _extremum(self, op: str, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> Any:
        dim = resolve_alias(op, dim, axis, "dim", "axis")
        if isinstance(dim, Tensor):                 # max(other): elementwise
            return self.maximum(dim) if op == "max" else self.minimum(dim)
        keep = builtins.bool(resolve_alias(op, keepdim, keepdims, "keepdim", "keepdims", False))
        if dim is None:                              # max(): a 0-d tensor, ties share δ
            if keep:
                raise TypeError(f"{op}: keepdim needs dim")
            return self.amax() if op == "max" else self.amin()
        if not isinstance(dim, (builtins.int, np.integer)) or isinstance(dim, builtins.bool):
            raise TypeError(f"{op}: dim must be an int (use amax/amin for several dims), got {dim!r}")
        d = normalize_dim(op, dim, self.ndim)
        if self.ndim == 0:
            values, indices = self.clone(), Tensor._wrap(np.zeros((), dtype=np.int64))
            return (MaxResult if op == "max" else MinResult)(values, indices)
        if self.shape[d] == 0:
            raise DimensionError(f"{op}: cannot reduce dim {dim} of size 0 (shape {shape_str(self.shape)})")
        find = np.argmax if op == "max" else np.argmin
        index = np.expand_dims(find(self.data, axis=d), d)
        values = ops.TakeAlongDim.apply(self, index=index, dim=d)   # δ goes to the index
        if not keep:
            values, index = values.squeeze(d), index.squeeze(d)
        return (MaxResult if op == "max" else MinResult)(values, Tensor._wrap(index))

    def max(self, dim: Any = None, keepdim: _bool = False, *, axis: Any = None,
            keepdims: _bool | None = None) -> Any:
        """max() → 0-d tensor (tied maxima share δ); max(dim, keepdim) → (values, indices)
        with δ routed to the index; max(other) → elementwise maximum."""
        return self._extremum("max", dim, keepdim, axis, keepdims)

    def min(self, dim: Any = None, keepdim: _bool = False, *, axis: Any = None,
            keepdims: _bool | None = None) -> Any:
        """min() → 0-d tensor; min(dim, keepdim) → (values, indices); min(other) → minimum."""
        return self._extremum("min", dim, keepdim, axis, keepdims)

    def _arg(self, op: str, find: Callable, dim: Any, keepdim: Any, axis: Any, keepdims: Any) -> Tensor:
        dim = resolve_alias(op, dim, axis, "dim", "axis")
        keep = builtins.bool(resolve_alias(op, keepdim, keepdims, "keepdim", "keepdims", False))
        if self.data.size == 0:
            raise ArgumentError(f"{op}: cannot take the {op} of an empty tensor of shape "
                             f"{shape_str(self.shape)}")
        if dim is None:
            index = np.asarray(find(self.data))
            return Tensor._wrap(index.reshape((1,) * self.ndim) if keep else index)
        d = normalize_dim(op, dim, self.ndim)
        if self.ndim == 0:
            return Tensor._wrap(np.zeros((), dtype=np.int64))
        return Tensor._wrap(np.asarray(find(self.data, axis=d, keepdims=keep)))

    def argmax(self, dim: Any = None, keepdim: _bool = False, *, axis: Any = None,
               keepdims: _bool | None = None) -> Tensor:
        """Index of the (first) maximum, over the flattened tensor or along `dim` (int64, no
        gradient)."""
        return self._arg("argmax", np.argmax, dim, keepdim, axis, keepdims)

    def argmin(self, dim: Any = None, keepdim: _bool = False, *, axis: Any = None,
               keepdims: _bool | None = None) -> Tensor:
        """Index of the (first) minimum, over the flattened tensor or along `dim`."""
        return self._arg("argmin", np.argmin, dim, keepdim, axis, keepdims)

    def var(self, dim: Any = None, unbiased: _bool | None = None, keepdim: _bool = False, *,
            correction: _float | None = None, axis: Any = None, keepdims: _bool | None = None) -> Tensor:
        """Σ (x − mean)² / (n − correction) over `dim`; correction 1 (Bessel's, the default)
        or `unbiased=False` for 0. Composite: mean, sub, mul, sum, mul."""
        if isinstance(dim, builtins.bool):          # var(unbiased) positional form
            dim, unbiased = None, dim
        axes, keep = self._dims("var", dim, axis, keepdim, keepdims)
        if unbiased is not None and correction is not None:
            raise TypeError("var: pass either unbiased= or correction=, not both")
        c = correction if correction is not None else (1 if unbiased is None or unbiased else 0)
        n = int(np.prod([self.shape[a] for a in axes]))
        x = self._floating()
        centred = x - x.mean(axes, keepdim=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.asarray(1.0 / (n - c) if n - c > 0 else np.inf, dtype=x.dtype)
            return (centred * centred).sum(axes, keepdim=keep) * Tensor._wrap(scale)

    def std(self, dim: Any = None, unbiased: _bool | None = None, keepdim: _bool = False, *,
            correction: _float | None = None, axis: Any = None, keepdims: _bool | None = None) -> Tensor:
        """√var (see var)."""
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis,
                        keepdims=keepdims).sqrt()

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: _bool = False) -> Tensor:
        """The vector p-norm over `dim` (all elements by default): (Σ|x|ᵖ)^(1/p); p = 2 / 'fro'
        is √Σx², p = inf the largest |x|, p = 1 Σ|x|. Composite of the elementwise ops."""
        dims = dim if dim is not None else tuple(range(self.ndim))   # all elements
        if p in ("fro", 2, 2.0):
            return (self * self).sum(dims, keepdim=keepdim).sqrt()
        if p in (np.inf, "inf", builtins.float("inf")):
            return self.abs().amax(dims, keepdim=keepdim)
        if p in (1, 1.0):
            return self.abs().sum(dims, keepdim=keepdim)
        if isinstance(p, (builtins.int, builtins.float)) and p > 0:
            return (self.abs() ** p).sum(dims, keepdim=keepdim) ** (1.0 / p)
        raise ArgumentError(f"norm: p must be 'fro', a positive number or inf, got {p!r}")

    def logsumexp(self, dim: Any, keepdim: _bool = False) -> Tensor:
        """log Σ exp(x) over `dim`, computed as m + log Σ exp(x − m) with m the largest finite
        element (0 if none) held constant (composite: its VJP is softmax(x) ∘ δ; where a slice
        holds +inf, exp(x − m) of its finite elements stays finite, so their δ is 0, as PyTorch)."""
        axes = normalize_dims("logsumexp", dim, self.ndim)
        x = self._floating()
        finite = np.where(np.isfinite(x.data), x.data, -np.inf)
        m = np.max(finite, axis=axes, keepdims=True) if x.data.size else np.zeros(())
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
        out = (x - Tensor._wrap(m)).exp().sum(axes, keepdim=True).log() + Tensor._wrap(m)
        return out if keepdim else out.squeeze(axes)

    def prod(self, dim: _int | None = None, keepdim: _bool = False, dtype: Any = None) -> Tensor:
        """Product over `dim` (all elements by default), as a chain of muls along dim
        (composite; exact at zeros, where x·Π/x would divide by 0). In `dtype` if given, else
        integer and bool tensors multiply as int64, as PyTorch."""
        if dtype is not None or self.dtype.kind in "biu":
            x = self.to(dtype) if dtype is not None else self._cast(np.dtype(np.int64))
            return x._prod(dim, keepdim)
        return self._prod(dim, keepdim)

    def _prod(self, dim: _int | None, keepdim: _bool) -> Tensor:
        if dim is None:
            return self.reshape(-1)._prod(0, False)
        d = normalize_dim("prod", dim, self.ndim)
        if self.ndim == 0:
            return self
        out = self.select(d, 0) if self.shape[d] else Tensor._wrap(
            np.ones(self.shape[:d] + self.shape[d + 1:], dtype=self.dtype))
        for i in range(1, self.shape[d]):
            out = out * self.select(d, i)
        return out.unsqueeze(d) if keepdim else out

    # -- shape ----------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        return ops.Reshape.apply(self, shape=shape_args("reshape", shape))

    def view(self, *shape: Any) -> Tensor:
        """reshape (the data are NumPy arrays: no contiguity requirement)."""
        return ops.Reshape.apply(self, shape=shape_args("view", shape))

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    view_as = reshape_as

    def flatten(self, start_dim: _int = 0, end_dim: _int = -1) -> Tensor:
        """Merge the dims start_dim..end_dim into one (all of them by default)."""
        if self.ndim == 0:
            normalize_dim("flatten", start_dim, 0)
            normalize_dim("flatten", end_dim, 0)
            return self.reshape(1)
        s = normalize_dim("flatten", start_dim, self.ndim)
        e = normalize_dim("flatten", end_dim, self.ndim)
        if s > e:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a "
                             f"tensor of shape {shape_str(self.shape)}")
        return self.reshape(self.shape[:s] + (math.prod(self.shape[s:e + 1]),) + self.shape[e + 1:])

    def unflatten(self, dim: _int, sizes: tuple[_int, ...]) -> Tensor:
        d = normalize_dim("unflatten", dim, self.ndim)
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1:])

    def squeeze(self, dim: Any = None) -> Tensor:
        """Drop size-1 dims (all, or those in `dim` that have size 1)."""
        axes = normalize_dims("squeeze", dim, self.ndim)
        drop = {a for a in axes if self.shape[a] == 1}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in drop))

    def unsqueeze(self, dim: _int) -> Tensor:
        """A new size-1 dim at `dim` (−ndim−1 ≤ dim ≤ ndim)."""
        d = normalize_dim("unsqueeze", dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims: Any) -> Tensor:
        dims = shape_args("permute", dims) if dims else dims
        if len(dims) != self.ndim:
            raise ShapeError(f"permute: dims {tuple(dims)} are not a permutation of the "
                             f"{self.ndim} axes of a tensor of shape {shape_str(self.shape)}")
        axes = tuple(normalize_dim("permute", d, self.ndim) for d in dims) if self.ndim else ()
        return ops.Permute.apply(self, dims=axes)

    def transpose(self, dim0: _int, dim1: _int) -> Tensor:
        """Swap two dims (PyTorch's transpose; `permute` reorders all of them)."""
        if self.ndim == 0:
            normalize_dim("transpose", dim0, 0)
            normalize_dim("transpose", dim1, 0)
            return self
        a = normalize_dim("transpose", dim0, self.ndim)
        b = normalize_dim("transpose", dim1, self.ndim)
        dims = list(range(self.ndim))
        dims[a], dims[b] = b, a
        return ops.Permute.apply(self, dims=tuple(dims))

    swapaxes = swapdims = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ShapeError(f"t: expects a tensor with <= 2 dims, got shape {shape_str(self.shape)}")
        return self.transpose(0, -1) if self.ndim == 2 else self

    @property
    def T(self) -> Tensor:
        """All dims reversed."""
        return ops.Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped (a batch of matrices transposed)."""
        if self.ndim < 2:
            raise ShapeError(f"mT: expects a tensor with >= 2 dims, got shape {shape_str(self.shape)}")
        return self.transpose(-2, -1)

    def expand(self, *sizes: Any) -> Tensor:
        """A broadcast view to `sizes` (−1 keeps a dim); only size-1 dims grow."""
        return ops.Expand.apply(self, shape=check_expand(self.shape, shape_args("expand", sizes)))

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def broadcast_to(self, shape: tuple[_int, ...]) -> Tensor:
        return self.expand(shape)

    def flip(self, *dims: Any, **kwargs: Any) -> Tensor:
        """Reverse the order along `dims` (varargs, a list, or dims=)."""
        if "dims" in kwargs:
            dims = (kwargs.pop("dims"),)
        if kwargs or not dims:
            raise TypeError(f"flip: expected flip(dims) with a list of dims, got {dims} {kwargs}")
        dims = (dims[0],) if len(dims) == 1 and isinstance(dims[0], (builtins.int, np.integer)) else dims
        axes = normalize_dims("flip", shape_args("flip", dims), self.ndim)
        return ops.Flip.apply(self, dims=axes)

    def select(self, dim: _int, index: _int) -> Tensor:
        d = normalize_dim("select", dim, self.ndim, scalar_dims=False)
        if not -self.shape[d] <= index < self.shape[d]:
            raise DimensionError(f"select: index {index} is out of range for dim {dim} of size "
                                 f"{self.shape[d]}")
        return self[(slice(None),) * d + (index,)]

    def split(self, split_size_or_sections: Any, dim: _int = 0) -> tuple[Tensor, ...]:
        """Pieces of `split_size` along dim (the last may be smaller), or of the listed sizes."""
        d = normalize_dim("split", dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size_or_sections, (builtins.int, np.integer)):
            step = builtins.int(split_size_or_sections)
            if step <= 0:
                raise ArgumentError(f"split: split_size must be positive, got {step}")
            sizes = [builtins.min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if builtins.sum(sizes) != n:
                raise ShapeError(f"split: sizes {sizes} add up to {builtins.sum(sizes)}, but dim "
                                 f"{dim} has size {n}")
        starts = np.cumsum([0] + sizes[:-1])
        return tuple(self[(slice(None),) * d + (slice(s, s + k),)] for s, k in zip(starts, sizes))

    def chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        d = normalize_dim("chunk", dim, self.ndim)
        return self.split(builtins.max(1, -(-self.shape[d] // chunks)), d)

    def clone(self) -> Tensor:
        """A copy that stays in the graph (δ passes through unchanged)."""
        return ops.Clone.apply(self)

    def contiguous(self) -> Tensor:
        return self

    def __getitem__(self, index: Any) -> Tensor:
        index = _plain_index(index)
        try:
            return ops.GetItem.apply(self, index=index)
        except IndexError as err:
            raise DimensionError(f"getitem: index {index!r} does not fit a tensor of shape "
                                 f"{shape_str(self.shape)} ({err})") from None

    # -- in-place operations: allowed under no_grad or on tensors that do not require grad ------
    def _check_inplace(self, op: str) -> None:
        if not autograd.is_grad_enabled() or not self.requires_grad:
            return
        if self.grad_fn is None:
            raise RuntimeError(f"{op}: a leaf tensor that requires grad (shape "
                               f"{shape_str(self.shape)}) is being used in an in-place operation; "
                               "update it inside `with no_grad():` or assign to .data")
        raise RuntimeError(f"{op}: in-place operations on a tensor that is part of the graph "
                           f"(grad_fn={self.grad_fn.op}, shape {shape_str(self.shape)}) are not "
                           "supported; use the out-of-place op (x = x + y) instead")

    def _write(self, op: str, value: Any, index: Any = Ellipsis) -> Tensor:
        """self[index] = value, in place: the same array, its version bumped (so a node that
        saved this tensor refuses to run backward on stale values)."""
        self._check_inplace(op)
        if isinstance(value, Tensor) and value.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError(f"{op}: writing a tensor that requires grad into another tensor in "
                               "place is not recorded; use out-of-place ops or no_grad()")
        new = np.asarray(getattr(value, "data", value))
        target = self.data[index] if index is not Ellipsis else self.data
        if np.broadcast_shapes(np.shape(target), new.shape) != np.shape(target):
            raise RuntimeError(f"{op}: a value of shape {shape_str(new.shape)} does not broadcast "
                               f"to the written shape {shape_str(np.shape(target))}")
        if not self.data.flags.writeable:
            raise RuntimeError(f"{op}: this tensor's memory is shared read-only (e.g. made by "
                               "expand); clone() it first")
        self.data[index] = new
        self._version += 1
        return self

    def _inplace(self, op: str, result: Callable[[], Tensor]) -> Tensor:
        self._check_inplace(op)
        with autograd.no_grad():
            value = result()
        if not dtypes.can_cast(value.dtype, self.dtype):
            raise DtypeError(f"{op}: result type {value.dtype} can't be cast to the desired output "
                             f"type {self.dtype}")
        return self._write(op, value)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._write("__setitem__", value, _plain_index(index))

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace("add_", lambda: self + other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace("sub_", lambda: self - other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace("mul_", lambda: self * other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace("div_", lambda: self / other)

    def __ipow__(self, other: Any) -> Tensor:
        return self._inplace("pow_", lambda: self ** other)

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        return self._inplace("add_", lambda: self.add(other, alpha=alpha))

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        return self._inplace("sub_", lambda: self.sub(other, alpha=alpha))

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", lambda: self * other)

    def div_(self, other: Any) -> Tensor:
        return self._inplace("div_", lambda: self / other)

    def pow_(self, exponent: Any) -> Tensor:
        return self._inplace("pow_", lambda: self ** exponent)

    def neg_(self) -> Tensor:
        return self._inplace("neg_", lambda: -self)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return self._inplace("clamp_", lambda: self.clamp(min, max))

    clip_ = clamp_

    def zero_(self) -> Tensor:
        return self._write("zero_", np.zeros((), dtype=self.dtype))

    def fill_(self, value: Any) -> Tensor:
        return self._write("fill_", dtypes.number_array("fill_", getattr(value, "data", value), self.dtype))

    def copy_(self, src: Any) -> Tensor:
        return self._write("copy_", np.asarray(getattr(src, "data", src)).astype(self.dtype))

    def uniform_(self, a: _float = 0.0, b: _float = 1.0, generator: Any = None) -> Tensor:
        from .random import rng

        return self._write("uniform_", rng(generator).uniform(a, b, self.shape).astype(self.dtype))

    def normal_(self, mean: _float = 0.0, std: _float = 1.0, generator: Any = None) -> Tensor:
        from .random import rng

        return self._write("normal_", rng(generator).normal(mean, std, self.shape).astype(self.dtype))

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: _bool = False) -> Tensor:
        """A new leaf from `data`, in this tensor's dtype unless given."""
        return Tensor(data, requires_grad=requires_grad, dtype=dtype if dtype is not None else self.dtype)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None,
                 requires_grad: _bool = False) -> Tensor:
        d = dtypes.as_dtype(dtype) if dtype is not None else self.dtype
        value = dtypes.number_array("new_full", fill_value, d)
        return Tensor(np.full(shape_args("new_full", (size,)), value), requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: _bool = False) -> Tensor:
        return self.new_full(shape_args("new_zeros", size), 0, dtype, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: _bool = False) -> Tensor:
        return self.new_full(shape_args("new_ones", size), 1, dtype, requires_grad)

    new_empty = new_zeros

    # -- factories (kept on the class; the module-level ones are in tinygrad_cnn.creation) ------
    @staticmethod
    def zeros(*shape: Any, requires_grad: _bool = False, dtype: Any = np.float32) -> Tensor:
        return Tensor(np.zeros(shape_args("zeros", shape), dtype=dtypes.as_dtype(dtype)),
                      requires_grad=requires_grad)

    @staticmethod
    def ones(*shape: Any, requires_grad: _bool = False, dtype: Any = np.float32) -> Tensor:
        return Tensor(np.ones(shape_args("ones", shape), dtype=dtypes.as_dtype(dtype)),
                      requires_grad=requires_grad)

    @staticmethod
    def randn(*shape: Any, requires_grad: _bool = False, dtype: Any = np.float32,
              seed: _int | None = None) -> Tensor:
        """Standard normal samples (pass `seed` for reproducible values; without it the
        module's generator, seeded by `manual_seed`, is used)."""
        from .random import rng

        gen = np.random.default_rng(seed) if seed is not None else rng(None)
        data = gen.standard_normal(shape_args("randn", shape)).astype(dtypes.as_dtype(dtype))
        return Tensor(data, requires_grad=requires_grad)


def _no_bool_subtraction(a: Tensor, b: Any) -> None:
    """PyTorch refuses − with a bool tensor or a Python bool operand (it is never what a mask
    inversion needs; a list is a tensor here). A NumPy bool array or scalar beside a non-bool
    tensor counts as 0/1, as in PyTorch (which hands it to NumPy); beside a bool tensor it is
    refused as the second bool (NumPy refuses bool − bool too, with a TypeError)."""
    if isinstance(b, (Tensor, list, tuple)):
        b_bool = np.asarray(b.data if isinstance(b, Tensor) else b).dtype == np.bool_
    else:
        b_bool = isinstance(b, builtins.bool)
    if a.dtype == np.bool_ and (b_bool or getattr(b, "dtype", None) == np.bool_):
        raise DtypeError("sub: subtraction, the `-` operator, with two bool tensors is not "
                         "supported; use `^` or logical_xor() instead")
    if a.dtype == np.bool_ or b_bool:
        raise DtypeError("sub: subtraction, the `-` operator, with a bool tensor is not "
                         "supported; use `~` or logical_not() to invert a mask")


def _plain_index(index: Any) -> Any:
    """An index with Tensors replaced by their arrays (NumPy indexing semantics = PyTorch's)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray([i.item() if isinstance(i, Tensor) else i for i in index])
    return index


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002 (PyTorch's name)
    """`input` where `condition` holds, else `other` (broadcast; dtype promoted)."""
    cond = np.asarray(getattr(condition, "data", condition))
    if cond.dtype != np.bool_:
        raise DtypeError(f"where: expected a boolean condition, got {cond.dtype}")
    a = input if isinstance(input, Tensor) else Tensor._wrap(
        np.asarray(input, dtype=dtypes.result_type(input)))
    a, b = a._operands(other)
    if not isinstance(input, Tensor):
        a = a._cast(b.dtype)
    return ops.Where.apply(a, b, condition=cond)
