"""Draw the recorded DAG with Graphviz: leaves, op nodes with their attributes, shapes on the
edges, and after backward the gradient norms and the δ edges flowing back from the loss."""
from __future__ import annotations

import shutil
from pathlib import Path

import graphviz
import numpy as np

from ..atomic import atomic_write_bytes
from ..autograd import Function, topological_order
from ..tensor import Tensor

FORWARD_COLOUR = "#333333"
BACKWARD_COLOUR = "#d62728"          # δ flowing back
PARAM_FILL, INPUT_FILL, OP_FILL = "#dbe9f6", "#eeeeee", "#fff2cc"
# ops without parameters that belong to the layer before them (conv → relu → pool is one block)
FOLLOWER_OPS = ("relu", "sigmoid", "tanh", "max_pool2d", "avg_pool2d", "reshape", "transpose",
                "softmax", "log_softmax")
INSTALL_HINT = ("Graphviz's `dot` program was not found on PATH; the pip package `graphviz` only "
                "writes DOT source and needs the system binary to render. Install it with "
                "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
                "`conda install graphviz`; meanwhile `.source` holds the DOT text.")


class GraphvizNotFound(RuntimeError):
    """Rendering needs Graphviz's `dot`, which is not installed."""


class GraphDrawing(graphviz.Digraph):
    """A `graphviz.Digraph` that renders atomically and explains a missing `dot`.

    Displays inline in Jupyter (as SVG, or as DOT text when `dot` is missing); `.source` is the
    DOT text; `render(path, format)` writes the picture.
    """

    def render(self, path: str | Path, format: str | None = None, **_: object) -> Path:  # type: ignore[override]
        """Write the picture to `path` (format from `format` or the suffix: svg or png)."""
        path = Path(path)
        fmt = format or path.suffix.lstrip(".") or "svg"
        if fmt not in ("svg", "png", "pdf"):
            raise ValueError(f"render: format must be svg, png or pdf, got {fmt!r}")
        if path.suffix.lstrip(".") != fmt:
            path = path.with_name(path.name + "." + fmt)
        return atomic_write_bytes(path, self.draw(fmt))

    def draw(self, fmt: str = "svg") -> bytes:
        """The rendered picture as bytes."""
        if shutil.which("dot") is None:
            raise GraphvizNotFound(INSTALL_HINT)
        try:
            return self.pipe(format=fmt)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFound(INSTALL_HINT) from None

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):  # Jupyter display
        try:
            return {"image/svg+xml": self.draw("svg").decode("utf-8")}
        except GraphvizNotFound:
            return {"text/plain": self.source}

    def _repr_svg_(self) -> str:
        return self.draw("svg").decode("utf-8")


def leaf_label(t: Tensor) -> str:
    """A leaf's display name: its parameter path, else what it most likely is."""
    if t.name:
        return t.name
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
    """Module of each node (by id): its parameters' module, else — for an activation, pooling
    or reshape — the module of the op that fed it, so a layer's block stays together."""
    owner: dict[int, str | None] = {}
    for node in nodes:
        module = module_of(node)
        if module is None and node.op in FOLLOWER_OPS:
            producer = node.inputs[0].grad_fn
            module = owner.get(id(producer)) if producer is not None else None
        owner[id(node)] = module
    return owner


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) if shape else "scalar"


def _attr(value: object) -> str:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == value[1]:
        value = value[0]
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def op_label(node: Function, show_grads: bool, show_formulas: bool) -> str:
    lines = [node.op]
    attrs = [f"{k} {_attr(v)}" for k, v in node.attrs.items() if v is not None and v is not False]
    if attrs:
        lines.append(", ".join(attrs))
    if show_formulas and node.formula:
        lines.extend(line.strip() for line in node.formula.splitlines())
    if show_grads and node.grad_norm is not None:
        lines.append(f"δ {_shape(node.output_shape)}  ‖δ‖ = {node.grad_norm:.4g}")
    return "\n".join(lines)


def draw_graph(root: Tensor, show_grads: bool = False, show_formulas: bool = False,
               rankdir: str = "TB", group_by_module: bool = True) -> GraphDrawing:
    """The DAG behind `root` as a Graphviz drawing.

    Leaves are boxes (parameters by their module path, e.g. `conv1.weight`); ops are rounded
    boxes with their attributes; each edge carries the shape of the tensor it passes. With
    `show_grads` (after backward) every node shows its gradient's shape and norm and red dashed
    edges show δ flowing from the loss back to the inputs; `show_formulas` adds each op's VJP
    formula; `group_by_module` boxes each module's ops into one cluster.
    """
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"draw_graph: rankdir must be TB, LR, BT or RL, got {rankdir!r}")
    tensors = topological_order(root)
    ids = {id(t): f"t{i}" for i, t in enumerate(tensors)}
    nodes = [t.grad_fn for t in tensors if t.grad_fn is not None]
    owner = assign_modules(nodes) if group_by_module else {}

    g = GraphDrawing("backprop", graph_attr=dict(rankdir=rankdir, fontname="Helvetica", fontsize="11"),
                     node_attr=dict(fontname="Helvetica", fontsize="10"),
                     edge_attr=dict(fontname="Helvetica", fontsize="9", color=FORWARD_COLOUR))
    clusters: dict[str, graphviz.Digraph] = {}

    def canvas(module: str | None) -> graphviz.Digraph:
        if module is None:
            return g
        if module not in clusters:
            clusters[module] = graphviz.Digraph(name=f"cluster_{len(clusters)}", graph_attr=dict(
                label=module, style="rounded,dashed", color="#888888", fontsize="10"))
        return clusters[module]

    for t in tensors:
        key = ids[id(t)]
        if t.grad_fn is None:
            label = f"{leaf_label(t)}\n{_shape(t.shape)} {t.dtype}"
            if show_grads and t.grad is not None:
                label += f"\ngrad ‖·‖ = {float(np.linalg.norm(t.grad)):.4g}"
            module = t.name.rsplit(".", 1)[0] if group_by_module and t.name and "." in t.name else None
            canvas(module).node(key, label, shape="box", style="filled",
                                fillcolor=PARAM_FILL if t.requires_grad else INPUT_FILL)
        else:
            canvas(owner.get(id(t.grad_fn))).node(
                key, op_label(t.grad_fn, show_grads, show_formulas), shape="box",
                style="rounded,filled", fillcolor=OP_FILL)
    for cluster in clusters.values():
        g.subgraph(cluster)

    for t in tensors:
        if t.grad_fn is None:
            continue
        for inp in t.grad_fn.inputs:
            g.edge(ids[id(inp)], ids[id(t)], label=_shape(inp.shape))
            if show_grads and inp.requires_grad and t.grad_fn.grad_norm is not None:
                g.edge(ids[id(t)], ids[id(inp)], color=BACKWARD_COLOUR, fontcolor=BACKWARD_COLOUR,
                       style="dashed", constraint="false", label="δ")
    return g
