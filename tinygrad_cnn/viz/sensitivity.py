"""Sensitivity maps: each conv/pool layer's output next to δ = ∂E/∂(that output), as heatmaps."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..atomic import atomic_path
from ..autograd import backward, topological_order
from ..tensor import Tensor
from .nodes import assign_modules

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
    `ops`, its output and the δ that reached it; in forward order. Labels name the module and
    the op, e.g. `c1 (conv2d)`, `s2 (max_pool2d)`."""
    tensors = topological_order(loss)
    outputs = {id(t.grad_fn): t for t in tensors if t.grad_fn is not None}
    deltas: dict[int, np.ndarray] = {}

    def record(node, delta, _input_grads):
        if node.op in ops:
            deltas[id(node)] = np.array(delta)

    backward(loss, retain_graph=retain_graph, on_step=record)
    nodes = [t.grad_fn for t in tensors if t.grad_fn is not None]
    owner = assign_modules(nodes)
    maps: list[SensitivityMap] = []
    counts: dict[str, int] = {}
    for node in nodes:
        if id(node) not in deltas:
            continue
        counts[node.op] = counts.get(node.op, 0) + 1
        module = owner.get(id(node))
        label = f"{module} ({node.op})" if module and not module.startswith(node.op) \
            else f"{node.op} #{counts[node.op]}"
        maps.append(SensitivityMap(label, node.op, outputs[id(node)].data, deltas[id(node)]))
    return maps


def _check(maps: list[SensitivityMap], sample: int, max_channels: int) -> None:
    if not maps:
        raise ValueError("plot_sensitivity_maps: no maps to plot (did the graph have conv/pool ops?)")
    if max_channels < 1:
        raise ValueError(f"plot_sensitivity_maps: max_channels must be ≥ 1, got {max_channels}")
    for m in maps:
        if m.output.ndim != 4 or not 0 <= sample < m.output.shape[0]:
            raise ValueError(f"plot_sensitivity_maps: {m.label} output {m.output.shape} has no "
                             f"sample {sample}; expected (N, C, H, W) with N > {sample}")


def sensitivity_figure(maps: list[SensitivityMap], sample: int = 0,
                       max_channels: int = 6) -> Figure:
    """A matplotlib `Figure` of the maps (built directly: the global backend is left alone, so
    it displays inline in Jupyter): one row per layer, the first `max_channels` channels of one
    sample, output maps (viridis) then δ maps (blue–white–red). Each row has one colour scale
    for its outputs and one symmetric scale for its δ, both with a colour bar, so magnitudes
    compare across channels."""
    from matplotlib.figure import Figure

    _check(maps, sample, max_channels)
    shown = [min(max_channels, m.output.shape[1]) for m in maps]
    width = max(shown)
    fig = Figure(figsize=(1.45 * 2 * width + 1.6, 1.75 * len(maps) + 0.6), layout="constrained")
    grid = fig.add_gridspec(len(maps), 2 * width)
    for row, (m, channels) in enumerate(zip(maps, shown)):
        out, delta = m.output[sample], m.delta[sample]
        lo, hi = float(out.min()), float(out.max())
        limit = float(np.abs(delta).max()) or 1.0          # one symmetric δ scale per layer
        out_axes, delta_axes = [], []
        for c in range(channels):
            ax = fig.add_subplot(grid[row, c])
            image_out = ax.imshow(out[c], cmap="viridis", vmin=lo, vmax=hi)
            ax.set_title(f"output ch {c}", fontsize=7)
            out_axes.append(ax)
            ax = fig.add_subplot(grid[row, width + c])
            image_delta = ax.imshow(delta[c], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"δ ch {c}", fontsize=7)
            delta_axes.append(ax)
        for ax in out_axes + delta_axes:
            ax.set_xticks([])
            ax.set_yticks([])
        total = m.output.shape[1]
        out_axes[0].set_ylabel(f"{m.label}\n{channels} of {total} ch", fontsize=7)
        for image, axes in ((image_out, out_axes), (image_delta, delta_axes)):
            bar = fig.colorbar(image, ax=axes, shrink=0.8, pad=0.01, format="%.2g")
            bar.ax.tick_params(labelsize=6)
    fig.suptitle(f"sample {sample}: each layer's output (left) and its sensitivity map "
                 f"δ = ∂E/∂output (right, one symmetric scale per layer); "
                 f"first {min(max_channels, max(m.output.shape[1] for m in maps))} channels",
                 fontsize=8)
    return fig


def plot_sensitivity_maps(maps: list[SensitivityMap], path: str | Path, sample: int = 0,
                          max_channels: int = 6) -> int:
    """Draw `sensitivity_figure(maps, sample, max_channels)` and write it atomically as PNG to
    `path`. Returns the number of map panels drawn (outputs and δ)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = sensitivity_figure(maps, sample, max_channels)
    FigureCanvasAgg(fig)                      # attach a canvas (no pyplot, no global backend)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    return 2 * sum(min(max_channels, m.output.shape[1]) for m in maps)
