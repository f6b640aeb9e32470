"""The autograd engine: graph nodes (`Function`), the graph walk (`backward`) and `no_grad`.

Every op is a `Function` subclass whose `forward` and `backward` stand side by side. Calling
`Op.apply(*inputs, **attrs)` runs `forward` on the input arrays and, when gradients are wanted,
records the `Function` instance as the output tensor's `grad_fn`: that instance *is* the graph
node. `backward(root)` then walks the recorded DAG in reverse topological order, iteratively,
and hands each node the sensitivity map δ = ∂E/∂(its output); the node's `backward` returns
δ for each of its inputs (its vector-Jacobian product).
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .formatting import attrs_str, shape_str

if TYPE_CHECKING:
    from .tensor import Tensor

_grad_enabled = True
_module_path: str | None = None   # the innermost named Module running its forward (for drawings)


def is_grad_enabled() -> bool:
    """True unless inside a `no_grad()` block."""
    return _grad_enabled


def enter_module(path: str | None) -> str | None:
    """Record the nodes made from now on as made inside the module at `path` (`Module.__call__`
    calls this around its forward, so drawings can box a layer's ops); returns the previous
    path, to pass back when the forward returns."""
    global _module_path
    previous, _module_path = _module_path, path
    return previous


class _GradMode:
    """A context manager (and decorator) that sets the recording mode inside and restores the
    previous one on exit."""

    _mode: bool = True

    def __enter__(self) -> _GradMode:
        global _grad_enabled
        self._previous, _grad_enabled = _grad_enabled, self._mode
        return self

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _Mode(mode):
                return fn(*args, **kwargs)

        return wrapper


class _Mode(_GradMode):
    def __init__(self, mode: bool):
        self._mode = bool(mode)


class no_grad(_GradMode):
    """Context manager (and decorator): nothing computed inside is recorded for backward."""

    _mode = False


class enable_grad(_GradMode):
    """Context manager (and decorator): record again, e.g. inside a `no_grad` block."""

    _mode = True


class inference_mode(_GradMode):
    """PyTorch's inference_mode: here the same as no_grad (mode=False records)."""

    def __init__(self, mode: bool = True):
        self._mode = not mode


class set_grad_enabled(_GradMode):
    """`set_grad_enabled(False)` turns recording off at once; used as a context manager (or
    decorator) it restores the previous mode on exit."""

    def __init__(self, mode: bool):
        global _grad_enabled
        self._mode = bool(mode)
        self._previous, _grad_enabled = _grad_enabled, self._mode

    def __enter__(self) -> set_grad_enabled:
        return self


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
        self.needs_input_grad = tuple([t.requires_grad for t in inputs])
        self.output_shape: tuple[int, ...] = ()
        self.output_dtype: np.dtype | None = None
        self.grad_norm: float | None = None
        self.released = False
        self.versions: tuple[int, ...] = ()
        self.module: str | None = None   # path of the Module whose forward made it (`c1`, `s2`)
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
    def check(self, *arrays: np.ndarray, **attrs: Any) -> None:
        """Validate the inputs before `forward` (raise with the op, the shapes, what was expected).

        Ops override this, so that `forward` and `backward` are the formula and nothing else.
        """

    @classmethod
    def apply(cls, *inputs: Any, **attrs: Any) -> Tensor:
        """Check, run the op on Tensors (or arrays / Python numbers) and record it in the graph.

        The output is recorded (gets this node as `grad_fn`) when gradients are enabled, some
        input requires grad and the output is floating point (integer and boolean results, such
        as comparisons or argmax, carry no gradient).
        """
        Tensor = _tensor_class()
        tensors = tuple([x if isinstance(x, Tensor) else Tensor(x) for x in inputs])
        node = cls(tensors, attrs)
        arrays = tuple([np.asarray(t._data) for t in tensors])  # plain arrays, also for leaves
        node.check(*arrays, **attrs)
        data = np.asarray(node.forward(*arrays, **attrs))
        record = _grad_enabled and any(node.needs_input_grad) and data.dtype.kind == "f"
        out = Tensor._wrap(data, requires_grad=record, grad_fn=node if record else None)
        node.output_shape, node.output_dtype = data.shape, data.dtype
        if record:
            node.versions = tuple([t._version for t in tensors])
            node.module = _module_path
        else:
            node.release()
        return out

    def vjp(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        """Call `backward` and check what it returns: one gradient per input, of its shape."""
        self._check_not_released()
        self._check_inputs_unmodified()
        grads = self.backward(grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != len(self.inputs):
            raise RuntimeError(f"{self.op}.backward returned {len(grads)} gradients for "
                               f"{len(self.inputs)} inputs; expected one per input (None if none)")
        for i, (g, t) in enumerate(zip(grads, self.inputs)):
            if g is not None and self.needs_input_grad[i] and np.shape(g) != t.shape:
                raise RuntimeError(f"{self.op}.backward returned a gradient of shape "
                                   f"{shape_str(np.shape(g))} for input {i} of shape "
                                   f"{shape_str(t.shape)}; expected the input's shape")
        return grads

    def _check_inputs_unmodified(self) -> None:
        for i, (t, version) in enumerate(zip(self.inputs, self.versions)):
            if t._version != version:
                raise RuntimeError(
                    f"backward: input {i} (shape {shape_str(t.shape)}) of op '{self.op}' was "
                    f"modified by an in-place operation after the op used it (version {version} "
                    f"→ {t._version}); the gradient would be wrong. Use an out-of-place op "
                    "(x = x + y) or clone() it first")

    @property
    def next_functions(self) -> tuple[tuple[Function | AccumulateGrad | None, int], ...]:
        """PyTorch's view of the graph: for each input, (its grad_fn, 0); a leaf that requires
        grad appears as an `AccumulateGrad` node, an input without grad as (None, 0)."""
        return tuple(((t.grad_fn if t.grad_fn is not None else AccumulateGrad(t))
                      if t.requires_grad else None, 0) for t in self.inputs)

    def name(self) -> str:
        """PyTorch-style node name, e.g. 'MulBackward0'."""
        return f"{type(self).__name__}Backward0"

    # -- inspection -----------------------------------------------------------------------------
    @property
    def formula(self) -> str:
        """The VJP formula: the first paragraph of `backward`'s docstring."""
        doc = inspect.getdoc(self.backward) or ""
        return doc.split("\n\n")[0].strip()

    def __repr__(self) -> str:
        attrs = attrs_str(self.attrs)
        ins = ", ".join(shape_str(t.shape) for t in self.inputs)
        return f"{self.op}({ins}{'; ' + attrs if attrs else ''}) -> {shape_str(self.output_shape)}"


_TENSOR: Any = None


def _tensor_class() -> Any:
    """`tensor.Tensor`, imported on first use (tensor.py imports this module)."""
    global _TENSOR
    if _TENSOR is None:
        from .tensor import Tensor

        _TENSOR = Tensor
    return _TENSOR


class AccumulateGrad:
    """The node PyTorch shows for a leaf that requires grad: backward adds δ into
    `variable.grad`."""

    op = "accumulate_grad"

    def __init__(self, variable: Tensor):
        self.variable = variable
        self.next_functions: tuple = ()

    def name(self) -> str:
        return "AccumulateGrad"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)

    def __repr__(self) -> str:
        return f"AccumulateGrad({shape_str(self.variable.shape)})"


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
        node = tensor.grad_fn
        if node is not None:
            for t in reversed(node.inputs):
                if id(t) not in visited:
                    stack.append((t, False))
    return order


class Graph:
    """The recorded DAG behind a tensor: `tensors` and op `nodes`, both in topological order.

    `str(graph)` lists it one line per tensor, e.g. `%3 = conv2d(%0, %1, %2; stride=1) (64, 6, 28, 28)`.
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
                lines.append(f"%{i} = leaf{label} {shape_str(t.shape)} {t.dtype}"
                             f"{' requires_grad' if t.requires_grad else ''}")
            else:
                node = t.grad_fn
                args = ", ".join(f"%{index[id(x)]}" for x in node.inputs)
                attrs = attrs_str(node.attrs)
                lines.append(f"%{i} = {node.op}({args}{'; ' + attrs if attrs else ''}){label} "
                             f"{shape_str(t.shape)}")
        return "\n".join(lines)


StepHook = Callable[[Function, np.ndarray, Sequence[np.ndarray | None]], None]


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False,
             on_step: StepHook | None = None) -> None:
    """Propagate δ from `root` to every tensor that requires grad, in reverse topological order.

    Leaf tensors (and tensors that called `retain_grad()`) accumulate δ into `.grad`. Each node's
    `grad_norm` records ‖δ‖ of its output. `on_step(node, δ_out, δ_inputs)` is called after each
    VJP (used by `explain`). Unless `retain_graph`, saved arrays are released as the walk goes.
    """
    _propagate(root, _initial_grad(root, grad), retain_graph, on_step, capture=None)


def _propagate(root: Tensor, grad: np.ndarray, retain_graph: bool, on_step: StepHook | None,
               capture: dict[int, np.ndarray | None] | None) -> None:
    """The walk: δ of each tensor is complete when it is reached in reverse topological order.
    Without `capture`, leaves accumulate δ into .grad; with it, the δ of the captured tensors
    (keyed by id) is stored there instead and no .grad changes."""
    pending: dict[int, np.ndarray] = {id(root): grad}
    for tensor in reversed(topological_order(root)):
        delta = pending.pop(id(tensor), None)
        if delta is None:
            continue
        if tensor.hooks:
            delta = _run_hooks(tensor, delta)
        if capture is not None:
            if id(tensor) in capture:
                capture[id(tensor)] = np.array(delta, dtype=tensor.dtype)
        elif tensor.grad_fn is None or tensor.retains_grad:
            _accumulate(tensor, delta)
        node = tensor.grad_fn
        if node is None:
            continue
        input_grads = node.vjp(delta)
        node.grad_norm = float(np.sqrt(np.vdot(delta, delta).real))
        if on_step is not None:
            on_step(node, delta, input_grads)
        for inp, g in zip(node.inputs, input_grads):   # fan-out: δ from every use adds up
            if g is not None and inp.requires_grad:
                key = id(inp)
                pending[key] = g if key not in pending else pending[key] + g
        if not retain_graph:
            node.release()


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None) -> tuple[Any, ...]:
    """∂outputs/∂inputs as a tuple of Tensors (PyTorch's torch.autograd.grad), without touching
    any `.grad`. An input the outputs do not depend on gives None with allow_unused=True."""
    Tensor = _tensor_class()
    if create_graph:
        raise NotImplementedError("grad(create_graph=True): higher-order gradients are not "
                                  "supported; gradients are NumPy arrays, not graphs")
    single = isinstance(inputs, Tensor)
    ins = (inputs,) if single else tuple(inputs)
    outs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = (grad_outputs,) * len(outs) if grad_outputs is None else (grad_outputs,)
    if len(grad_outputs) != len(outs):
        raise ValueError(f"grad: {len(grad_outputs)} grad_outputs given for {len(outs)} outputs")
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad; every input must be a "
                               "tensor with requires_grad=True")
    totals: dict[int, np.ndarray | None] = {id(t): None for t in ins}
    for out, g in zip(outs, grad_outputs):
        capture: dict[int, np.ndarray | None] = {id(t): None for t in ins}
        _propagate(out, _initial_grad(out, g), bool(retain_graph) or len(outs) > 1, None, capture)
        for key, value in capture.items():
            if value is not None:
                prev = totals[key]
                totals[key] = value if prev is None else prev + value
    result = []
    for i, t in enumerate(ins):
        value = totals[id(t)]
        if value is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} (shape {shape_str(t.shape)}) was not used to "
                               "compute the outputs; pass allow_unused=True to get None for it")
        result.append(None if value is None else Tensor._wrap(value))
    return tuple(result)


def _initial_grad(root: Tensor, grad: Any) -> np.ndarray:
    """δ of the root: 1 for a scalar, else the given array (of the root's shape)."""
    if not root.requires_grad:
        raise RuntimeError(f"backward: tensor of shape {shape_str(root.shape)} does not require "
                           "grad and has no grad_fn; create the leaves with requires_grad=True")
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(f"backward: grad can be implied only for a scalar output, got shape "
                               f"{shape_str(root.shape)}; pass backward(grad=...) of that shape "
                               "or reduce to a scalar (e.g. .sum()) first")
        return np.ones_like(root.data)
    grad = np.asarray(getattr(grad, "data", grad), dtype=root.dtype)
    if grad.shape != root.shape:
        raise ValueError(f"backward: grad of shape {shape_str(grad.shape)} given for a tensor of "
                         f"shape {shape_str(root.shape)}; expected the same shape")
    return grad


def _run_hooks(tensor: Tensor, delta: np.ndarray) -> np.ndarray:
    """Each hook sees δ; a hook that returns an array replaces it."""
    for hook in tensor.hooks.values():
        replaced = hook(delta)
        delta = delta if replaced is None else np.asarray(getattr(replaced, "data", replaced))
    return delta


def _accumulate(tensor: Tensor, delta: np.ndarray) -> None:
    """.grad += δ (a fresh array in the tensor's dtype: never an alias of an op's array)."""
    delta_copy = np.array(delta, dtype=tensor.dtype)
    tensor.grad = delta_copy if tensor.grad is None else tensor.grad + delta_copy
