"""draw_graph, explain and the sensitivity maps."""
import re
import shutil

import numpy as np
import pytest

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, explain
from tinygrad_cnn.viz import GraphvizNotFound, collect_sensitivity_maps, draw_graph, plot_sensitivity_maps
from tinygrad_cnn.viz import graph as viz_graph


def small_graph():
    """sum(relu(x @ W + b)) with named parameters."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)))
    w = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = Tensor(rng.standard_normal(2), requires_grad=True)
    w.name, b.name = "fc.weight", "fc.bias"
    return x, w, b, F.relu(x @ w + b).sum()


def nodes_and_edges(source):
    nodes = {key: quoted or bare for key, quoted, bare in re.findall(
        r'^\s*(t\d+) \[label=(?:"((?:[^"\\]|\\.)*)"|([^\s\]]+))', source, re.M)}
    edges = re.findall(r'^\s*(t\d+) -> (t\d+) \[([^\]]*)\]', source, re.M)
    return nodes, edges


def test_dot_has_expected_nodes_labels_and_edges():
    x, w, b, loss = small_graph()
    g = draw_graph(loss, group_by_module=False)
    nodes, edges = nodes_and_edges(g.source)
    assert len(nodes) == 7                       # 3 leaves + matmul, add, relu, sum
    labels = {k: v.split("\n")[0] for k, v in nodes.items()}
    by_label = {v: k for k, v in labels.items()}
    assert set(labels.values()) == {"input", "fc.weight", "fc.bias", "matmul", "add", "relu", "sum"}
    pairs = {(a, b_) for a, b_, _ in edges}
    assert (by_label["input"], by_label["matmul"]) in pairs
    assert (by_label["fc.weight"], by_label["matmul"]) in pairs
    assert (by_label["matmul"], by_label["add"]) in pairs and (by_label["fc.bias"], by_label["add"]) in pairs
    assert (by_label["add"], by_label["relu"]) in pairs and (by_label["relu"], by_label["sum"]) in pairs
    assert len(edges) == 6
    shape_on_edge = [attrs for a, b_, attrs in edges if (a, b_) == (by_label["matmul"], by_label["add"])][0]
    assert 'label="4×2"' in shape_on_edge
    assert "3×2 float64" in nodes[by_label["fc.weight"]]
    assert "δ" not in g.source                   # no gradients before backward


def test_show_grads_prints_norms_and_backward_edges():
    x, w, b, loss = small_graph()
    loss.backward()
    g = draw_graph(loss, show_grads=True, group_by_module=False)
    nodes, edges = nodes_and_edges(g.source)
    weight_label = next(v for v in nodes.values() if v.startswith("fc.weight"))
    assert f"grad ‖·‖ = {np.linalg.norm(w.grad):.4g}" in weight_label
    back = [(a, b_) for a, b_, attrs in edges if viz_graph.BACKWARD_COLOUR in attrs]
    assert len(back) == 5                        # every edge but the one into x (no grad)
    relu_label = next(v for v in nodes.values() if v.startswith("relu"))
    assert f"‖δ‖ = {np.sqrt(8):.4g}" in relu_label   # δ reaching relu's output: ones(4, 2)

def test_formulas_and_attributes_and_clusters():
    x = Tensor(np.ones((1, 1, 6, 6)))
    w = Tensor(np.ones((2, 1, 3, 3)), requires_grad=True)
    w.name = "conv1.weight"
    out = F.max_pool2d(F.relu(F.conv2d(x, w, stride=1, padding=1)), 2).sum()
    src = draw_graph(out, show_formulas=True).source
    assert "stride 1, padding 1, dilation 1" in src and "kernel_size 2, stride 2" in src
    assert "rot180" in src and "argmax" in src
    cluster = re.search(r"subgraph cluster_0 \{(.*?)\n\t\}", src, re.S).group(1)
    assert "label=conv1" in cluster and "conv2d" in cluster and "relu" in cluster and "max_pool2d" in cluster
    assert "sum\n" not in cluster and "label=sum" not in cluster


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_render_svg_and_png(tmp_path):
    *_, loss = small_graph()
    g = draw_graph(loss)
    svg = g.render(tmp_path / "graph.svg")
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "matmul" in text and "relu" in text
    png = g.render(tmp_path / "graph", format="png")
    assert png.name == "graph.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "image/svg+xml" in g._repr_mimebundle_()


def test_missing_dot_gives_install_hint(tmp_path, monkeypatch):
    *_, loss = small_graph()
    g = draw_graph(loss)
    monkeypatch.setenv("PATH", str(tmp_path))        # no `dot` anywhere on PATH
    with pytest.raises(GraphvizNotFound, match=r"apt-get install graphviz"):
        g.render(tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()
    assert g._repr_mimebundle_() == {"text/plain": g.source}
    assert "digraph" in g.source


def conv_pool_linear_loss(rng):
    x = Tensor(rng.standard_normal((2, 1, 6, 6)))
    w = Tensor(rng.standard_normal((3, 1, 3, 3)), requires_grad=True)
    fc = Tensor(rng.standard_normal((4, 12)), requires_grad=True)
    w.name, fc.name = "conv1.weight", "fc.weight"
    h = F.max_pool2d(F.conv2d(x, w, padding=1), 3)
    return h, F.cross_entropy(F.linear(h.flatten(1), fc), np.array([1, 3])), w, fc


def test_explain_names_every_op_and_formula_in_reverse_order(capsys):
    h, loss, w, fc = conv_pool_linear_loss(np.random.default_rng(1))
    nodes = list(loss.graph())
    text = explain(loss)
    assert capsys.readouterr().out.strip() == text.strip()
    steps = re.findall(r"^step (\d+): (\w+)", text, re.M)
    assert [op for _, op in steps] == ["cross_entropy", "linear", "reshape", "max_pool2d", "conv2d"]
    assert [op for _, op in steps] == [n.op for n in reversed(nodes)]
    positions = [text.index(n.formula.splitlines()[0]) for n in reversed(nodes)]
    assert positions == sorted(positions)         # each formula under its own step, in order
    assert f"→ δ conv1.weight (3, 1, 3, 3)  ‖·‖ = {np.linalg.norm(w.grad):.4g}" in text
    assert w.grad is not None and fc.grad is not None   # explain ran the real backward


def test_sensitivity_maps_match_retained_gradients_and_plot(tmp_path):
    rng = np.random.default_rng(2)
    h, loss, w, fc = conv_pool_linear_loss(rng)
    conv_out = h.grad_fn.inputs[0]
    conv_out.retain_grad()
    h.retain_grad()
    maps = collect_sensitivity_maps(loss)
    assert [m.label for m in maps] == ["conv2d #1 (conv1)", "max_pool2d #1 (conv1)"]
    np.testing.assert_array_equal(maps[0].delta, conv_out.grad)
    np.testing.assert_array_equal(maps[1].delta, h.grad)
    np.testing.assert_array_equal(maps[0].output, conv_out.data)
    panels = plot_sensitivity_maps(maps, tmp_path / "maps.png", max_channels=2)
    assert panels == 2 * 2 * 2                   # layers × channels shown × (output, δ)
    assert (tmp_path / "maps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
