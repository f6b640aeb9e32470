"""`Explorer(loss)`: one self-contained HTML page that walks backward through *your* graph.

The page shows the recorded graph (Graphviz layout, a module per box, as `draw_graph` draws it).
Clicking a node fills the details panel with the op, its attributes, input and output shapes,
its VJP formula, ‖δ‖ and pictures: a conv or pooling layer's output maps and sensitivity maps
δ = ∂E/∂output for one sample, a parameter's weights and gradient. "next" / "previous" walk the
backward order one op at a time, from the loss back to the inputs, lighting up the δ edges
already traversed. Everything is inline (SVG, script, style, arrays): no network, works from
`file://` and inside Jupyter.

Page contract (the browser tests rely on it): every op node is an SVG element with
`data-op="<op>"`, every leaf `data-leaf="<name>"`; the panel is `#details`; the buttons are
`#step-next` and `#step-prev`; the visited node has class `current`; traversed δ edges have
class `traversed`; the sample selector is `#sample`.
"""
from __future__ import annotations

import base64
import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write_bytes
from ..autograd import Function, Graph, backward
from ..formatting import attrs_str, shape_str
from ..tensor import Tensor
from .nodes import assign_modules, constant_text, leaf_label, norm

MAX_VALUES = 65_536       # per embedded array and sample (bigger parameters: first rows only)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _array(a: np.ndarray) -> dict[str, Any]:
    """An array for the page: its shape and its float32 bytes in base64 (little-endian)."""
    a = np.ascontiguousarray(a, dtype="<f4")
    return {"shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode("ascii")}


def _number(x: float | None) -> float | None:
    """A float for the page's JSON (which has no NaN or ∞): None where it is not finite."""
    return None if x is None or not np.isfinite(x) else float(x)


def _capped(a: np.ndarray) -> tuple[np.ndarray, str]:
    """`a`, or its first rows when it has more than MAX_VALUES entries, with a note saying so."""
    if a.size <= MAX_VALUES or a.ndim == 0:
        return a, ""
    rows = max(1, MAX_VALUES // max(1, a[0].size))
    return a[:rows], f"first {rows} of {a.shape[0]} rows shown"


def backward_deltas(loss: Tensor, keep: int) -> tuple[dict[int, np.ndarray], str]:
    """δ = ∂E/∂output of every op node behind `loss` (its first `keep` rows where it has a batch
    axis), by id of the node, and a note on how they were obtained.

    If backward has not run yet it runs now, as `loss.backward(retain_graph=True)` would (the
    leaves' .grad are filled). If it has run and the graph was retained, the VJPs are replayed
    without touching any .grad. If the graph was released (or an input was changed in place
    since, as `optimizer.step()` does), no δ maps are available and the note says why.
    """
    nodes = Graph(loss).nodes
    deltas: dict[int, np.ndarray] = {}

    def record(node: Function, delta: np.ndarray, _grads: Any = None) -> None:
        deltas[id(node)] = np.array(delta[:keep] if delta.ndim >= 2 else delta)

    if loss.grad_fn is not None and loss.grad_fn.grad_norm is None:
        backward(loss, retain_graph=True, on_step=record)
        return deltas, "backward ran here (retain_graph=True)"
    if any(node.released for node in nodes):
        return deltas, ("δ maps unavailable: the graph was released by backward(); call "
                        "loss.backward(retain_graph=True), or pass the loss before its backward")
    pending: dict[int, np.ndarray] = {id(loss): np.ones_like(loss.data)}
    try:
        for t in reversed(Graph(loss).tensors):
            delta = pending.pop(id(t), None)
            if delta is None or t.grad_fn is None:
                continue
            record(t.grad_fn, delta)
            for inp, g in zip(t.grad_fn.inputs, t.grad_fn.vjp(delta)):
                if g is not None and inp.requires_grad:
                    pending[id(inp)] = g if id(inp) not in pending else pending[id(inp)] + g
    except RuntimeError as err:          # e.g. a parameter updated in place since (optimizer.step)
        return {}, f"δ maps unavailable: {err}"
    return deltas, "δ replayed from the retained graph"


class Explorer:
    """An interactive page for the backward pass of `loss` (a scalar with a recorded graph).

    `sample` is the batch item shown first; the first `max_samples` items of the batch are
    embedded (the page says so), which keeps LeNet-5 at batch 64 near 2 MB. Call after
    `loss.backward(retain_graph=True)`, or before any backward (it then runs one, filling .grad).
    `save(path)` writes the page atomically; in Jupyter the explorer displays itself inline.
    Needs Graphviz's `dot` for the layout (GraphvizNotFound with an install hint otherwise).
    """

    def __init__(self, loss: Tensor, sample: int = 0, max_samples: int = 8,
                 title: str = "backprop explorer"):
        if not isinstance(loss, Tensor) or loss.grad_fn is None:
            raise ValueError("Explorer: expected a loss Tensor with a recorded graph (grad_fn); got "
                             f"{type(loss).__name__}{' without grad_fn' if isinstance(loss, Tensor) else ''}")
        if loss.data.size != 1:
            raise ValueError(f"Explorer: the loss must be a scalar, got shape {loss.shape}; reduce "
                             "it first (e.g. .mean())")
        if max_samples < 1:
            raise ValueError(f"Explorer: max_samples must be ≥ 1, got {max_samples}")
        self.loss, self.title = loss, title
        self.graph = Graph(loss)
        self.batch = self._batch_size()
        self.samples = min(max_samples, self.batch) if self.batch else 1
        if not 0 <= sample < self.samples:
            raise ValueError(f"Explorer: sample {sample} is not embedded; expected 0 ≤ sample < "
                             f"{self.samples} (the first {self.samples} of a batch of {self.batch})")
        self.sample = sample
        self.deltas, self.delta_note = backward_deltas(loss, self.samples)
        self.html = self._page()

    # -- what goes on the page --------------------------------------------------------------
    def _batch_size(self) -> int | None:
        """N of the batch: the first axis of the first float input leaf with ≥ 2 axes."""
        for t in self.graph.tensors:
            if t.grad_fn is None and not t.requires_grad and t.dtype.kind == "f" and t.ndim >= 2:
                return int(t.shape[0])
        return None

    def _per_sample(self, a: np.ndarray) -> dict[str, Any] | None:
        """The first `samples` rows of a batch-shaped array (≥ 2 axes), if not too big."""
        if self.batch is None or a.ndim < 2 or a.shape[0] not in (self.batch, self.samples):
            return None
        rows = a[:self.samples]
        if rows[0].size > MAX_VALUES:
            return None
        return _array(rows)

    def _data(self) -> dict[str, Any]:
        keys = {id(t): f"t{i}" for i, t in enumerate(self.graph.tensors)}
        owner = assign_modules(self.graph.nodes)
        nodes: dict[str, Any] = {}
        for t in self.graph.tensors:
            key = keys[id(t)]
            if t.grad_fn is None:
                nodes[key] = self._leaf(t)
                continue
            node = t.grad_fn
            delta = self.deltas.get(id(node))
            nodes[key] = {
                "kind": "op", "op": node.op, "module": owner.get(id(node)),
                "attrs": attrs_str(node.attrs), "formula": node.formula,
                "inputs": [{"key": keys[id(x)], "name": self._name(x, keys), "shape": shape_str(x.shape)}
                           for x in node.inputs],
                "output": shape_str(node.output_shape), "dtype": str(node.output_dtype),
                "grad_norm": _number(node.grad_norm),
                "value": _number(float(t.data.ravel()[0])) if t.data.size == 1 else None,
                "out": self._per_sample(t.data),
                "delta": self._per_sample(delta) if delta is not None else None,
                "delta_edges": [f"d_{key}_{keys[id(x)]}" for x in node.inputs if x.requires_grad],
            }
        order = [keys[id(self.graph.tensors[i])] for i in
                 reversed([i for i, t in enumerate(self.graph.tensors) if t.grad_fn is not None])]
        return {"nodes": nodes, "order": order, "batch": self.batch, "samples": self.samples,
                "sample": self.sample, "note": self.delta_note}

    def _name(self, t: Tensor, keys: dict[int, str]) -> str:
        return leaf_label(t) if t.grad_fn is None else f"{t.grad_fn.op} ({keys[id(t)]})"

    def _leaf(self, t: Tensor) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "kind": "param" if t.requires_grad else "leaf", "name": leaf_label(t),
            "shape": shape_str(t.shape), "dtype": str(t.dtype), "value": constant_text(t),
            "grad_norm": _number(norm(t.grad)) if t.grad is not None else None, "note": ""}
        if t.requires_grad:
            weight, note = _capped(t.data)
            entry["weight"], entry["note"] = _array(weight), note
            entry["grad"] = _array(_capped(t.grad)[0]) if t.grad is not None else None
        elif t.dtype.kind in "iub" and t.ndim == 1 and self.batch and t.shape[0] == self.batch:
            entry["labels"] = t.data[:self.samples].tolist()
        elif t.dtype.kind == "f":
            entry["out"] = self._per_sample(t.data)
        return entry

    def _svg(self, keys_to_nodes: dict[str, Any]) -> str:
        from .graph import draw_graph

        svg = draw_graph(self.loss, show_grads=True, legend=False).draw("svg").decode("utf-8")
        svg = svg[svg.index("<svg"):]

        def tag(match: re.Match) -> str:
            key, classes = match.group(1), match.group(2)
            entry = keys_to_nodes[key]
            attr = (f'data-op="{html.escape(entry["op"])}"' if entry["kind"] == "op"
                    else f'data-leaf="{html.escape(entry["name"])}"')
            return f'<g id="n_{key}" class="{classes}" data-node="{key}" {attr} tabindex="0"'

        return re.sub(r'<g id="n_(t\d+)" class="([^"]*)"', tag, svg)

    def _page(self) -> str:
        data = self._data()
        svg = self._svg(data["nodes"])
        payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
        limit = (f"Pictures are embedded for the first {self.samples} of the batch's {self.batch} "
                 "samples." if self.batch else "")
        return _asset("explorer.html").format(
            title=html.escape(self.title), css=_asset("explorer.css"), js=_asset("explorer.js"),
            svg=svg, data=payload, loss=f"{float(self.loss.data.ravel()[0]):.6g}",
            loss_op=html.escape(self.loss.grad_fn.op if self.loss.grad_fn else ""),
            ops=len(self.graph.nodes), limit=limit, note=html.escape(self.delta_note),
            options="".join(f'<option value="{i}"{" selected" if i == self.sample else ""}>{i}</option>'
                            for i in range(self.samples)))

    # -- output -----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the page to `path` atomically (UTF-8 HTML); returns the path."""
        return atomic_write_bytes(path, self.html.encode("utf-8"))

    def _repr_html_(self) -> str:
        """The page in an iframe (its script and style stay inside): Jupyter shows it inline."""
        doc = self.html.replace("&", "&amp;").replace("'", "&#39;")
        return (f"<iframe srcdoc='{doc}' title='{html.escape(self.title)}' "
                "style='width:100%;height:760px;border:1px solid #ccc'></iframe>")

    @property
    def nbytes(self) -> int:
        """The page's size in bytes."""
        return len(self.html.encode("utf-8"))
