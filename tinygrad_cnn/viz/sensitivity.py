"""Sensitivity maps: each conv/pool layer's output next to δ = ∂E/∂(that output), as heatmaps."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..autograd import backward, topological_order
from ..tensor import Tensor
from .graph import assign_modules

MAP_OPS = ("conv2d", "max_pool2d", "avg_pool2d", "subsample")


@dataclass
class SensitivityMap:
    """One layer: its label, its output (N, C, H, W) and its sensitivity map δ of the same shape."""

    label: str
    op: str
    output: np.ndarray
    delta: np.ndarray


def collect_sensitivity_maps(loss: Tensor, ops: tuple[str, ...] = MAP_OPS,
                             retain_graph: bool = False) -> list[SensitivityMap]:
    """Run `loss`'s backward (it fills the leaves' .grad as usual) and keep, for every op in
    `ops`, its output and the δ that reached it; in forward order."""
    tensors = topological_order(loss)
    outputs = {id(t.grad_fn): t for t in tensors if t.grad_fn is not None}
    deltas: dict[int, np.ndarray] = {}

    def record(node, delta, _input_grads):
        if node.op in ops:
            deltas[id(node)] = np.array(delta)

    backward(loss, retain_graph=retain_graph, on_step=record)
    nodes = [t.grad_fn for t in tensors if t.grad_fn is not None]
    owner = assign_modules(nodes)
    maps, counts = [], {}
    for node in nodes:
        if id(node) not in deltas:
            continue
        counts[node.op] = counts.get(node.op, 0) + 1
        module = owner.get(id(node))
        label = f"{node.op} #{counts[node.op]}" + (f" ({module})" if module else "")
        maps.append(SensitivityMap(label, node.op, outputs[id(node)].data, deltas[id(node)]))
    return maps


def plot_sensitivity_maps(maps: list[SensitivityMap], path: str | Path, sample: int = 0,
                          max_channels: int = 6) -> int:
    """Heatmaps of output and δ per channel (up to `max_channels`), one row per layer, for one
    sample, written atomically as PNG to `path`. Returns the number of panels drawn."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not maps:
        raise ValueError("plot_sensitivity_maps: no maps to plot (did the graph have conv/pool ops?)")
    for m in maps:
        if m.output.ndim != 4 or not 0 <= sample < m.output.shape[0]:
            raise ValueError(f"plot_sensitivity_maps: {m.label} output {m.output.shape} has no "
                             f"sample {sample}; expected (N, C, H, W) with N > {sample}")
    columns = 2 * min(max_channels, max(m.output.shape[1] for m in maps))
    fig, axes = plt.subplots(len(maps), columns, figsize=(1.6 * columns, 1.9 * len(maps)),
                             squeeze=False)
    panels = 0
    for row, m in zip(axes, maps):
        channels = min(max_channels, m.output.shape[1])
        for c in range(columns // 2):
            out_ax, delta_ax = row[2 * c], row[2 * c + 1]
            for ax in (out_ax, delta_ax):
                ax.set_xticks([])
                ax.set_yticks([])
            if c >= channels:
                out_ax.axis("off")
                delta_ax.axis("off")
                continue
            out_ax.imshow(m.output[sample, c], cmap="viridis")
            limit = float(np.abs(m.delta[sample, c]).max()) or 1.0
            delta_ax.imshow(m.delta[sample, c], cmap="RdBu_r", vmin=-limit, vmax=limit)
            out_ax.set_title(f"out c{c}", fontsize=7)
            delta_ax.set_title(f"δ c{c}", fontsize=7)
            panels += 2
        row[0].set_ylabel(m.label, fontsize=7)
    fig.suptitle(f"outputs and sensitivity maps δ = ∂E/∂output (sample {sample})", fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
    return panels
