"""What the pictures say about a graph node, without drawing anything: a leaf's name, the
module an op belongs to. Imports numpy only, so `explain` and `import tinygrad_cnn` stay free of
Graphviz and matplotlib."""
from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..tensor import Tensor

# ops without parameters that belong to the layer before them (conv → relu is one block)
FOLLOWER_OPS = ("relu", "sigmoid", "tanh", "reshape", "transpose", "softmax", "log_softmax")
# pooling layers are modules of their own (print(model) lists them: s2, s4, ...)
POOL_OPS = ("max_pool2d", "avg_pool2d", "subsample")
INSTALL_HINT = ("Graphviz's `dot` program was not found on PATH; the pip package `graphviz` only "
                "writes DOT source and needs the system binary to render. Install it with "
                "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
                "`conda install graphviz`; meanwhile `.source` holds the DOT text.")


class GraphvizNotFound(RuntimeError):
    """Rendering needs Graphviz's `dot`, which is not installed."""


def constant_text(t: Tensor) -> str | None:
    """The value of a small constant leaf (≤ 4 numbers), e.g. `1` or `[0.5, 2]`; else None."""
    if t.requires_grad or t.data.size > 4:
        return None
    values = [f"{v:.4g}" if t.dtype.kind == "f" else str(v) for v in t.data.ravel().tolist()]
    return values[0] if t.data.ndim == 0 else "[" + ", ".join(values) + "]"


def leaf_label(t: Tensor) -> str:
    """A leaf's display name: its parameter path, a number's value (`constant 0.5`: a Python
    number in an expression), else what it most likely is (labels, input, tensor)."""
    if t.name:
        return t.name
    if t.ndim == 0 and not t.requires_grad and t.dtype.kind == "f":
        return f"constant {constant_text(t)}"
    if t.dtype.kind in "iub":
        return "labels"
    return "tensor" if t.requires_grad else "input"


def module_of(node: Function) -> str | None:
    """The module path of the named parameters an op consumes: `conv1.weight` → `conv1`."""
    for t in node.inputs:
        if t.grad_fn is None and t.name and "." in t.name:
            return t.name.rsplit(".", 1)[0]
    return None


def assign_modules(nodes: list[Function]) -> dict[int, str | None]:
    """Module of each node (by id), for grouping a layer's ops into one box.

    An op with parameters belongs to their module (`c1.weight` → `c1`); a pooling op to the
    module that recorded it (`node.module`, set by `Module.__call__` where available, e.g. `s2`),
    else to a box of its own named after the op; an activation or reshape to the module of the
    op that fed it, so conv → relu stays together.
    """
    owner: dict[int, str | None] = {}
    pools = 0
    for node in nodes:
        module = module_of(node)
        if module is None and node.op in POOL_OPS:
            pools += 1
            tag = getattr(node, "module", None)
            module = tag if isinstance(tag, str) and tag else f"{node.op} #{pools}"
        elif module is None and node.op in FOLLOWER_OPS:
            producer = node.inputs[0].grad_fn
            module = owner.get(id(producer)) if producer is not None else None
        owner[id(node)] = module
    return owner


def norm(a: np.ndarray) -> float:
    """‖a‖, the Euclidean norm of all entries."""
    return float(np.sqrt(np.vdot(a, a).real))
