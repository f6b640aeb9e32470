"""Pictures of backprop: the graph (`draw_graph`) and the sensitivity maps."""
from .graph import GraphDrawing, GraphvizNotFound, draw_graph
from .sensitivity import SensitivityMap, collect_sensitivity_maps, plot_sensitivity_maps

__all__ = ["draw_graph", "GraphDrawing", "GraphvizNotFound", "collect_sensitivity_maps",
           "plot_sensitivity_maps", "SensitivityMap"]
