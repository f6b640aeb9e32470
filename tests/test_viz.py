"""draw_graph, explain and the sensitivity maps."""
import re
import sys

import numpy as np
import pytest
from conftest import requires

import tinygrad_cnn.functional as F
from tinygrad_cnn import Tensor, explain
from tinygrad_cnn.viz import (
    GraphvizNotFound,
    collect_sensitivity_maps,
    draw_graph,
    plot_sensitivity_maps,
    sensitivity_figure,
)
from tinygrad_cnn.viz import graph as viz_graph

requires_dot = requires("dot")


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
    assert "‖δ‖" not in g.source and "delta" not in g.source   # no gradients before backward


def test_show_grads_prints_norms_and_backward_edges():
    x, w, b, loss = small_graph()
    loss.backward()
    g = draw_graph(loss, show_grads=True, group_by_module=False)
    nodes, edges = nodes_and_edges(g.source)
    weight_label = next(v for v in nodes.values() if v.startswith("fc.weight"))
    assert f"grad ‖·‖ = {np.linalg.norm(w.grad):.4g}" in weight_label
    back = [(a, b_) for a, b_, attrs in edges if viz_graph.BACKWARD_COLOUR in attrs]
    forward = {(a, b_) for a, b_, attrs in edges if viz_graph.BACKWARD_COLOUR not in attrs}
    assert len(back) == 5                        # every edge but the one into x (no grad)
    # δ flows backwards: each red edge goes from an op to one of its inputs (the reverse of a
    # forward edge), never input → op
    assert all((b_, a) in forward and (a, b_) not in forward for a, b_ in back)
    labels = {k: v.split("\n")[0] for k, v in nodes.items()}
    assert sorted((labels[a], labels[b_]) for a, b_ in back) == sorted(
        [("sum", "relu"), ("relu", "add"), ("add", "matmul"), ("add", "fc.bias"), ("matmul", "fc.weight")])
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
    assert "label=conv1" in cluster and "conv2d" in cluster and "relu" in cluster
    assert "max_pool2d" not in cluster and "sum\n" not in cluster and "label=sum" not in cluster
    pool = re.search(r"subgraph cluster_1 \{(.*?)\n\t\}", src, re.S).group(1)
    assert "max_pool2d" in pool and "conv2d" not in pool     # pooling is a layer of its own


def test_pool_cluster_named_by_its_module_and_constants_show_values():
    x = Tensor(np.ones((1, 1, 4, 4)))
    w = Tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    w.name = "c1.weight"
    pooled = F.max_pool2d(F.conv2d(x, w, padding=1), 2)
    pooled.grad_fn.module = "s2"                  # as Module.__call__ tags the op it recorded
    out = ((pooled - 1.0) * 0.5).sum()
    nodes, _ = nodes_and_edges(draw_graph(out).source)
    src = draw_graph(out).source
    assert re.search(r"subgraph cluster_\d \{\n\t\tgraph \[[^\]]*label=s2", src)
    assert {v.split("\n")[0] for v in nodes.values()} >= {"constant 1", "constant 0.5", "input"}
    labels = Tensor(np.array([1, 3]))
    loss = F.cross_entropy(F.linear(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 3)), requires_grad=True)),
                           labels)
    assert "labels = [1, 3]" in draw_graph(loss).source


def test_legend_and_wrapped_formulas():
    x, w, b, loss = small_graph()
    src = draw_graph(loss).source
    legend = re.search(r"label=<(<table.*</table>)>", src, re.S).group(1)
    for colour, what in ((viz_graph.PARAM_FILL, "parameter"), (viz_graph.OP_FILL, "op"),
                         (viz_graph.INPUT_FILL, "input")):
        assert re.search(f'bgcolor="{colour}"[^>]*>{what}', legend)
    assert f'color="{viz_graph.BACKWARD_COLOUR}"' in legend and "δ" in legend
    assert "<table" not in draw_graph(loss, legend=False).source
    xx = Tensor(np.ones((1, 1, 8, 8)))
    ww = Tensor(np.ones((2, 1, 3, 3)), requires_grad=True)
    src = draw_graph(F.conv2d(xx, ww).sum(), show_formulas=True).source
    conv = re.search(r'label="(conv2d\n[^"]*)"', src).group(1)
    lines = conv.split("\\n") if "\\n" in conv else conv.split("\n")
    assert len(lines) > 4 and max(map(len, lines)) <= viz_graph.FORMULA_WIDTH + 3


@requires_dot
def test_lenet5_with_formulas_is_readable():
    from tinygrad_cnn.models import LeNet5

    model = LeNet5(seed=0)
    loss = model.loss(model(Tensor(np.zeros((2, 1, 28, 28), dtype=np.float32))), np.array([0, 1]))
    loss.backward()
    svg = draw_graph(loss, show_grads=True, show_formulas=True).draw("svg").decode()
    width = int(re.search(r'<svg width="(\d+)pt"', svg).group(1))
    assert width < 1000, width                   # 1,984 pt before formulas were wrapped


@requires_dot
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
    assert [m.label for m in maps] == ["conv1 (conv2d)", "max_pool2d #1"]
    np.testing.assert_array_equal(maps[0].delta, conv_out.grad)
    np.testing.assert_array_equal(maps[1].delta, h.grad)
    np.testing.assert_array_equal(maps[0].output, conv_out.data)
    panels = plot_sensitivity_maps(maps, tmp_path / "maps.png", max_channels=2)
    assert panels == 2 * 2 * 2                   # layers × channels shown × (output, δ)
    assert (tmp_path / "maps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sensitivity_figure_shares_one_symmetric_scale_per_layer(monkeypatch):
    import matplotlib

    def no_backend_change(*args, **kwargs):
        raise AssertionError("matplotlib.use() turns Jupyter's inline plots off; never call it")

    monkeypatch.setattr(matplotlib, "use", no_backend_change)
    pyplot = sys.modules.get("matplotlib.pyplot")
    pyplot_figures = pyplot.get_fignums() if pyplot else []
    h, loss, w, fc = conv_pool_linear_loss(np.random.default_rng(3))
    maps = collect_sensitivity_maps(loss)
    fig = sensitivity_figure(maps, sample=1, max_channels=2)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 2 * 2 * 2 and len(fig.axes) == len(images) + 2 * 2   # + a colour bar each
    for row, m in enumerate(maps):
        delta_axes = [ax for ax in images if ax.get_title().startswith("δ ch")][2 * row:2 * row + 2]
        limit = np.abs(m.delta[1]).max()
        assert [ax.images[0].get_clim() for ax in delta_axes] == [(-limit, limit)] * 2
        out_axes = [ax for ax in images if ax.get_title().startswith("output ch")][2 * row:2 * row + 2]
        assert out_axes[0].images[0].get_clim() == (m.output[1].min(), m.output[1].max())
        assert f"2 of {m.output.shape[1]} ch" in out_axes[0].get_ylabel()
    titles = [ax.get_title() for ax in images]
    assert titles[:4] == ["output ch 0", "δ ch 0", "output ch 1", "δ ch 1"]
    assert "sample 1" in fig._suptitle.get_text()
    if "matplotlib.pyplot" in sys.modules:           # built without pyplot: no global figure
        assert sys.modules["matplotlib.pyplot"].get_fignums() == pyplot_figures
