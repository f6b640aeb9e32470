"""Draw the recorded DAG with Graphviz: leaves, op nodes with their attributes, shapes on the
edges, and after backward the gradient norms and the δ edges flowing back from the loss."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import graphviz

from ..atomic import atomic_write_bytes
from ..autograd import Function, topological_order
from ..formatting import attrs_str, shape_str
from ..tensor import Tensor
from .nodes import INSTALL_HINT, GraphvizNotFound, assign_modules, constant_text, leaf_label, norm

FORWARD_COLOUR = "#333333"
BACKWARD_COLOUR = "#d62728"          # δ flowing back
PARAM_FILL, INPUT_FILL, OP_FILL = "#dbe9f6", "#eeeeee", "#fff2cc"
FORMULA_WIDTH = 44                   # characters per line of a wrapped formula

__all__ = ["GraphDrawing", "GraphvizNotFound", "draw_graph", "node_key", "BACKWARD_COLOUR"]


class GraphDrawing(graphviz.Digraph):
    """A `graphviz.Digraph` that renders atomically and explains a missing `dot`.

    Displays inline in Jupyter (as SVG, or as DOT text when `dot` is missing); `.source` is the
    DOT text; `render(path, format)` writes the picture.
    """

    def render(self, path: str | Path, format: str | None = None, **_: object) -> Path:
        """Write the picture to `path` (format from `format` or the suffix: svg, png or pdf)."""
        path = Path(path)
        fmt = format or path.suffix.lstrip(".") or "svg"
        if fmt not in ("svg", "png", "pdf"):
            raise ValueError(f"render: format must be svg, png or pdf, got {fmt!r}")
        if path.suffix.lstrip(".") != fmt:
            path = path.with_name(path.name + "." + fmt)
        return atomic_write_bytes(path, self.draw(fmt))

    def draw(self, fmt: str = "svg") -> bytes:
        """The rendered picture as bytes; GraphvizNotFound (with the install hint) without `dot`."""
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


def node_key(index: int) -> str:
    """The DOT name of the tensor at `index` of the topological order (also its SVG id: n_<key>)."""
    return f"t{index}"


def _shape(shape: tuple[int, ...]) -> str:
    return shape_str(shape, compact=True)


def wrap_formula(formula: str, width: int = FORMULA_WIDTH) -> list[str]:
    """The formula's lines, each wrapped to `width` characters (continuations indented)."""
    lines: list[str] = []
    for line in formula.splitlines():
        lines.extend(textwrap.wrap(" ".join(line.split()), width, subsequent_indent="   ",
                                   break_long_words=False) or [""])
    return lines


def op_label(node: Function, show_grads: bool, show_formulas: bool) -> str:
    lines = [node.op]
    attrs = attrs_str(node.attrs, sep=" ", max_len=24)
    if attrs:
        lines.append(attrs)
    if show_formulas and node.formula:
        lines.extend(wrap_formula(node.formula))
    if show_grads and node.grad_norm is not None:
        lines.append(f"δ {_shape(node.output_shape)}  ‖δ‖ = {node.grad_norm:.4g}")
    return "\n".join(lines)


def leaf_text(t: Tensor, show_grads: bool) -> str:
    label = leaf_label(t)
    constant = constant_text(t)
    if constant is not None and not label.startswith("constant"):
        label += f" = {constant}"                  # small integer leaves, e.g. labels [3, 1]
    text = f"{label}\n{_shape(t.shape)} {t.dtype}"
    if show_grads and t.grad is not None:
        text += f"\ngrad ‖·‖ = {norm(t.grad):.4g}"
    return text


LEGEND = (f'<<table border="0" cellspacing="4" cellpadding="3"><tr>'
          f'<td>legend:</td>'
          f'<td bgcolor="{PARAM_FILL}" border="1">parameter</td>'
          f'<td bgcolor="{INPUT_FILL}" border="1">input / constant</td>'
          f'<td bgcolor="{OP_FILL}" border="1" style="rounded">op</td>'
          f'<td>──▶ forward, tensor shape</td>'
          f'<td><font color="{BACKWARD_COLOUR}">- - -▶ δ (op → its input)</font></td>'
          f'</tr></table>>')


def draw_graph(root: Tensor, show_grads: bool = False, show_formulas: bool = False,
               rankdir: str = "TB", group_by_module: bool = True,
               legend: bool = True) -> GraphDrawing:
    """The DAG behind `root` as a Graphviz drawing.

    Leaves are boxes (parameters in blue, by their module path, e.g. `c1.weight`; constants with
    their value); ops are yellow rounded boxes with their attributes; each edge carries the shape
    of the tensor it passes. With `show_grads` (after backward) every node shows its gradient's
    shape and norm and red dashed edges point from each op back to its inputs: δ flowing from the
    loss to the leaves. `show_formulas` adds each op's VJP formula (wrapped);
    `group_by_module` boxes each module's ops into one cluster; `legend` adds a key below.
    Node `t<i>` is the i-th tensor of the topological order; its SVG element has id `n_t<i>`.
    """
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"draw_graph: rankdir must be TB, LR, BT or RL, got {rankdir!r}")
    tensors = topological_order(root)
    ids = {id(t): node_key(i) for i, t in enumerate(tensors)}
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
            module = t.name.rsplit(".", 1)[0] if group_by_module and t.name and "." in t.name else None
            kind = "param" if t.requires_grad else "leaf"
            canvas(module).node(key, leaf_text(t, show_grads), shape="box", style="filled",
                                fillcolor=PARAM_FILL if t.requires_grad else INPUT_FILL,
                                id=f"n_{key}", **{"class": kind})
        else:
            canvas(owner.get(id(t.grad_fn))).node(
                key, op_label(t.grad_fn, show_grads, show_formulas), shape="box",
                style="rounded,filled", fillcolor=OP_FILL, id=f"n_{key}", **{"class": "op"})
    beside: set[str] = set()
    for t in tensors:               # parameters beside their op, so the main chain runs straight
        params = [ids[id(x)] for x in (t.grad_fn.inputs if t.grad_fn else ()) if x.grad_fn is None
                  and x.name and "." in x.name and x.name.rsplit(".", 1)[0] == owner.get(id(t.grad_fn))]
        if params:
            beside.update(params)
            with canvas(owner.get(id(t.grad_fn))).subgraph() as same:
                same.attr(rank="same")
                for key in params[:1] + [ids[id(t)]] + params[1:]:     # weight, op, bias
                    same.node(key)
    for cluster in clusters.values():
        g.subgraph(cluster)
    if legend:                      # a key under the graph: blue, grey, yellow, red dashed
        g.attr(label=LEGEND, labelloc="b", labeljust="l")

    for t in tensors:
        if t.grad_fn is None:
            continue
        for inp in t.grad_fn.inputs:
            a, b = ids[id(inp)], ids[id(t)]
            # the main chain (op → op) pulls hardest, so it runs straight and parameters hang beside
            g.edge(a, b, label=_shape(inp.shape), id=f"f_{a}_{b}", weight="10" if inp.grad_fn else "1",
                   **{"class": "forward"})
            if show_grads and inp.requires_grad and t.grad_fn.grad_norm is not None:
                # δ flows backwards: from the op (b) to its input (a)
                # (to a parameter beside its op the δ sits at the arrow, clear of the shape label)
                text = dict(headlabel="δ", labeldistance="1.6") if a in beside else dict(label="δ")
                g.edge(b, a, color=BACKWARD_COLOUR, fontcolor=BACKWARD_COLOUR, style="dashed",
                       constraint="false", id=f"d_{b}_{a}", **text, **{"class": "delta"})
    return g
