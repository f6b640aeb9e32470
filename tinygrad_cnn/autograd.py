"""The autograd engine: graph nodes (`Function`), the graph walk (`backward`) and `no_grad`.

Every op is a `Function` subclass whose `forward` and `backward` stand side by side. Calling
`Op.apply(*inputs, **attrs)` runs `forward` on the input arrays and, when gradients are wanted,
records the `Function` instance as the output tensor's `grad_fn`: that instance *is* the graph
node. `backward(root)` then walks the recorded DAG in reverse topological order, iteratively,
and hands each node the sensitivity map δ = ∂E/∂(its output); the node's `backward` returns
δ for each of its inputs (its vector-Jacobian product).
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside a `no_grad()` block."""
    return _grad_enabled


class no_grad:
    """Context manager (and decorator): nothing computed inside is recorded for backward."""

    def __enter__(self) -> no_grad:
        global _grad_enabled
        self._previous, _grad_enabled = _grad_enabled, False
        return self

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return fn(*args, **kwargs)

        wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
        return wrapper


class Function:
    """One op of the graph, with its forward and its backward (VJP) side by side.

    Subclass it to define an op::

        class Square(Function):
            def forward(self, x):
                self.save_for_backward(x)
                return x * x

            def backward(self, grad):
                '''δx = 2x ∘ δ'''
                (x,) = self.saved_tensors
                return 2 * x * grad

        y = Square.apply(t)

    `forward` receives the inputs' numpy arrays (plus the keyword attributes given to `apply`)
    and returns an array; `backward` receives δ = ∂E/∂output and returns one gradient per input
    (a tuple, or a bare array for a single input; None where an input needs no gradient). The
    first paragraph of `backward`'s docstring is the op's formula, shown by `viz` and `explain`.

    A recorded instance is a graph node with a public structure: `op` (name), `attrs`,
    `inputs` (the input Tensors), `output_shape`, `output_dtype`, `formula`, and after a
    backward `grad_norm` (‖δ‖ of its output).
    """

    op: str = ""  # display name; defaults to the class name in lower case

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("op"):
            cls.op = cls.__name__.lower()

    def __init__(self, inputs: tuple[Tensor, ...], attrs: dict[str, Any]):
        self.inputs = inputs
        self.attrs = attrs
        self.needs_input_grad = tuple(t.requires_grad for t in inputs)
        self.output_shape: tuple[int, ...] = ()
        self.output_dtype: np.dtype | None = None
        self.grad_norm: float | None = None
        self.released = False
        self._saved: tuple = ()

    # -- the op itself: subclasses override these two -------------------------------------------
    def forward(self, *arrays: np.ndarray, **attrs: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.forward is not defined")

    def backward(self, grad: np.ndarray) -> np.ndarray | tuple[np.ndarray | None, ...]:
        raise NotImplementedError(f"{type(self).__name__}.backward is not defined")

    # -- saved state ----------------------------------------------------------------------------
    def save_for_backward(self, *arrays: Any) -> None:
        """Keep what `backward` needs; released after backward unless retain_graph=True."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        self._check_not_released()
        return self._saved

    def _check_not_released(self) -> None:
        if self.released:
            raise RuntimeError(
                f"backward: the graph through op '{self.op}' (output shape {self.output_shape}) "
                "was already released by an earlier backward(); call backward(retain_graph=True) "
                "the first time to backward through the graph a second time")

    def release(self) -> None:
        """Drop the saved arrays (the graph's structure stays, for drawing)."""
        self._saved, self.released = (), True

    # -- graph recording ------------------------------------------------------------------------
    @classmethod
    def apply(cls, *inputs: Any, **attrs: Any) -> Tensor:
        """Run the op on Tensors (or arrays / Python numbers) and record it in the graph."""
        from .tensor import Tensor

        tensors = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
        node = cls(tensors, attrs)
        data = node.forward(*(t.data for t in tensors), **attrs)
        record = _grad_enabled and any(node.needs_input_grad)
        out = Tensor._wrap(np.asarray(data), requires_grad=record, grad_fn=node if record else None)
        node.output_shape, node.output_dtype = out.shape, out.dtype
        return out

    def vjp(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        """Call `backward` and check what it returns: one gradient per input, of its shape."""
        self._check_not_released()
        grads = self.backward(grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != len(self.inputs):
            raise RuntimeError(f"{self.op}.backward returned {len(grads)} gradients for "
                               f"{len(self.inputs)} inputs; expected one per input (None if none)")
        for i, (g, t) in enumerate(zip(grads, self.inputs)):
            if g is not None and self.needs_input_grad[i] and np.shape(g) != t.shape:
                raise RuntimeError(f"{self.op}.backward returned a gradient of shape {np.shape(g)} "
                                   f"for input {i} of shape {t.shape}; expected the input's shape")
        return grads

    # -- inspection -----------------------------------------------------------------------------
    @property
    def formula(self) -> str:
        """The VJP formula: the first paragraph of `backward`'s docstring."""
        doc = inspect.getdoc(self.backward) or ""
        return doc.split("\n\n")[0].strip()

    def __repr__(self) -> str:
        attrs = ", ".join(f"{k}={v!r}" for k, v in self.attrs.items())
        ins = ", ".join(str(t.shape) for t in self.inputs)
        return f"{self.op}({ins}{'; ' + attrs if attrs else ''}) -> {self.output_shape}"


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor the root depends on, inputs before the ops that use them (iterative DFS)."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, children_done = stack.pop()
        if children_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor.grad_fn is not None:
            stack.extend((t, False) for t in reversed(tensor.grad_fn.inputs) if id(t) not in visited)
    return order


class Graph:
    """The recorded DAG behind a tensor: `tensors` and op `nodes`, both in topological order.

    `str(graph)` lists it one line per tensor, e.g. `%3 = conv2d(%0, %1, %2; stride=(1, 1)) (64, 6, 28, 28)`.
    """

    def __init__(self, root: Tensor):
        self.root = root
        self.tensors = topological_order(root)
        self.nodes: list[Function] = [t.grad_fn for t in self.tensors if t.grad_fn is not None]

    def __iter__(self) -> Iterator[Function]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def __str__(self) -> str:
        index = {id(t): i for i, t in enumerate(self.tensors)}
        lines = []
        for i, t in enumerate(self.tensors):
            label = f" {t.name}" if t.name else ""
            if t.grad_fn is None:
                lines.append(f"%{i} = leaf{label} {t.shape} {t.dtype}"
                             f"{' requires_grad' if t.requires_grad else ''}")
            else:
                node = t.grad_fn
                args = ", ".join(f"%{index[id(x)]}" for x in node.inputs)
                attrs = ", ".join(f"{k}={v!r}" for k, v in node.attrs.items())
                lines.append(f"%{i} = {node.op}({args}{'; ' + attrs if attrs else ''}){label} {t.shape}")
        return "\n".join(lines)


StepHook = Callable[[Function, np.ndarray, Sequence[np.ndarray | None]], None]


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False,
             on_step: StepHook | None = None) -> None:
    """Propagate δ from `root` to every tensor that requires grad, in reverse topological order.

    Leaf tensors (and tensors that called `retain_grad()`) accumulate δ into `.grad`. Each node's
    `grad_norm` records ‖δ‖ of its output. `on_step(node, δ_out, δ_inputs)` is called after each
    VJP (used by `explain`). Unless `retain_graph`, saved arrays are released as the walk goes.
    """
    if not root.requires_grad:
        raise RuntimeError(f"backward: tensor of shape {root.shape} does not require grad and has "
                           "no grad_fn; create the leaves with requires_grad=True")
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(f"backward: grad can be implied only for a scalar output, got shape "
                               f"{root.shape}; pass backward(grad=...) of that shape or reduce to a "
                               "scalar (e.g. .sum()) first")
        grad = np.ones_like(root.data)
    else:
        grad = np.asarray(getattr(grad, "data", grad), dtype=root.dtype)
        if grad.shape != root.shape:
            raise ValueError(f"backward: grad of shape {grad.shape} given for a tensor of shape "
                             f"{root.shape}; expected the same shape")

    pending: dict[int, np.ndarray] = {id(root): grad}
    for tensor in reversed(topological_order(root)):
        delta = pending.pop(id(tensor), None)
        if delta is None:
            continue
        for hook in tensor.hooks:
            replaced = hook(delta)
            delta = delta if replaced is None else np.asarray(replaced)
        if tensor.grad_fn is None or tensor.retains_grad:
            delta_copy = np.array(delta, dtype=tensor.dtype)  # never alias an op's array
            tensor.grad = delta_copy if tensor.grad is None else tensor.grad + delta_copy
        node = tensor.grad_fn
        if node is None:
            continue
        input_grads = node.vjp(delta)
        node.grad_norm = float(np.sqrt(np.vdot(delta, delta).real))
        if on_step is not None:
            on_step(node, delta, input_grads)
        for inp, g in zip(node.inputs, input_grads):
            if g is None or not inp.requires_grad:
                continue
            key = id(inp)
            pending[key] = g if key not in pending else pending[key] + g
        if not retain_graph:
            node.release()
