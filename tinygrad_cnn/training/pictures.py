"""A run's pictures: the training curve, and one step of the trained model drawn (the graph
with its gradients and the layers' sensitivity maps)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_path, atomic_write_bytes
from ..tensor import Tensor


def plot_curves(history: list[dict[str, Any]], path: str | Path, title: str = "",
                note: str | None = None) -> Path:
    """training_curve.png: loss and accuracy per epoch, train (the running mean over each
    epoch, as the model changed during it) and held-out (after the epoch). `note` is written
    across the plot, e.g. why it is blank (matplotlib's Agg canvas directly: no pyplot, no change
    to the global backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    for ax, key in zip(fig.subplots(1, 2), ("loss", "accuracy")):
        ax.plot(epochs, [h[f"train_{key}"] for h in history], "o-",
                label="train (running mean over the epoch)")
        ax.plot(epochs, [h[f"heldout_{key}"] for h in history], "s-",
                label="held-out (end of epoch)")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        if history:
            ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    if note:                                         # once, across both panels
        import textwrap
        fig.text(0.5, 0.5, textwrap.fill(note, 80), ha="center", va="center", fontsize=10,
                 color="darkred", bbox=dict(facecolor="white", edgecolor="darkred", pad=8))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    return Path(path)


def draw_step(model: Any, x: np.ndarray, y: np.ndarray, out: Path,
              log: Callable[[str], None] = print) -> list[Path]:
    """Draw one step of the trained model (forward, loss, backward; no update): the graph with
    its gradients (`graph.dot`, and `graph.svg` and the interactive `explorer.html` where
    Graphviz is installed) and the conv/pool layers' sensitivity maps (`sensitivity_maps.png`)."""
    from ..viz import Explorer, GraphvizNotFound, collect_sensitivity_maps, draw_graph, plot_sensitivity_maps

    model.train()
    explorer = None
    try:                                             # its own step: it runs its own backward
        explorer = Explorer(model.loss(model(Tensor(x)), y), title="backprop explorer: one "
                            "training step").save(out / "explorer.html")
    except GraphvizNotFound as err:
        log(f"note: explorer.html not written: {err}")
    model.zero_grad()
    loss = model.loss(model(Tensor(x)), y)
    maps = collect_sensitivity_maps(loss)           # runs this step's backward
    graph = draw_graph(loss, show_grads=True)
    written = [atomic_write_bytes(out / "graph.dot", graph.source.encode())]
    try:
        written.append(graph.render(out / "graph.svg"))
    except GraphvizNotFound as err:
        log(f"note: graph.svg not drawn: {err}")
    if explorer is not None:
        written.append(explorer)
    plot_sensitivity_maps(maps, out / "sensitivity_maps.png")
    written.append(out / "sensitivity_maps.png")
    model.zero_grad()
    return written
