"""Pictures of backprop: the graph (`draw_graph`), the sensitivity maps, and the `Explorer`, an
interactive page that walks backward step by step.

Graphviz and matplotlib are imported only when these are first used (`import tinygrad_cnn`
stays free of them): the names below load their modules lazily.
"""
from __future__ import annotations

import importlib
from typing import Any

from .nodes import GraphvizNotFound

_LAZY = {
    "draw_graph": "graph", "GraphDrawing": "graph",
    "collect_sensitivity_maps": "sensitivity", "plot_sensitivity_maps": "sensitivity",
    "sensitivity_figure": "sensitivity", "SensitivityMap": "sensitivity",
    "Explorer": "explorer",
}

__all__ = ["draw_graph", "GraphDrawing", "GraphvizNotFound", "collect_sensitivity_maps",
           "plot_sensitivity_maps", "sensitivity_figure", "SensitivityMap", "Explorer"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tinygrad_cnn.viz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
