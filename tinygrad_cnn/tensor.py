"""`Tensor`: a numpy array that remembers the op that made it, so that `backward()` can run."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import autograd, ops


def _default_array(data: Any, dtype: Any) -> np.ndarray:
    """A copy of `data`; Python floats become float32 (the training default), ints int64."""
    if dtype is not None:
        return np.array(data, dtype=dtype)
    if isinstance(data, np.ndarray):
        return data.copy()
    arr = np.array(data)
    if arr.dtype == np.float64:
        return arr.astype(np.float32)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    return arr


class Tensor:
    """An n-dimensional array with reverse-mode autodiff.

    `Tensor(data, requires_grad=False, dtype=None)` copies `data`. A numpy array keeps its dtype;
    Python floats become float32 and Python ints int64. Every op on a tensor that requires grad
    records a node (`grad_fn`); `backward()` fills `.grad` of the leaves.
    """

    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        if isinstance(data, Tensor):
            data = data.data
        self.data: np.ndarray = _default_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.grad_fn: autograd.Function | None = None
        self.name: str | None = None  # shown in graphs; nn.Module names its parameters
        self.hooks: list[Callable[[np.ndarray], np.ndarray | None]] = []
        self.retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data: np.ndarray, requires_grad: bool = False,
              grad_fn: autograd.Function | None = None) -> Tensor:
        """An op's output: wraps the array without copying."""
        t = cls.__new__(cls)
        t.data, t.grad, t.grad_fn, t.name = data, None, grad_fn, None
        t.hooks, t.retains_grad, t.requires_grad = [], False, requires_grad
        return t

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and self.data.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating-point tensors can require grad; this one is "
                            f"{self.data.dtype} with shape {self.shape}")
        self.requires_grad = flag
        return self

    # -- properties -----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> float | int:
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number, "
                             f"got shape {self.shape}")
        return self.data.item()

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._wrap(self.data)

    def astype(self, dtype: Any) -> Tensor:
        """A copy in another dtype, cut from the graph (e.g. float64 for a gradient check)."""
        return Tensor(self.data, requires_grad=self.requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        extra = f", grad_fn={self.grad_fn.op}" if self.grad_fn else (
            ", requires_grad=True" if self.requires_grad else "")
        name = f", name={self.name!r}" if self.name else ""
        return f"Tensor({np.array2string(self.data, precision=4, threshold=20)}, dtype={self.dtype}{extra}{name})"

    # -- autograd -------------------------------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Fill `.grad` of every leaf this tensor depends on (see `autograd.backward`)."""
        autograd.backward(self, grad, retain_graph=retain_graph)

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's δ in `.grad` after backward (a sensitivity map)."""
        self.retains_grad = True
        return self

    def register_hook(self, hook: Callable[[np.ndarray], np.ndarray | None]) -> None:
        """Call `hook(δ)` when this tensor's gradient is computed; a returned array replaces δ."""
        self.hooks.append(hook)

    def graph(self) -> autograd.Graph:
        """The recorded DAG behind this tensor, in topological order (printable)."""
        return autograd.Graph(self)

    # -- operators (numpy broadcasting; Python numbers take this tensor's dtype) ---------------
    def _operand(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Tensor._wrap(np.asarray(other, dtype=self.dtype if self.dtype.kind == "f" else None))
        return Tensor(other)

    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(self, self._operand(other))

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(self._operand(other), self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self, self._operand(other))

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self._operand(other), self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self, self._operand(other))

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self._operand(other), self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self, self._operand(other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self._operand(other), self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(self, self._operand(other))

    def __rpow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(self._operand(other), self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self, self._operand(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self._operand(other), self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, Tensor):
            index = index.data
        return ops.GetItem.apply(self, index=index)

    # -- methods --------------------------------------------------------------------------------
    def matmul(self, other: Any) -> Tensor:
        return self @ other

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: int | None = None) -> Tensor:
        """Indices of the maxima (an integer tensor, not differentiable)."""
        return Tensor._wrap(np.argmax(self.data, axis=axis))

    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape.apply(self, shape=tuple(shape))

    def flatten(self, start_dim: int = 1) -> Tensor:
        """Merge the axes from `start_dim` on (default keeps the batch axis)."""
        start = start_dim % self.ndim if self.ndim else 0
        return self.reshape(*self.shape[:start], -1)

    def transpose(self, *axes: int) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops.Transpose.apply(self, axes=tuple(axes) or tuple(reversed(range(self.ndim))))

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def relu(self) -> Tensor:
        return ops.ReLU.apply(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self)

    def softmax(self, axis: int = -1) -> Tensor:
        return ops.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return ops.LogSoftmax.apply(self, axis=axis)

    # -- factories ------------------------------------------------------------------------------
    @staticmethod
    def zeros(*shape: int, requires_grad: bool = False, dtype: Any = np.float32) -> Tensor:
        return Tensor(np.zeros(shape, dtype=dtype), requires_grad=requires_grad)

    @staticmethod
    def ones(*shape: int, requires_grad: bool = False, dtype: Any = np.float32) -> Tensor:
        return Tensor(np.ones(shape, dtype=dtype), requires_grad=requires_grad)

    @staticmethod
    def randn(*shape: int, requires_grad: bool = False, dtype: Any = np.float32,
              seed: int | None = None) -> Tensor:
        """Standard normal samples (pass `seed` for reproducible values)."""
        data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
        return Tensor(data, requires_grad=requires_grad)
